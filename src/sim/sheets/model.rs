//! The simulated spreadsheets as pure data: tabs with a grid size and sparse cells, reading a
//! range the way `values.get` renders it, and the state snapshot tests compare against.
//! Applying `batchUpdate` requests lives in `requests.rs`; nothing here does I/O.

use std::sync::Arc;

use serde_json::Value;

use super::a1::{A1Range, Window};
use super::error::ApiError;
use super::render::{RenderOptions, render_cell};

/// Google's limit on cells in one spreadsheet, counting empty grid cells of every tab.
pub const MAX_CELLS_PER_SPREADSHEET: usize = 10_000_000;
pub const DEFAULT_ROW_COUNT: usize = 1000;
pub const DEFAULT_COLUMN_COUNT: usize = 26;

/// What a user entered in a cell.
#[derive(Clone, Debug, PartialEq)]
pub enum CellValue {
    Text(String),
    Number(f64),
    Bool(bool),
    /// The formula text including its leading `=`; the simulator does not evaluate it.
    Formula(String),
}

/// The `userEnteredFormat.numberFormat` of a cell.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct NumberFormat {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub pattern: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub value: Option<CellValue>,
    pub number_format: Option<Box<NumberFormat>>,
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        self.value.is_none() && self.number_format.is_none()
    }
}

/// One row of cells, shared between a workbook and its copies until one of them writes it, so
/// the copy a batch works on costs one pointer per row.
pub type Row = Arc<Vec<Cell>>;

/// One tab. `cells` is sparse: rows and cells past the last one written are absent.
#[derive(Clone, Debug, PartialEq)]
pub struct Tab {
    pub title: String,
    pub sheet_id: i32,
    pub row_count: usize,
    pub column_count: usize,
    pub cells: Vec<Row>,
}

impl Tab {
    pub fn new(title: &str, sheet_id: i32) -> Tab {
        Tab {
            title: title.to_string(),
            sheet_id,
            row_count: DEFAULT_ROW_COUNT,
            column_count: DEFAULT_COLUMN_COUNT,
            cells: Vec::new(),
        }
    }

    pub fn cell_mut(&mut self, row: usize, col: usize) -> &mut Cell {
        if self.cells.len() <= row {
            self.cells.resize_with(row + 1, Row::default);
        }
        let cells = Arc::make_mut(&mut self.cells[row]);
        if cells.len() <= col {
            cells.resize_with(col + 1, Cell::default);
        }
        &mut cells[col]
    }

    /// Index one past the last row holding a value (where `appendCells` writes next).
    pub fn rows_with_data(&self) -> usize {
        self.cells
            .iter()
            .rposition(|row| row.iter().any(|c| c.value.is_some()))
            .map_or(0, |i| i + 1)
    }

    /// Drops cells outside the grid (after a shrink) and trailing blank cells.
    pub fn compact(&mut self) {
        self.cells.truncate(self.row_count);
        for row in &mut self.cells {
            if row.len() > self.column_count || row.last().is_some_and(Cell::is_blank) {
                let row = Arc::make_mut(row);
                row.truncate(self.column_count);
                while row.last().is_some_and(Cell::is_blank) {
                    row.pop();
                }
            }
        }
        while self.cells.last().is_some_and(|row| row.is_empty()) {
            self.cells.pop();
        }
    }

    pub fn cell_total(&self) -> usize {
        self.row_count * self.column_count
    }

    /// The values of `window`, rows major, as `values.get` returns them: trailing empty cells
    /// and rows omitted, inner empty cells as `""`.
    pub fn read(&self, window: &Window, options: &RenderOptions) -> Vec<Vec<Value>> {
        let mut out: Vec<Vec<Value>> = Vec::new();
        for cells in self
            .cells
            .iter()
            .take(window.end_row)
            .skip(window.start_row)
        {
            let end_col = window.end_col.min(cells.len());
            let mut row: Vec<Value> = Vec::new();
            for cell in cells.iter().take(end_col).skip(window.start_col) {
                row.push(render_cell(cell, options).unwrap_or(Value::Null));
            }
            while row.last().is_some_and(Value::is_null) {
                row.pop();
            }
            out.push(row);
        }
        while out.last().is_some_and(Vec::is_empty) {
            out.pop();
        }
        for row in &mut out {
            for v in row.iter_mut().filter(|v| v.is_null()) {
                *v = Value::String(String::new());
            }
        }
        out
    }
}

