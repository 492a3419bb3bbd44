//! Batch building: budgets respected, order kept, contiguous runs grouped, and every body
//! exactly what google-sheets4's typed schema would send.

use google_sheets4::api::BatchUpdateSpreadsheetRequest;
use serde_json::{Value, json};

use super::*;
use crate::sheet::plan::{apply, plan};
use crate::table::{Format, Table};

fn grid() -> Grid {
    Grid {
        sheet_id: 9,
        row_count: 1000,
        column_count: 26,
    }
}

fn export(rows: usize, width: usize) -> Table {
    Table {
        format: Format::Csv,
        header: (0..width).map(|c| format!("col{c}")).collect(),
        rows: (0..rows)
            .map(|r| {
                (0..width)
                    .map(|c| match c {
                        0 => Cell::Int(r as i64),
                        _ => Cell::Text(format!("r{r}c{c} \"text\"")),
                    })
                    .collect()
            })
            .collect(),
        warnings: vec![],
    }
}

/// Parses a body through the typed schema and back: any field the schema does not know
/// would be lost and the comparison would fail.
fn typed_roundtrip(body: &[u8]) -> (Value, BatchUpdateSpreadsheetRequest) {
    let mine: Value = serde_json::from_slice(body).unwrap();
    let typed: BatchUpdateSpreadsheetRequest = serde_json::from_slice(body).unwrap();
    let mut back = serde_json::to_value(&typed).unwrap();
    google_sheets4::common::remove_json_null_values(&mut back);
    assert_eq!(mine, back);
    (mine, typed)
}

#[test]
fn first_load_grows_the_grid_writes_header_then_new_rows_at_explicit_rows_within_budget() {
    let t = export(2000, 30);
    let p = plan(&[], &t, &[]).unwrap();
    let out: Vec<Batch> = batches(&p, grid(), 100_000).collect();
    assert!(out.len() > 1, "{}", out.len());
    let total: usize = out.iter().map(|b| b.body.len()).sum();
    assert!(
        out.len() <= total.div_ceil(100_000) + 1,
        "{} batches for {total} bytes",
        out.len()
    );
    let mut appended = Vec::new();
    for (i, b) in out.iter().enumerate() {
        assert!(b.body.len() <= 100_000, "batch {i}: {}", b.body.len());
        let (_, typed) = typed_roundtrip(&b.body);
        let requests = typed.requests.unwrap();
        assert_eq!(requests.len(), b.subrequests);
        if i == 0 {
            let columns = requests[0].append_dimension.as_ref().unwrap();
            assert_eq!(
                (columns.dimension.as_deref(), columns.length),
                (Some("COLUMNS"), Some(4))
            );
            // 2000 rows after the header need 2001 of the grid's 1000.
            let rows = requests[1].append_dimension.as_ref().unwrap();
            assert_eq!(
                (rows.dimension.as_deref(), rows.length),
                (Some("ROWS"), Some(1001))
            );
            let header = requests[2].update_cells.as_ref().unwrap();
            assert_eq!(header.start.as_ref().unwrap().row_index, Some(0));
            assert_eq!(
                header.rows.as_ref().unwrap()[0]
                    .values
                    .as_ref()
                    .unwrap()
                    .len(),
                30
            );
        }
        assert!(requests.iter().all(|r| r.append_cells.is_none()));
        for r in requests.iter().filter_map(|r| r.update_cells.as_ref()) {
            let start = r.start.as_ref().unwrap();
            assert_eq!(start.sheet_id, Some(9));
            if start.row_index == Some(0) {
                continue;
            }
            assert_eq!(start.column_index, Some(0));
            for (k, row) in r.rows.as_ref().unwrap().iter().enumerate() {
                let first = &row.values.as_ref().unwrap()[0];
                let id = first
                    .user_entered_value
                    .as_ref()
                    .unwrap()
                    .number_value
                    .unwrap() as usize;
                // Export row `id` goes to grid row `id + 1`, explicitly.
                assert_eq!(start.row_index.unwrap() as usize + k, id + 1);
                appended.push(id);
            }
        }
    }
    assert_eq!(
        appended,
        (0..2000).collect::<Vec<_>>(),
        "every row once, in export order"
    );
}

#[test]
fn changed_cells_are_grouped_into_contiguous_runs() {
    let sheet: Vec<Vec<Value>> =
        serde_json::from_value(json!([["id", "a", "b", "c", "d"], [1, "x", "y", "z", "w"]]))
            .unwrap();
    let text = |s: &str| Cell::Text(s.into());
    let t = Table {
        format: Format::Csv,
        header: ["id", "a", "b", "c", "d"].map(String::from).to_vec(),
        rows: vec![vec![
            Cell::Int(1),
            text("X"),
            text("Y"),
            text("z"),
            text("W"),
        ]],
        warnings: vec![],
    };
    let p = plan(&sheet, &t, &["id".to_string()]).unwrap();
    let out: Vec<Batch> = batches(&p, grid(), DEFAULT_MAX_BATCH_BYTES).collect();
    assert_eq!(out.len(), 1);
    let (body, _) = typed_roundtrip(&out[0].body);
    assert_eq!(
        body,
        json!({"requests": [
            {"updateCells": {"start": {"sheetId": 9, "rowIndex": 1, "columnIndex": 1},
             "rows": [{"values": [{"userEnteredValue": {"stringValue": "X"}}, {"userEnteredValue": {"stringValue": "Y"}}]}],
             "fields": "userEnteredValue"}},
            {"updateCells": {"start": {"sheetId": 9, "rowIndex": 1, "columnIndex": 4},
             "rows": [{"values": [{"userEnteredValue": {"stringValue": "W"}}]}],
             "fields": "userEnteredValue"}},
        ]})
    );
}

