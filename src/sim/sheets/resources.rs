//! The JSON resources the simulated API answers with, in Google's shapes: `Spreadsheet` (sheet
//! properties, optionally grid data) and `ValueRange`. Pure functions of the model.

use serde_json::{Map, Value, json};

use super::a1::Window;
use super::error::ApiError;
use super::model::{Cell, CellValue, Tab, Workbook, number_json};
use super::render::{RenderOptions, ValueRender, render_cell};

/// `sheets[].properties` as `spreadsheets.get` and the addSheet reply show it.
pub fn sheet_properties_json(wb: &Workbook, position: usize) -> Value {
    let tab = &wb.tabs[position];
    json!({
        "sheetId": tab.sheet_id,
        "title": tab.title,
        "index": position,
        "sheetType": "GRID",
        "gridProperties": { "rowCount": tab.row_count, "columnCount": tab.column_count },
    })
}

/// The `spreadsheets.get` answer. With `ranges`, only the tabs they name are listed; with
/// `include_grid_data`, each listed tab carries `data` for its ranges (or the whole tab).
pub fn spreadsheet_json(
    wb: &Workbook,
    base_url: &str,
    ranges: &[String],
    include_grid_data: bool,
) -> Result<Value, ApiError> {
    let mut windows: Vec<Vec<Window>> = vec![Vec::new(); wb.tabs.len()];
    for range in ranges {
        let (tab, window) = wb.resolve_range(range)?;
        let position = wb
            .tab_index_by_id(tab.sheet_id)
            .expect("a resolved tab is in the workbook");
        windows[position].push(window);
    }
    let mut sheets = Vec::new();
    for (position, tab) in wb.tabs.iter().enumerate() {
        if !ranges.is_empty() && windows[position].is_empty() {
            continue;
        }
        let mut sheet = json!({ "properties": sheet_properties_json(wb, position) });
        if include_grid_data {
            let whole = [Window {
                start_row: 0,
                end_row: tab.row_count,
                start_col: 0,
                end_col: tab.column_count,
            }];
            let wanted = if ranges.is_empty() {
                &whole[..]
            } else {
                &windows[position][..]
            };
            let data: Vec<Value> = wanted.iter().map(|w| grid_data_json(tab, w)).collect();
            sheet["data"] = Value::Array(data);
        }
        sheets.push(sheet);
    }
    Ok(json!({
        "spreadsheetId": wb.spreadsheet_id,
        "properties": {
            "title": wb.title,
            "locale": "en_US",
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Asia/Jakarta",
        },
        "sheets": sheets,
        "spreadsheetUrl": format!("{base_url}spreadsheets/d/{}/edit", wb.spreadsheet_id),
    }))
}

/// `GridData` for one window: `rowData[].values[]` of `CellData`, zero offsets omitted as
/// proto3 JSON does, trailing empty cells and rows left out, inner empty cells as `{}`.
fn grid_data_json(tab: &Tab, window: &Window) -> Value {
    let mut rows: Vec<Value> = Vec::new();
    for cells in tab.cells.iter().take(window.end_row).skip(window.start_row) {
        let mut values: Vec<Value> = cells
            .iter()
            .take(window.end_col)
            .skip(window.start_col)
            .map(cell_data_json)
            .collect();
        while values
            .last()
            .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
        {
            values.pop();
        }
        rows.push(if values.is_empty() {
            json!({})
        } else {
            json!({ "values": values })
        });
    }
    while rows
        .last()
        .is_some_and(|r| r.as_object().is_some_and(Map::is_empty))
    {
        rows.pop();
    }
    let mut data = Map::new();
    if window.start_row > 0 {
        data.insert("startRow".into(), window.start_row.into());
    }
    if window.start_col > 0 {
        data.insert("startColumn".into(), window.start_col.into());
    }
    if !rows.is_empty() {
        data.insert("rowData".into(), Value::Array(rows));
    }
    Value::Object(data)
}

/// One `CellData`: what was entered, its effective value (formulas are not evaluated, so
/// their text), how it displays, and its number format.
fn cell_data_json(cell: &Cell) -> Value {
    let mut out = Map::new();
    if let Some(value) = &cell.value {
        let (entered, effective) = match value {
            CellValue::Text(s) => (json!({ "stringValue": s }), json!({ "stringValue": s })),
            CellValue::Number(n) => {
                let n = number_json(*n);
                (json!({ "numberValue": n }), json!({ "numberValue": n }))
            }
            CellValue::Bool(b) => (json!({ "boolValue": b }), json!({ "boolValue": b })),
            CellValue::Formula(f) => (json!({ "formulaValue": f }), json!({ "stringValue": f })),
        };
        out.insert("userEnteredValue".into(), entered);
        out.insert("effectiveValue".into(), effective);
        let formatted = RenderOptions {
            value: ValueRender::Formatted,
            ..RenderOptions::default()
        };
        if let Some(shown) = render_cell(cell, &formatted) {
            out.insert("formattedValue".into(), shown);
        }
    }
    if let Some(format) = &cell.number_format {
        out.insert(
            "userEnteredFormat".into(),
            json!({ "numberFormat": format.as_ref() }),
        );
    }
    Value::Object(out)
}

