//! `spreadsheets.batchUpdate` subrequests (addSheet, updateCells, appendCells, appendDimension,
//! updateSheetProperties) applied with Google's semantics: all or nothing, grid limits, the
//! 10 million cell limit. Pure: a batch is applied to a clone, returned only when all succeed.

use serde::Deserialize;
use serde_json::{Value, json};

use super::a1::Window;
use super::error::ApiError;
use super::model::{Cell, MAX_CELLS_PER_SPREADSHEET, Tab, Workbook};
use super::resources::sheet_properties_json;
use super::wire::{
    AddSheet, AppendCells, AppendDimension, CellData, CellMask, GridProperties, RowData,
    UpdateCells, UpdateSheetProperties, cell_mask, convert_value, index, normalize_path,
};

/// The widest grid Sheets allows (`ZZZ`).
const MAX_COLUMNS: usize = 18_278;

fn apply_mask(target: &mut Cell, data: Option<&CellData>, mask: CellMask) -> Result<(), String> {
    if mask.value {
        target.value = convert_value(data.and_then(|d| d.user_entered_value.as_ref()))?;
    }
    if mask.number_format {
        target.number_format = data
            .and_then(|d| d.user_entered_format.as_ref())
            .and_then(|f| f.number_format.clone())
            .map(Box::new);
    }
    Ok(())
}

fn grid_error(tab: &Tab, window: &Window) -> String {
    format!(
        "Range ({}) exceeds grid limits. Max rows: {}, max columns: {}",
        window.to_a1(&tab.title),
        tab.row_count,
        tab.column_count
    )
}

fn tab_mut(wb: &mut Workbook, sheet_id: Option<i32>) -> Result<&mut Tab, String> {
    let id = sheet_id.unwrap_or(0);
    let i = wb
        .tab_index_by_id(id)
        .ok_or_else(|| format!("No grid with id: {id}"))?;
    Ok(&mut wb.tabs[i])
}

/// Writes `rows` from (`row`, `col`); with `clear` set, cells of that window the rows do not
/// cover are cleared under the mask first (updateCells with a `range`).
fn write_rows(
    tab: &mut Tab,
    row: usize,
    col: usize,
    rows: &[RowData],
    mask: CellMask,
    clear: Option<Window>,
) -> Result<(), String> {
    let width = rows.iter().map(|r| r.values.len()).max().unwrap_or(0);
    let window = Window {
        start_row: row,
        end_row: row + rows.len(),
        start_col: col,
        end_col: col + width,
    };
    if width > 0 && (window.end_row > tab.row_count || window.end_col > tab.column_count) {
        return Err(grid_error(tab, &window));
    }
    if let Some(clear) = clear {
        let last_row = clear.end_row.min(tab.cells.len());
        for r in clear.start_row..last_row {
            let last_col = clear.end_col.min(tab.cells[r].len());
            for c in clear.start_col..last_col {
                apply_mask(tab.cell_mut(r, c), None, mask)?;
            }
        }
    }
    for (i, data_row) in rows.iter().enumerate() {
        for (j, data) in data_row.values.iter().enumerate() {
            apply_mask(tab.cell_mut(row + i, col + j), Some(data), mask)?;
        }
    }
    tab.compact();
    Ok(())
}

fn update_cells(wb: &mut Workbook, req: UpdateCells) -> Result<Value, String> {
    let mask = cell_mask(req.fields.as_deref())?;
    match (req.start, req.range) {
        (Some(start), None) => {
            let tab = tab_mut(wb, start.sheet_id)?;
            let row = index(start.row_index, "start.rowIndex")?;
            let col = index(start.column_index, "start.columnIndex")?;
            write_rows(tab, row, col, &req.rows, mask, None)?;
        }
        (None, Some(range)) => {
            let tab = tab_mut(wb, range.sheet_id)?;
            let window = Window {
                start_row: index(range.start_row_index, "range.startRowIndex")?,
                end_row: index(
                    range.end_row_index.or(Some(tab.row_count as i32)),
                    "range.endRowIndex",
                )?,
                start_col: index(range.start_column_index, "range.startColumnIndex")?,
                end_col: index(
                    range.end_column_index.or(Some(tab.column_count as i32)),
                    "range.endColumnIndex",
                )?,
            };
            if window.end_row < window.start_row || window.end_col < window.start_col {
                return Err("The range's end index is before its start index.".into());
            }
            if window.end_row > tab.row_count || window.end_col > tab.column_count {
                return Err(grid_error(tab, &window));
            }
            let width = req.rows.iter().map(|r| r.values.len()).max().unwrap_or(0);
            if req.rows.len() > window.end_row - window.start_row
                || width > window.end_col - window.start_col
            {
                return Err(format!(
                    "The rows given do not fit in range {}.",
                    window.to_a1(&tab.title)
                ));
            }
            write_rows(
                tab,
                window.start_row,
                window.start_col,
                &req.rows,
                mask,
                Some(window),
            )?;
        }
        _ => return Err("Exactly one of 'start' or 'range' must be set.".into()),
    }
    Ok(json!({}))
}