#[test]
fn dated_updates_also_set_the_number_format_and_clears_are_empty_cells() {
    let sheet: Vec<Vec<Value>> =
        serde_json::from_value(json!([["id", "day", "v"], [1, 1, "x"]])).unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let t = Table {
        format: Format::Csv,
        header: ["id", "day", "v"].map(String::from).to_vec(),
        rows: vec![vec![Cell::Int(1), Cell::Date(day), Cell::Empty]],
        warnings: vec![],
    };
    let p = plan(&sheet, &t, &["id".to_string()]).unwrap();
    let out: Vec<Batch> = batches(&p, grid(), DEFAULT_MAX_BATCH_BYTES).collect();
    let (body, _) = typed_roundtrip(&out[0].body);
    let update = &body["requests"][0]["updateCells"];
    assert_eq!(
        update["fields"],
        "userEnteredValue,userEnteredFormat.numberFormat"
    );
    assert_eq!(
        update["rows"][0]["values"][0]["userEnteredFormat"]["numberFormat"]["pattern"],
        "yyyy-mm-dd"
    );
    assert_eq!(update["rows"][0]["values"].as_array().unwrap().len(), 1);
    // The clear next to it is its own run under the value-only mask: a `{}` cell under a
    // numberFormat mask would also wipe the format a person chose for that column.
    let clear = &body["requests"][1]["updateCells"];
    assert_eq!(clear["fields"], "userEnteredValue");
    assert_eq!(clear["start"]["columnIndex"], 2);
    assert_eq!(clear["rows"][0]["values"], json!([{}]));
}

#[test]
fn a_number_next_to_a_changed_date_keeps_its_number_format() {
    let sheet: Vec<Vec<Value>> =
        serde_json::from_value(json!([["id", "day", "amount"], [1, 1, 5]])).unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let t = Table {
        format: Format::Csv,
        header: ["id", "day", "amount"].map(String::from).to_vec(),
        rows: vec![vec![Cell::Int(1), Cell::Date(day), Cell::Decimal(6.5)]],
        warnings: vec![],
    };
    let p = plan(&sheet, &t, &["id".to_string()]).unwrap();
    let out: Vec<Batch> = batches(&p, grid(), DEFAULT_MAX_BATCH_BYTES).collect();
    let (body, _) = typed_roundtrip(&out[0].body);
    for request in body["requests"].as_array().unwrap() {
        let update = &request["updateCells"];
        let dated = update["rows"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("userEnteredFormat").is_some());
        let expected = if dated {
            "userEnteredValue,userEnteredFormat.numberFormat"
        } else {
            "userEnteredValue"
        };
        assert_eq!(update["fields"], expected, "{update}");
    }
    assert_eq!(body["requests"].as_array().unwrap().len(), 2, "{body}");
}

#[test]
fn empty_plan_makes_no_batch() {
    let t = export(3, 2);
    let mut sheet = Vec::new();
    apply(&plan(&[], &t, &[]).unwrap(), &mut sheet);
    let p = plan(&sheet, &t, &[]).unwrap();
    assert!(p.is_empty());
    assert_eq!(batches(&p, grid(), DEFAULT_MAX_BATCH_BYTES).count(), 0);
}

#[test]
fn a_row_larger_than_the_budget_travels_alone() {
    let t = export(3, 5);
    let p = plan(&[], &t, &[]).unwrap();
    let out: Vec<Batch> = batches(&p, grid(), 50).collect();
    // Header alone, then one row per batch.
    assert_eq!(out.len(), 4);
    assert!(out.iter().all(|b| b.subrequests == 1));
}

/// New rows go below the last row holding data, at explicit indices, and the grid grows only
/// by the rows missing: a resent body writes the same cells again.
#[test]
fn new_rows_below_existing_data_grow_the_grid_only_as_needed() {
    let t = export(5, 2);
    let mut sheet = Vec::new();
    apply(&plan(&[], &t, &[]).unwrap(), &mut sheet);
    let more = export(8, 2);
    let p = plan(&sheet, &more, &[]).unwrap();
    assert_eq!((p.append_at, p.appends.len()), (6, 3));
    let small = Grid {
        row_count: 7,
        ..grid()
    };
    let out: Vec<Batch> = batches(&p, small, DEFAULT_MAX_BATCH_BYTES).collect();
    assert_eq!(out.len(), 1);
    let (json, _) = typed_roundtrip(&out[0].body);
    assert_eq!(
        json["requests"][0],
        json!({"appendDimension": {"sheetId": 9, "dimension": "ROWS", "length": 2}})
    );
    let write = &json["requests"][1]["updateCells"];
    assert_eq!(
        write["start"],
        json!({"sheetId": 9, "rowIndex": 6, "columnIndex": 0})
    );
    assert_eq!(write["rows"].as_array().unwrap().len(), 3);
    // A grid already tall enough is not grown.
    let out: Vec<Batch> = batches(&p, grid(), DEFAULT_MAX_BATCH_BYTES).collect();
    let (json, _) = typed_roundtrip(&out[0].body);
    assert!(json["requests"][0].get("updateCells").is_some(), "{json}");
}