/// One spreadsheet: its tabs in display order.
#[derive(Clone, Debug, PartialEq)]
pub struct Workbook {
    pub spreadsheet_id: String,
    pub title: String,
    pub tabs: Vec<Tab>,
    /// Counter feeding new sheet ids (Google's are random-looking positive numbers).
    pub sheets_added: u32,
}

impl Workbook {
    /// An empty spreadsheet with one tab `Sheet1` (sheetId 0) of 1000 x 26.
    pub fn new(spreadsheet_id: &str) -> Workbook {
        Workbook {
            spreadsheet_id: spreadsheet_id.to_string(),
            title: format!("Simulated spreadsheet {spreadsheet_id}"),
            tabs: vec![Tab::new("Sheet1", 0)],
            sheets_added: 0,
        }
    }

    /// Sheet titles are unique regardless of case, as in Google Sheets.
    pub fn tab_by_title(&self, title: &str) -> Option<&Tab> {
        self.tabs.iter().find(|t| t.title == title).or_else(|| {
            self.tabs
                .iter()
                .find(|t| t.title.eq_ignore_ascii_case(title))
        })
    }

    pub fn tab_index_by_id(&self, sheet_id: i32) -> Option<usize> {
        self.tabs.iter().position(|t| t.sheet_id == sheet_id)
    }

    pub fn cell_total(&self) -> usize {
        self.tabs.iter().map(Tab::cell_total).sum()
    }

    /// A sheet id no tab has, derived from a counter so runs are reproducible.
    pub fn next_sheet_id(&mut self) -> i32 {
        loop {
            self.sheets_added += 1;
            let id = (u64::from(self.sheets_added) * 2_654_435_761 % 2_000_000_000) as i32;
            if id != 0 && self.tab_index_by_id(id).is_none() {
                return id;
            }
        }
    }

    /// Resolves an A1 range to its tab and clamped window; `Unable to parse range` otherwise.
    pub fn resolve_range(&self, range: &str) -> Result<(&Tab, Window), ApiError> {
        let unparsable = || ApiError::bad_request(format!("Unable to parse range: {range}"));
        let parsed = A1Range::parse(range, |name| self.tab_by_title(name).is_some())
            .ok_or_else(unparsable)?;
        let tab = match &parsed.sheet {
            Some(name) => self.tab_by_title(name).ok_or_else(unparsable)?,
            None => self.tabs.first().ok_or_else(unparsable)?,
        };
        let area = parsed.area.unwrap_or_default();
        Ok((tab, area.clamp(tab.row_count, tab.column_count)))
    }

    /// Replaces a tab's contents with `rows` (created if missing, grid grown to fit).
    pub fn set_rows(&mut self, title: &str, rows: Vec<Vec<Value>>) {
        let index = match self.tabs.iter().position(|t| t.title == title) {
            Some(i) => i,
            None => {
                let id = self.next_sheet_id();
                self.tabs.push(Tab::new(title, id));
                self.tabs.len() - 1
            }
        };
        let tab = &mut self.tabs[index];
        tab.cells = rows
            .into_iter()
            .map(|row| {
                Arc::new(
                    row.into_iter()
                        .map(|v| Cell {
                            value: value_from_json(v),
                            number_format: None,
                        })
                        .collect(),
                )
            })
            .collect();
        let width = tab.cells.iter().map(|row| row.len()).max().unwrap_or(0);
        tab.row_count = tab.row_count.max(tab.cells.len());
        tab.column_count = tab.column_count.max(width);
        tab.compact();
    }

    pub fn snapshot(&self) -> SpreadsheetState {
        SpreadsheetState {
            spreadsheet_id: self.spreadsheet_id.clone(),
            tabs: self.tabs.iter().map(tab_state).collect(),
        }
    }
}

/// A seed value: string, number, bool; null (or anything else) is an empty cell.
fn value_from_json(v: Value) -> Option<CellValue> {
    match v {
        Value::String(s) => Some(CellValue::Text(s)),
        Value::Number(n) => n.as_f64().map(CellValue::Number),
        Value::Bool(b) => Some(CellValue::Bool(b)),
        _ => None,
    }
}