fn append_cells(wb: &mut Workbook, req: AppendCells) -> Result<Value, String> {
    let mask = cell_mask(req.fields.as_deref())?;
    let tab = tab_mut(wb, req.sheet_id)?;
    let row = tab.rows_with_data();
    tab.row_count = tab.row_count.max(row + req.rows.len());
    write_rows(tab, row, 0, &req.rows, mask, None)?;
    Ok(json!({}))
}

fn append_dimension(wb: &mut Workbook, req: AppendDimension) -> Result<Value, String> {
    let length = match req.length {
        Some(n) if n > 0 => n as usize,
        other => {
            return Err(format!(
                "length must be positive, got {}.",
                other.unwrap_or(0)
            ));
        }
    };
    let tab = tab_mut(wb, req.sheet_id)?;
    match req.dimension.as_deref() {
        Some("ROWS") => tab.row_count += length,
        Some("COLUMNS") => {
            if tab.column_count + length > MAX_COLUMNS {
                return Err(format!("A sheet may have at most {MAX_COLUMNS} columns."));
            }
            tab.column_count += length;
        }
        other => return Err(format!("dimension must be ROWS or COLUMNS, got {other:?}.")),
    }
    Ok(json!({}))
}

fn grid_size(props: Option<&GridProperties>, tab: &Tab) -> Result<(usize, usize), String> {
    let rows = props
        .and_then(|g| g.row_count)
        .map_or(Ok(tab.row_count), |n| {
            usize::try_from(n)
                .ok()
                .filter(|&n| n > 0)
                .ok_or(format!("rowCount must be positive, got {n}."))
        })?;
    let cols = props
        .and_then(|g| g.column_count)
        .map_or(Ok(tab.column_count), |n| {
            usize::try_from(n)
                .ok()
                .filter(|&n| n > 0 && n <= MAX_COLUMNS)
                .ok_or(format!(
                    "columnCount must be between 1 and {MAX_COLUMNS}, got {n}."
                ))
        })?;
    Ok((rows, cols))
}

fn title_taken(wb: &Workbook, title: &str, except: Option<i32>) -> Result<(), String> {
    let clash = wb
        .tabs
        .iter()
        .any(|t| t.title.eq_ignore_ascii_case(title) && Some(t.sheet_id) != except);
    if clash {
        return Err(format!(
            "A sheet with the name \"{title}\" already exists. Please enter another name."
        ));
    }
    Ok(())
}

fn add_sheet(wb: &mut Workbook, req: AddSheet) -> Result<Value, String> {
    let props = req.properties.unwrap_or_default();
    let title = match props.title.filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => (1..)
            .map(|n| format!("Sheet{n}"))
            .find(|t| wb.tab_by_title(t).is_none())
            .expect("some SheetN is free"),
    };
    title_taken(wb, &title, None)?;
    let sheet_id = match props.sheet_id {
        Some(id) if id < 0 => return Err(format!("sheetId must be non-negative, got {id}.")),
        Some(id) if wb.tab_index_by_id(id).is_some() => {
            return Err(format!("A sheet with ID {id} already exists."));
        }
        Some(id) => id,
        None => wb.next_sheet_id(),
    };
    let mut tab = Tab::new(&title, sheet_id);
    (tab.row_count, tab.column_count) = grid_size(props.grid_properties.as_ref(), &tab)?;
    let position = props
        .index
        .map_or(wb.tabs.len(), |i| (i.max(0) as usize).min(wb.tabs.len()));
    wb.tabs.insert(position, tab);
    Ok(json!({ "addSheet": { "properties": sheet_properties_json(wb, position) } }))
}