/// One `ValueRange` for `range`: `majorDimension` is `ROWS` (default) or `COLUMNS`.
pub fn value_range(
    wb: &Workbook,
    range: &str,
    options: &RenderOptions,
    major_dimension: Option<&str>,
) -> Result<Value, ApiError> {
    let (tab, window) = wb.resolve_range(range)?;
    let rows = tab.read(&window, options);
    let (dimension, values) = match major_dimension {
        None | Some("ROWS" | "DIMENSION_UNSPECIFIED") => ("ROWS", rows),
        Some("COLUMNS") => ("COLUMNS", transpose(rows)),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value at 'major_dimension' \
                 (type.googleapis.com/google.apps.sheets.v4.Dimension), \"{other}\""
            )));
        }
    };
    let mut out = json!({ "range": window.to_a1(&tab.title), "majorDimension": dimension });
    if !values.is_empty() {
        out["values"] = Value::Array(values.into_iter().map(Value::Array).collect());
    }
    Ok(out)
}

/// Rows to columns, trimming trailing empties the same way.
fn transpose(rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..width)
        .map(|c| {
            let mut column: Vec<Value> = rows
                .iter()
                .map(|r| r.get(c).cloned().unwrap_or_else(|| Value::from("")))
                .collect();
            while column.last().is_some_and(|v| v == "") {
                column.pop();
            }
            column
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook() -> Workbook {
        let mut wb = Workbook::new("s");
        wb.set_rows(
            "Sheet1",
            vec![
                vec![json!("a"), json!(null), json!(2)],
                vec![],
                vec![json!(true)],
            ],
        );
        wb.set_rows("Other", vec![vec![json!("o")]]);
        wb
    }

    #[test]
    fn transpose_trims() {
        let rows = vec![vec![json!("a"), json!("b")], vec![], vec![json!("c")]];
        assert_eq!(
            transpose(rows),
            vec![vec![json!("a"), json!(""), json!("c")], vec![json!("b")]]
        );
    }

    #[test]
    fn spreadsheet_lists_tabs_and_ranges_restrict_them() {
        let wb = workbook();
        let all = spreadsheet_json(&wb, "http://x/", &[], false).unwrap();
        assert_eq!(all["sheets"].as_array().unwrap().len(), 2);
        assert!(all["sheets"][0].get("data").is_none());
        let one = spreadsheet_json(&wb, "http://x/", &["Other!A1:B2".into()], false).unwrap();
        let sheets = one["sheets"].as_array().unwrap();
        assert_eq!(sheets.len(), 1);
        assert_eq!(sheets[0]["properties"]["title"], "Other");
        assert_eq!(sheets[0]["properties"]["index"], 1);
        let missing = spreadsheet_json(&wb, "http://x/", &["Nope!A1".into()], false).unwrap_err();
        assert_eq!(missing.message, "Unable to parse range: Nope!A1");
    }

    #[test]
    fn grid_data_carries_entered_effective_and_formatted_values() {
        let wb = workbook();
        let out = spreadsheet_json(&wb, "http://x/", &[], true).unwrap();
        let data = &out["sheets"][0]["data"][0];
        assert!(data.get("startRow").is_none());
        let rows = data["rowData"].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0]["values"][0]["userEnteredValue"],
            json!({ "stringValue": "a" })
        );
        assert_eq!(rows[0]["values"][1], json!({}));
        assert_eq!(
            rows[0]["values"][2]["effectiveValue"],
            json!({ "numberValue": 2 })
        );
        assert_eq!(rows[0]["values"][2]["formattedValue"], "2");
        assert_eq!(rows[1], json!({}));
        assert_eq!(rows[2]["values"][0]["formattedValue"], "TRUE");
        let part = spreadsheet_json(&wb, "http://x/", &["Sheet1!B1:C3".into()], true).unwrap();
        let data = &part["sheets"][0]["data"][0];
        assert_eq!(data["startColumn"], 1);
        assert_eq!(
            data["rowData"],
            json!([{ "values": [{}, data["rowData"][0]["values"][1].clone()] }])
        );
        assert_eq!(
            data["rowData"][0]["values"][1]["userEnteredValue"],
            json!({ "numberValue": 2 })
        );
    }
}