/// A number as JSON the way Google writes it: whole numbers without a fraction.
pub fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn tab_state(tab: &Tab) -> TabState {
    let mut rows: Vec<Vec<Value>> = tab
        .cells
        .iter()
        .map(|row| {
            let mut values: Vec<Value> = row
                .iter()
                .map(|cell| match &cell.value {
                    None => Value::Null,
                    Some(CellValue::Text(s) | CellValue::Formula(s)) => Value::String(s.clone()),
                    Some(CellValue::Number(n)) => number_json(*n),
                    Some(CellValue::Bool(b)) => Value::Bool(*b),
                })
                .collect();
            while values.last().is_some_and(Value::is_null) {
                values.pop();
            }
            values
        })
        .collect();
    while rows.last().is_some_and(Vec::is_empty) {
        rows.pop();
    }
    TabState {
        title: tab.title.clone(),
        sheet_id: tab.sheet_id,
        row_count: tab.row_count,
        column_count: tab.column_count,
        rows,
    }
}

/// The whole state of one simulated spreadsheet, for tests and `GET /_sim/spreadsheets/{id}`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SpreadsheetState {
    pub spreadsheet_id: String,
    pub tabs: Vec<TabState>,
}

/// One tab's grid size and cell values (trailing empties trimmed; an empty cell is `null`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct TabState {
    pub title: String,
    pub sheet_id: i32,
    pub row_count: usize,
    pub column_count: usize,
    pub rows: Vec<Vec<Value>>,
}

impl SpreadsheetState {
    pub fn tab(&self, title: &str) -> Option<&TabState> {
        self.tabs.iter().find(|t| t.title == title)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unformatted() -> RenderOptions {
        RenderOptions::unformatted()
    }

    #[test]
    fn new_workbook_has_one_default_tab() {
        let wb = Workbook::new("abc");
        let state = wb.snapshot();
        assert_eq!(state.tabs.len(), 1);
        let tab = &state.tabs[0];
        assert_eq!((tab.title.as_str(), tab.sheet_id), ("Sheet1", 0));
        assert_eq!((tab.row_count, tab.column_count), (1000, 26));
        assert!(tab.rows.is_empty());
        assert_eq!(wb.cell_total(), 26_000);
    }

    #[test]
    fn read_trims_trailing_and_fills_inner_empties() {
        let mut wb = Workbook::new("x");
        wb.set_rows(
            "Sheet1",
            vec![
                vec![json!("a"), json!(null), json!(3), json!(null)],
                vec![],
                vec![json!(null), json!(true)],
                vec![json!(null)],
            ],
        );
        let (tab, window) = wb.resolve_range("Sheet1").unwrap();
        let values = tab.read(&window, &unformatted());
        assert_eq!(
            values,
            vec![
                vec![json!("a"), json!(""), json!(3)],
                vec![],
                vec![json!(""), json!(true)]
            ]
        );
        let (tab, window) = wb.resolve_range("Sheet1!B3:C").unwrap();
        assert_eq!(tab.read(&window, &unformatted()), vec![vec![json!(true)]]);
        let (tab, window) = wb.resolve_range("B1:B2").unwrap();
        assert_eq!(tab.read(&window, &unformatted()), Vec::<Vec<Value>>::new());
    }

    #[test]
    fn missing_tab_is_unparsable() {
        let wb = Workbook::new("x");
        let err = wb.resolve_range("Nope!A1:B2").unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.message, "Unable to parse range: Nope!A1:B2");
        assert!(
            wb.resolve_range("sheet1!A1").is_ok(),
            "titles match case-insensitively"
        );
    }

    #[test]
    fn set_rows_creates_tabs_grows_grid_and_snapshots_typed_values() {
        let mut wb = Workbook::new("x");
        let wide: Vec<Value> = (0..30).map(|i| json!(i)).collect();
        wb.set_rows(
            "Data #1",
            vec![vec![json!("0812"), json!(1.5), json!(false)], wide],
        );
        let state = wb.snapshot();
        let tab = state.tab("Data #1").unwrap();
        assert_ne!(tab.sheet_id, 0);
        assert_eq!((tab.row_count, tab.column_count), (1000, 30));
        assert_eq!(tab.rows[0], vec![json!("0812"), json!(1.5), json!(false)]);
        assert_eq!(tab.rows[1][29], json!(29));
    }

    #[test]
    fn sheet_ids_are_distinct() {
        let mut wb = Workbook::new("x");
        let ids: std::collections::HashSet<i32> = (0..1000).map(|_| wb.next_sheet_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|&id| id > 0));
    }
}