fn update_sheet_properties(wb: &mut Workbook, req: UpdateSheetProperties) -> Result<Value, String> {
    let props = req.properties.unwrap_or_default();
    let fields = req.fields.unwrap_or_default();
    if fields.trim().is_empty() {
        return Err("At least one field must be specified in 'fields'.".into());
    }
    let sheet_id = props.sheet_id.unwrap_or(0);
    let position = wb
        .tab_index_by_id(sheet_id)
        .ok_or_else(|| format!("No grid with id: {sheet_id}"))?;
    for path in fields.split(',').map(normalize_path) {
        let tab = &wb.tabs[position];
        let (rows, cols) = grid_size(props.grid_properties.as_ref(), tab)?;
        match path.as_str() {
            "title" => {
                let title = props
                    .title
                    .clone()
                    .filter(|t| !t.is_empty())
                    .ok_or("title must not be empty.")?;
                title_taken(wb, &title, Some(sheet_id))?;
                wb.tabs[position].title = title;
            }
            "gridproperties" => {
                (wb.tabs[position].row_count, wb.tabs[position].column_count) = (rows, cols)
            }
            "gridproperties.rowcount" => wb.tabs[position].row_count = rows,
            "gridproperties.columncount" => wb.tabs[position].column_count = cols,
            other => {
                return Err(format!(
                    "The simulator cannot update sheet property '{other}'."
                ));
            }
        }
    }
    wb.tabs[position].compact();
    Ok(json!({}))
}

fn parse<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("Invalid JSON payload received. {e}"))
}

/// The supported subrequest kinds, in the order the error message lists them.
pub const SUPPORTED_KINDS: [&str; 5] = [
    "addSheet",
    "updateCells",
    "appendCells",
    "appendDimension",
    "updateSheetProperties",
];

fn apply_one(wb: &mut Workbook, kind: &str, body: Value) -> Result<Value, String> {
    match kind {
        "addSheet" => add_sheet(wb, parse(body)?),
        "updateCells" => update_cells(wb, parse(body)?),
        "appendCells" => append_cells(wb, parse(body)?),
        "appendDimension" => append_dimension(wb, parse(body)?),
        "updateSheetProperties" => update_sheet_properties(wb, parse(body)?),
        other => Err(format!(
            "Request kind \"{other}\" is not supported by the Sheets simulator (supported: {}).",
            SUPPORTED_KINDS.join(", ")
        )),
    }
}

/// Applies a whole batch to a copy of `wb`; returns the new workbook and Google's `replies`
/// only if every subrequest succeeded, else the first failure (and `wb` is untouched).
pub fn apply_batch(
    wb: &Workbook,
    requests: Vec<Value>,
) -> Result<(Workbook, Vec<Value>), ApiError> {
    if requests.is_empty() {
        return Err(ApiError::bad_request("Must specify at least one request."));
    }
    let mut next = wb.clone();
    let mut replies = Vec::with_capacity(requests.len());
    for (i, request) in requests.into_iter().enumerate() {
        let Value::Object(map) = request else {
            return Err(ApiError::bad_request(format!(
                "Invalid requests[{i}]: a request must be an object."
            )));
        };
        let mut entries = map.into_iter().filter(|(_, v)| !v.is_null());
        let (kind, body) = match (entries.next(), entries.next()) {
            (Some(entry), None) => entry,
            (None, _) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid requests[{i}]: No request set."
                )));
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid requests[{i}]: oneof field 'kind' is already set. Cannot set more than one request kind."
                )));
            }
        };
        let reply = apply_one(&mut next, &kind, body)
            .map_err(|msg| ApiError::bad_request(format!("Invalid requests[{i}].{kind}: {msg}")))?;
        let total = next.cell_total();
        if total > MAX_CELLS_PER_SPREADSHEET {
            return Err(ApiError::bad_request(format!(
                "Invalid requests[{i}].{kind}: This action would increase the number of cells in the \
                 workbook above the limit of {MAX_CELLS_PER_SPREADSHEET} cells."
            )));
        }
        replies.push(reply);
    }
    Ok((next, replies))
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
