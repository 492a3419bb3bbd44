//! Turns a [`Plan`] into as few `spreadsheets.batchUpdate` bodies as the payload limit
//! allows. Within the first batch, in order: the grid grows to the columns needed
//! (`appendDimension`), the header is extended (`updateCells` on row 0), changed cells are
//! overwritten (`updateCells`, one per contiguous run of cells in a row), then new rows are
//! added (`appendCells`, which grows the grid's rows itself). Large appends are split over
//! several `appendCells`, and requests spill into further batches, each all-or-nothing; a run
//! that dies between batches is repaired by the next one (its read sees what landed).

use google_sheets4::FieldMask;
use google_sheets4::api::{
    AppendCellsRequest, AppendDimensionRequest, BatchUpdateSpreadsheetRequest, CellData,
    GridCoordinate, Request, RowData, UpdateCellsRequest,
};

use super::plan::{CellUpdate, Plan};
use super::values;
use crate::table::Cell;

/// Default budget for one batchUpdate body (Google advises keeping payloads near 2 MB).
pub const DEFAULT_MAX_BATCH_BYTES: usize = 2_000_000;

/// The tab as the writer needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub sheet_id: i32,
    pub row_count: usize,
    pub column_count: usize,
}

/// One batchUpdate body and its serialized size.
#[derive(Debug)]
pub struct Batch {
    pub request: BatchUpdateSpreadsheetRequest,
    pub bytes: usize,
    pub subrequests: usize,
}

const VALUE_MASK: &str = "userEnteredValue";
const VALUE_AND_FORMAT_MASK: &str = "userEnteredValue,userEnteredFormat.numberFormat";
/// `{"requests":[]}` and the per-request comma.
const BATCH_OVERHEAD: usize = 16;

