//! Unit tests of batchUpdate semantics on the pure model.

use serde_json::{Value, json};

use super::*;
use crate::sim::sheets::render::RenderOptions;

fn text(s: &str) -> Value {
    json!({ "userEnteredValue": { "stringValue": s } })
}

fn num(n: f64) -> Value {
    json!({ "userEnteredValue": { "numberValue": n } })
}

fn row(cells: Vec<Value>) -> Value {
    json!({ "values": cells })
}

fn update_at(sheet_id: i32, r: i32, c: i32, rows: Vec<Value>) -> Value {
    json!({ "updateCells": {
        "start": { "sheetId": sheet_id, "rowIndex": r, "columnIndex": c },
        "rows": rows,
        "fields": "userEnteredValue",
    }})
}

fn apply(wb: &mut Workbook, requests: Vec<Value>) -> Result<Vec<Value>, ApiError> {
    let (next, replies) = apply_batch(wb, requests)?;
    *wb = next;
    Ok(replies)
}

fn rows_of(wb: &Workbook, title: &str) -> Vec<Vec<Value>> {
    wb.snapshot().tab(title).expect("tab").rows.clone()
}

#[test]
fn add_sheet_replies_with_properties_and_refuses_duplicates() {
    let mut wb = Workbook::new("s");
    let replies = apply(
        &mut wb,
        vec![json!({ "addSheet": { "properties": { "title": "Data #1" } } })],
    )
    .unwrap();
    let props = &replies[0]["addSheet"]["properties"];
    assert_eq!(props["title"], "Data #1");
    assert_eq!(props["index"], 1);
    assert_eq!(props["gridProperties"]["rowCount"], 1000);
    assert_eq!(props["gridProperties"]["columnCount"], 26);
    let id = props["sheetId"].as_i64().unwrap();
    assert!(id > 0);
    assert_eq!(wb.tabs[1].sheet_id as i64, id);

    let err = apply(
        &mut wb,
        vec![json!({ "addSheet": { "properties": { "title": "data #1" } } })],
    )
    .unwrap_err();
    assert_eq!(err.status, 400);
    assert_eq!(
        err.message,
        "Invalid requests[0].addSheet: A sheet with the name \"data #1\" already exists. Please enter another name."
    );
    let replies = apply(&mut wb, vec![json!({ "addSheet": {} })]).unwrap();
    assert_eq!(replies[0]["addSheet"]["properties"]["title"], "Sheet2");
}

#[test]
fn update_cells_keeps_types_and_formats() {
    let mut wb = Workbook::new("s");
    let date = json!({
        "userEnteredValue": { "numberValue": 45658.5 },
        "userEnteredFormat": { "numberFormat": { "type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm" } },
    });
    let replies = apply(&mut wb, vec![json!({ "updateCells": {
        "start": { "sheetId": 0, "rowIndex": 0, "columnIndex": 0 },
        "rows": [row(vec![text("0812"), num(7.0), json!({ "userEnteredValue": { "boolValue": true } }), text("7e30"), date])],
        "fields": "userEnteredValue,userEnteredFormat.numberFormat",
    }})]).unwrap();
    assert_eq!(replies, vec![json!({})]);
    assert_eq!(
        rows_of(&wb, "Sheet1"),
        vec![vec![
            json!("0812"),
            json!(7),
            json!(true),
            json!("7e30"),
            json!(45658.5)
        ]]
    );
    let (tab, window) = wb.resolve_range("Sheet1!A1:E1").unwrap();
    let formatted = RenderOptions::from_query(None, None).unwrap();
    assert_eq!(
        tab.read(&window, &formatted),
        vec![vec![
            json!("0812"),
            json!("7"),
            json!("TRUE"),
            json!("7e30"),
            json!("2025-01-01 12:00")
        ]]
    );
}

#[test]
fn field_mask_decides_what_is_written_and_empty_cells_clear() {
    let mut wb = Workbook::new("s");
    wb.set_rows("Sheet1", vec![vec![json!("a"), json!("b"), json!("c")]]);
    // An empty CellData under a userEnteredValue mask clears; cells not given stay.
    apply(
        &mut wb,
        vec![json!({ "updateCells": {
            "start": { "sheetId": 0, "rowIndex": 0, "columnIndex": 1 },
            "rows": [{ "values": [{}] }],
            "fields": "user_entered_value",
        }})],
    )
    .unwrap();
    assert_eq!(
        rows_of(&wb, "Sheet1"),
        vec![vec![json!("a"), Value::Null, json!("c")]]
    );
    // A mask without userEnteredValue leaves values alone.
    apply(
        &mut wb,
        vec![json!({ "updateCells": {
            "start": { "sheetId": 0 }, "rows": [row(vec![text("zzz")])], "fields": "note",
        }})],
    )
    .unwrap();
    assert_eq!(rows_of(&wb, "Sheet1")[0][0], json!("a"));
    let err = apply(
        &mut wb,
        vec![json!({ "updateCells": { "start": { "sheetId": 0 }, "rows": [] } })],
    )
    .unwrap_err();
    assert!(
        err.message.contains("At least one field"),
        "{}",
        err.message
    );
}