/// Builds the batches that apply `plan` to the tab `grid`.
pub fn batches(plan: &Plan<'_>, grid: Grid, max_batch_bytes: usize) -> Vec<Batch> {
    let mut requests = Vec::new();
    if plan.width > grid.column_count {
        requests.push(Request {
            append_dimension: Some(AppendDimensionRequest {
                sheet_id: Some(grid.sheet_id),
                dimension: Some("COLUMNS".into()),
                length: Some(to_i32(plan.width - grid.column_count)),
            }),
            ..Default::default()
        });
    }
    if !plan.add_columns.is_empty() {
        let header: Vec<CellData> = plan
            .add_columns
            .iter()
            .map(|name| values::to_cell_data(&Cell::Text(name.clone())))
            .collect();
        requests.push(update_cells(
            grid.sheet_id,
            0,
            plan.add_columns_at,
            header,
            VALUE_MASK,
        ));
    }
    for run in runs(&plan.updates) {
        let first = &run[0];
        let mask = if run.iter().any(|u| values::is_dated(u.value)) {
            VALUE_AND_FORMAT_MASK
        } else {
            VALUE_MASK
        };
        let cells = run.iter().map(|u| values::to_cell_data(u.value)).collect();
        requests.push(update_cells(
            grid.sheet_id,
            first.row,
            first.col,
            cells,
            mask,
        ));
    }
    let row_budget = max_batch_bytes.saturating_sub(BATCH_OVERHEAD + 200).max(1);
    for chunk in append_chunks(&plan.appends, row_budget) {
        let rows = chunk
            .iter()
            .map(|row| RowData {
                values: Some(
                    trimmed(row)
                        .iter()
                        .map(|c| values::to_cell_data(c))
                        .collect(),
                ),
            })
            .collect();
        requests.push(Request {
            append_cells: Some(AppendCellsRequest {
                sheet_id: Some(grid.sheet_id),
                rows: Some(rows),
                fields: Some(field_mask(VALUE_AND_FORMAT_MASK)),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    pack(requests, max_batch_bytes)
}

/// A request's size on the wire (the client strips nulls before sending, so do we).
pub fn request_bytes(request: &Request) -> usize {
    let mut value = serde_json::to_value(request).expect("Sheets requests serialize");
    google_sheets4::common::remove_json_null_values(&mut value);
    serde_json::to_vec(&value).map_or(0, |v| v.len())
}

/// Packs requests, in order, into batches of at most `max_bytes` (a request larger than that
/// travels alone).
fn pack(requests: Vec<Request>, max_bytes: usize) -> Vec<Batch> {
    let mut batches: Vec<Batch> = Vec::new();
    let mut current: Vec<Request> = Vec::new();
    let mut current_bytes = BATCH_OVERHEAD;
    let close = |reqs: &mut Vec<Request>, bytes: &mut usize, out: &mut Vec<Batch>| {
        if !reqs.is_empty() {
            out.push(Batch {
                subrequests: reqs.len(),
                request: BatchUpdateSpreadsheetRequest {
                    requests: Some(std::mem::take(reqs)),
                    ..Default::default()
                },
                bytes: *bytes,
            });
        }
        *bytes = BATCH_OVERHEAD;
    };
    for request in requests {
        let size = request_bytes(&request) + 1;
        if !current.is_empty() && current_bytes + size > max_bytes {
            close(&mut current, &mut current_bytes, &mut batches);
        }
        current_bytes += size;
        current.push(request);
    }
    close(&mut current, &mut current_bytes, &mut batches);
    batches
}

fn update_cells(
    sheet_id: i32,
    row: usize,
    col: usize,
    cells: Vec<CellData>,
    mask: &str,
) -> Request {
    Request {
        update_cells: Some(UpdateCellsRequest {
            start: Some(GridCoordinate {
                sheet_id: Some(sheet_id),
                row_index: Some(to_i32(row)),
                column_index: Some(to_i32(col)),
            }),
            rows: Some(vec![RowData {
                values: Some(cells),
            }]),
            fields: Some(field_mask(mask)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Splits sorted updates into runs of adjacent cells in one row.
fn runs<'p, 't>(updates: &'p [CellUpdate<'t>]) -> impl Iterator<Item = &'p [CellUpdate<'t>]> {
    updates.chunk_by(|a, b| a.row == b.row && a.col + 1 == b.col)
}

/// Splits the appended rows into chunks whose estimated JSON fits `budget` bytes.
fn append_chunks<'p, 't>(rows: &'p [Vec<&'t Cell>], budget: usize) -> Vec<&'p [Vec<&'t Cell>]> {
    const ROW_OVERHEAD: usize = r#"{"values":[]},"#.len();
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let size = ROW_OVERHEAD
            + trimmed(row)
                .iter()
                .map(|c| values::cell_json_len(c))
                .sum::<usize>();
        if i > start && bytes + size > budget {
            chunks.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < rows.len() {
        chunks.push(&rows[start..]);
    }
    chunks
}

/// A row without its trailing empty cells (they would write nothing).
fn trimmed<'p, 't>(row: &'p [&'t Cell]) -> &'p [&'t Cell] {
    let end = row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
    &row[..end]
}

fn field_mask(paths: &str) -> FieldMask {
    paths.parse().unwrap_or_default()
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sheet::plan::plan;
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
                        .map(|c| Cell::Text(format!("r{r}c{c}-some-text")))
                        .collect()
                })
                .collect(),
            warnings: vec![],
        }
    }

    #[test]
    fn first_load_grows_columns_writes_header_then_appends_within_budget() {
        let t = export(2000, 30);
        let p = plan(&[], &t, &[]).unwrap();
        let out = batches(&p, grid(), 200_000);
        assert!(out.len() > 1, "{}", out.len());
        for b in &out {
            let real = serde_json::to_value(&b.request).map(|mut v| {
                google_sheets4::common::remove_json_null_values(&mut v);
                serde_json::to_vec(&v).unwrap().len()
            });
            assert!(real.unwrap() <= 200_000);
        }
        let first = out[0].request.requests.as_ref().unwrap();
        assert_eq!(first[0].append_dimension.as_ref().unwrap().length, Some(4));
        assert_eq!(
            first[1]
                .update_cells
                .as_ref()
                .unwrap()
                .rows
                .as_ref()
                .unwrap()[0]
                .values
                .as_ref()
                .unwrap()
                .len(),
            30
        );
        let appended: usize = out
            .iter()
            .flat_map(|b| b.request.requests.as_ref().unwrap())
            .filter_map(|r| r.append_cells.as_ref())
            .map(|a| a.rows.as_ref().unwrap().len())
            .sum();
        assert_eq!(appended, 2000);
    }

    #[test]
    fn changed_cells_are_grouped_into_contiguous_runs() {
        let sheet: Vec<Vec<serde_json::Value>> =
            serde_json::from_value(json!([["id", "a", "b", "c"], [1, "x", "y", "z"]])).unwrap();
        let t = Table {
            format: Format::Csv,
            header: ["id", "a", "b", "c"].map(String::from).to_vec(),
            rows: vec![vec![
                Cell::Int(1),
                Cell::Text("X".into()),
                Cell::Text("Y".into()),
                Cell::Text("z".into()),
            ]],
            warnings: vec![],
        };
        let p = plan(&sheet, &t, &["id".to_string()]).unwrap();
        let out = batches(&p, grid(), DEFAULT_MAX_BATCH_BYTES);
        assert_eq!(out.len(), 1);
        let reqs = out[0].request.requests.as_ref().unwrap();
        assert_eq!(reqs.len(), 1);
        let u = reqs[0].update_cells.as_ref().unwrap();
        assert_eq!(u.start.as_ref().unwrap().column_index, Some(1));
        assert_eq!(
            u.rows.as_ref().unwrap()[0].values.as_ref().unwrap().len(),
            2
        );
        assert_eq!(u.fields.as_ref().unwrap().to_string(), VALUE_MASK);
    }

    #[test]
    fn empty_plan_makes_no_batch() {
        let t = export(3, 2);
        let mut sheet = Vec::new();
        crate::sheet::plan::apply(&plan(&[], &t, &[]).unwrap(), &mut sheet);
        let p = plan(&sheet, &t, &[]).unwrap();
        assert!(batches(&p, grid(), DEFAULT_MAX_BATCH_BYTES).is_empty());
    }
}