#[test]
fn update_cells_with_range_clears_the_rest_of_the_range() {
    let mut wb = Workbook::new("s");
    wb.set_rows(
        "Sheet1",
        vec![
            vec![json!(1), json!(2)],
            vec![json!(3), json!(4)],
            vec![json!(5)],
        ],
    );
    apply(&mut wb, vec![json!({ "updateCells": {
        "range": { "sheetId": 0, "startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 2 },
        "rows": [row(vec![text("x")])],
        "fields": "*",
    }})]).unwrap();
    assert_eq!(
        rows_of(&wb, "Sheet1"),
        vec![vec![json!("x")], vec![], vec![json!(5)]]
    );
}

#[test]
fn writing_outside_the_grid_fails() {
    let mut wb = Workbook::new("s");
    let err = apply(
        &mut wb,
        vec![update_at(0, 999, 25, vec![row(vec![text("a"), text("b")])])],
    )
    .unwrap_err();
    assert_eq!(err.status, 400);
    assert_eq!(
        err.message,
        "Invalid requests[0].updateCells: Range (Sheet1!Z1000:AA1000) exceeds grid limits. Max rows: 1000, max columns: 26"
    );
    let err = apply(
        &mut wb,
        vec![update_at(0, 1000, 0, vec![row(vec![text("a")])])],
    )
    .unwrap_err();
    assert!(
        err.message.contains("exceeds grid limits"),
        "{}",
        err.message
    );
    // The last cell of the grid is fine.
    apply(
        &mut wb,
        vec![update_at(0, 999, 25, vec![row(vec![text("a")])])],
    )
    .unwrap();
    let err = apply(
        &mut wb,
        vec![update_at(77, 0, 0, vec![row(vec![text("a")])])],
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "Invalid requests[0].updateCells: No grid with id: 77"
    );
}

#[test]
fn append_cells_goes_after_the_last_row_with_data_and_grows_the_grid() {
    let mut wb = Workbook::new("s");
    wb.set_rows(
        "Sheet1",
        vec![vec![json!("h")], vec![], vec![json!("last")]],
    );
    let rows: Vec<Value> = (0..1200).map(|i| row(vec![num(i as f64)])).collect();
    apply(
        &mut wb,
        vec![
            json!({ "appendCells": { "sheetId": 0, "rows": rows, "fields": "userEnteredValue" } }),
        ],
    )
    .unwrap();
    let state = wb.snapshot();
    let tab = state.tab("Sheet1").unwrap();
    assert_eq!(tab.rows[3], vec![json!(0)]);
    assert_eq!(tab.rows.len(), 1203);
    assert_eq!(tab.row_count, 1203);
    let err = apply(&mut wb, vec![json!({ "appendCells": {
        "sheetId": 0, "rows": [row((0..27).map(|_| text("w")).collect())], "fields": "userEnteredValue",
    }})]).unwrap_err();
    assert!(
        err.message.contains("exceeds grid limits"),
        "{}",
        err.message
    );
}

#[test]
fn append_dimension_grows_rows_and_columns() {
    let mut wb = Workbook::new("s");
    apply(
        &mut wb,
        vec![
            json!({ "appendDimension": { "sheetId": 0, "dimension": "COLUMNS", "length": 2 } }),
            update_at(0, 0, 27, vec![row(vec![text("AB1")])]),
            json!({ "appendDimension": { "sheetId": 0, "dimension": "ROWS", "length": 5 } }),
        ],
    )
    .unwrap();
    assert_eq!((wb.tabs[0].row_count, wb.tabs[0].column_count), (1005, 28));
    for bad in [
        json!({ "dimension": "ROWS", "length": 0 }),
        json!({ "dimension": "CELLS", "length": 1 }),
    ] {
        let err = apply(&mut wb, vec![json!({ "appendDimension": bad })]).unwrap_err();
        assert_eq!(err.status, 400);
    }
}

#[test]
fn batches_are_all_or_nothing() {
    let mut wb = Workbook::new("s");
    wb.set_rows("Sheet1", vec![vec![json!("keep")]]);
    let before = wb.clone();
    let err = apply(
        &mut wb,
        vec![
            json!({ "addSheet": { "properties": { "title": "New" } } }),
            update_at(0, 0, 0, vec![row(vec![text("changed")])]),
            json!({ "appendDimension": { "sheetId": 0, "dimension": "ROWS", "length": 10 } }),
            update_at(0, 5000, 0, vec![row(vec![text("too far")])]),
        ],
    )
    .unwrap_err();
    assert!(
        err.message.starts_with("Invalid requests[3].updateCells"),
        "{}",
        err.message
    );
    assert_eq!(wb, before);
}

#[test]
fn the_ten_million_cell_limit_holds() {
    let mut wb = Workbook::new("s");
    // 26,000 cells exist; 384,000 more rows of 26 columns would pass 10 million.
    let err = apply(
        &mut wb,
        vec![
            json!({ "appendDimension": { "sheetId": 0, "dimension": "ROWS", "length": 384_000 } }),
        ],
    )
    .unwrap_err();
    assert!(
        err.message.contains("above the limit of 10000000 cells"),
        "{}",
        err.message
    );
    apply(
        &mut wb,
        vec![
            json!({ "appendDimension": { "sheetId": 0, "dimension": "ROWS", "length": 383_000 } }),
        ],
    )
    .unwrap();
    assert_eq!(wb.cell_total(), 384_000 * 26);
    let err = apply(
        &mut wb,
        vec![json!({ "addSheet": { "properties": { "title": "More" } } })],
    )
    .unwrap_err();
    assert!(
        err.message
            .starts_with("Invalid requests[0].addSheet: This action would increase"),
        "{}",
        err.message
    );
}

#[test]
fn malformed_and_unsupported_requests_are_refused() {
    let mut wb = Workbook::new("s");
    let cases = [
        (
            json!({ "deleteSheet": { "sheetId": 0 } }),
            "not supported by the Sheets simulator",
        ),
        (json!({}), "No request set"),
        (json!({ "addSheet": {}, "appendCells": {} }), "oneof field"),
        (
            json!({ "updateCells": { "rows": "nope", "fields": "*" } }),
            "Invalid JSON payload",
        ),
        (
            json!({ "updateCells": { "start": {}, "range": {}, "fields": "*" } }),
            "Exactly one of",
        ),
        (
            json!({ "updateCells": { "start": { "rowIndex": -1 }, "fields": "*", "rows": [] } }),
            "non-negative",
        ),
        (
            json!({ "updateCells": { "start": {}, "fields": "*", "rows": [{ "values": [{ "userEnteredValue": { "stringValue": "a", "numberValue": 1 } }] }] } }),
            "Only one of",
        ),
    ];
    for (request, expected) in cases {
        let err = apply(&mut wb, vec![request.clone()]).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.message.contains(expected), "{request}: {}", err.message);
    }
    assert_eq!(
        apply(&mut wb, vec![]).unwrap_err().message,
        "Must specify at least one request."
    );
}

#[test]
fn update_sheet_properties_resizes_and_renames() {
    let mut wb = Workbook::new("s");
    wb.set_rows(
        "Sheet1",
        vec![vec![json!(1)], vec![json!(2)], vec![json!(3)]],
    );
    apply(&mut wb, vec![json!({ "updateSheetProperties": {
        "properties": { "sheetId": 0, "title": "Renamed", "gridProperties": { "rowCount": 2, "columnCount": 30 } },
        "fields": "title,gridProperties.rowCount,gridProperties.columnCount",
    }})]).unwrap();
    let state = wb.snapshot();
    let tab = state.tab("Renamed").unwrap();
    assert_eq!((tab.row_count, tab.column_count), (2, 30));
    assert_eq!(tab.rows, vec![vec![json!(1)], vec![json!(2)]]);
}

proptest::proptest! {
    /// A batch of single-cell writes, some possibly outside the 1000 x 26 grid: either every
    /// write lands exactly as a plain map of cells predicts, or (one is outside) nothing changes.
    #[test]
    fn batches_apply_whole_or_not_at_all(
        writes in proptest::collection::vec((0i32..1010, 0i32..28, 0u32..3, "[a-z0-9]{0,4}"), 1..12)
    ) {
        let mut wb = Workbook::new("s");
        wb.set_rows("Sheet1", vec![vec![json!("seed")]]);
        let before = wb.clone();
        let mut expected: std::collections::BTreeMap<(usize, usize), Value> =
            [((0, 0), json!("seed"))].into_iter().collect();
        let mut requests = Vec::new();
        for (r, c, kind, s) in &writes {
            let (cell, value) = match kind {
                0 => (text(s), json!(s)),
                1 => (num(s.len() as f64), json!(s.len())),
                _ => (json!({}), Value::Null),
            };
            requests.push(update_at(0, *r, *c, vec![row(vec![cell])]));
            if value.is_null() || value == json!("") {
                expected.remove(&(*r as usize, *c as usize));
            } else {
                expected.insert((*r as usize, *c as usize), value);
            }
        }
        let outside = writes.iter().any(|(r, c, _, _)| *r >= 1000 || *c >= 26);
        let result = apply(&mut wb, requests);
        if outside {
            proptest::prop_assert!(result.is_err());
            proptest::prop_assert_eq!(&wb, &before);
        } else {
            proptest::prop_assert!(result.is_ok(), "{:?}", result);
            let mut actual = std::collections::BTreeMap::new();
            for (r, cells) in rows_of(&wb, "Sheet1").into_iter().enumerate() {
                for (c, v) in cells.into_iter().enumerate().filter(|(_, v)| !v.is_null()) {
                    actual.insert((r, c), v);
                }
            }
            proptest::prop_assert_eq!(actual, expected);
        }
    }
}
