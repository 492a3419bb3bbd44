//! Turns a [`Plan`] into as few `spreadsheets.batchUpdate` bodies as the payload limit
//! allows, produced one at a time so memory stays at one body (about 2 MB) whatever the
//! export's size. In order: the grid grows to the columns and rows needed
//! (`appendDimension`), the header is extended (`updateCells` on row 0), changed cells are
//! overwritten (`updateCells`, one per contiguous run of cells in a row), then new rows are
//! written (`updateCells` at the explicit rows the plan gives them, each filling what is left
//! of its batch). Each body is all-or-nothing.
//!
//! Every body can be sent twice without harm: new rows go to explicit row indices taken from
//! the tab's read, never `appendCells` (which adds rows after whatever is there, so a resent
//! batch would add every row again). A batch that Google applied but answered with a 5xx or
//! 429, or never answered, is resent or re-planned and overwrites the same cells with the same
//! values. At worst a resent first batch grows the grid twice (empty rows, never data). A run
//! that dies between batches is repaired by the next one (its read sees what landed). The
//! rules are in `docs/upsert.md`.
//!
//! Bodies are serialized straight from the borrowed cells: google-sheets4's typed `Request`
//! is about 30 KB in memory and its `CellData` 3 KB, so a typed 100,000 x 27 first load
//! would need gigabytes. The JSON is the same schema (checked in `values` tests).

use serde::Serialize;
use serde::ser::SerializeSeq;

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

/// One batchUpdate body (JSON) and how many subrequests it holds.
#[derive(Debug)]
pub struct Batch {
    pub body: Vec<u8>,
    pub subrequests: usize,
}

const VALUE_MASK: &str = "userEnteredValue";
const VALUE_AND_FORMAT_MASK: &str = "userEnteredValue,userEnteredFormat.numberFormat";
const BODY_START: &[u8] = br#"{"requests":["#;
const BODY_END: &[u8] = b"]}";

/// The batches that apply `plan` to the tab `grid`, built lazily.
pub fn batches<'p, 't>(plan: &'p Plan<'t>, grid: Grid, max_batch_bytes: usize) -> Batches<'p, 't> {
    let grow_columns = (plan.width > grid.column_count).then(|| {
        to_json(&SubRequest::AppendDimension {
            sheet_id: grid.sheet_id,
            dimension: "COLUMNS",
            length: plan.width - grid.column_count,
        })
    });
    let rows_needed = if plan.appends.is_empty() {
        0
    } else {
        plan.append_at + plan.appends.len()
    };
    let grow_rows = (rows_needed > grid.row_count).then(|| {
        to_json(&SubRequest::AppendDimension {
            sheet_id: grid.sheet_id,
            dimension: "ROWS",
            length: rows_needed - grid.row_count,
        })
    });
    let grow = grow_columns.into_iter().chain(grow_rows);
    let header = (!plan.add_columns.is_empty()).then(|| {
        let names: Vec<Cell> = plan
            .add_columns
            .iter()
            .map(|n| Cell::Text(n.clone()))
            .collect();
        let cells: Vec<&Cell> = names.iter().collect();
        update_cells(grid.sheet_id, 0, plan.add_columns_at, &cells, VALUE_MASK)
    });
    let updates = runs(&plan.updates).map(move |run| {
        let mask = if values::is_dated(run[0].value) {
            VALUE_AND_FORMAT_MASK
        } else {
            VALUE_MASK
        };
        let cells: Vec<&Cell> = run.iter().map(|u| u.value).collect();
        update_cells(grid.sheet_id, run[0].row, run[0].col, &cells, mask)
    });
    Batches {
        small: (Box::new(grow.chain(header).chain(updates)) as Fragments<'p>).peekable(),
        appends: &plan.appends,
        append_at: plan.append_at,
        next_append: 0,
        sheet_id: grid.sheet_id,
        max_bytes: max_batch_bytes,
    }
}

type Fragments<'p> = Box<dyn Iterator<Item = Vec<u8>> + Send + 'p>;

/// Iterator over the batch bodies of a plan.
pub struct Batches<'p, 't> {
    small: std::iter::Peekable<Fragments<'p>>,
    appends: &'p [Vec<&'t Cell>],
    /// The grid row of the first appended row.
    append_at: usize,
    next_append: usize,
    sheet_id: i32,
    max_bytes: usize,
}

impl Iterator for Batches<'_, '_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let mut body = BODY_START.to_vec();
        let mut subrequests = 0;
        while let Some(fragment) = self.small.peek() {
            let separator = usize::from(subrequests > 0);
            if subrequests > 0
                && body.len() + separator + fragment.len() + BODY_END.len() > self.max_bytes
            {
                return Some(finish(body, subrequests));
            }
            if subrequests > 0 {
                body.push(b',');
            }
            body.extend_from_slice(fragment);
            self.small.next();
            subrequests += 1;
        }
        if self.next_append < self.appends.len() {
            let mark = body.len();
            if subrequests > 0 {
                body.push(b',');
            }
            let room = self.max_bytes.saturating_sub(BODY_END.len());
            let taken = new_rows(
                &mut body,
                self.sheet_id,
                self.append_at + self.next_append,
                &self.appends[self.next_append..],
                room,
                subrequests == 0,
            );
            if taken == 0 {
                body.truncate(mark);
            } else {
                self.next_append += taken;
                subrequests += 1;
            }
        }
        (subrequests > 0).then(|| finish(body, subrequests))
    }
}

fn finish(mut body: Vec<u8>, subrequests: usize) -> Batch {
    body.extend_from_slice(BODY_END);
    Batch { body, subrequests }
}

/// Writes one `updateCells` into `body` that puts as many of `rows` as keep `body` within
/// `room` bytes (at least one when `must_take_one`) at grid rows `first_row` onwards, from
/// column A; returns how many it took.
fn new_rows(
    body: &mut Vec<u8>,
    sheet_id: i32,
    first_row: usize,
    rows: &[Vec<&Cell>],
    room: usize,
    must_take_one: bool,
) -> usize {
    let start = body.len();
    body.extend_from_slice(
        format!(
            r#"{{"updateCells":{{"start":{{"sheetId":{sheet_id},"rowIndex":{first_row},"columnIndex":0}},"fields":"{VALUE_AND_FORMAT_MASK}","rows":["#
        )
        .as_bytes(),
    );
    const CLOSE: &[u8] = b"]}}";
    let mut taken = 0;
    for row in rows {
        let before = body.len();
        if taken > 0 {
            body.push(b',');
        }
        serde_json::to_writer(
            &mut *body,
            &RowJson {
                values: CellsJson(trimmed(row)),
            },
        )
        .expect("writing JSON to memory");
        if body.len() + CLOSE.len() > room && !(taken == 0 && must_take_one) {
            body.truncate(before);
            break;
        }
        taken += 1;
    }
    if taken == 0 {
        body.truncate(start);
    } else {
        body.extend_from_slice(CLOSE);
    }
    taken
}

/// The subrequests other than the new rows' `updateCells`, in Google's JSON shape.
#[derive(Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
enum SubRequest<'a> {
    AppendDimension {
        sheet_id: i32,
        dimension: &'static str,
        length: usize,
    },
    UpdateCells {
        start: GridCoordinate,
        rows: [RowJson<'a>; 1],
        fields: &'static str,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GridCoordinate {
    sheet_id: i32,
    row_index: usize,
    column_index: usize,
}

#[derive(Serialize)]
struct RowJson<'a> {
    values: CellsJson<'a>,
}

/// A row's cells as a JSON array of `CellData`, serialized without copying them.
struct CellsJson<'a>(&'a [&'a Cell]);

impl Serialize for CellsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for cell in self.0 {
            seq.serialize_element(&values::cell_json(cell))?;
        }
        seq.end()
    }
}

fn update_cells(
    sheet_id: i32,
    row: usize,
    col: usize,
    cells: &[&Cell],
    mask: &'static str,
) -> Vec<u8> {
    to_json(&SubRequest::UpdateCells {
        start: GridCoordinate {
            sheet_id,
            row_index: row,
            column_index: col,
        },
        rows: [RowJson {
            values: CellsJson(cells),
        }],
        fields: mask,
    })
}

fn to_json(request: &SubRequest<'_>) -> Vec<u8> {
    serde_json::to_vec(request).expect("writing JSON to memory")
}

/// Splits sorted updates into runs of adjacent cells in one row, dated and undated cells in
/// separate runs: a run's field mask covers all its cells, and the number-format mask a date
/// needs would wipe the format of an undated cell (a currency column, a cleared cell).
fn runs<'p, 't>(updates: &'p [CellUpdate<'t>]) -> impl Iterator<Item = &'p [CellUpdate<'t>]> {
    updates.chunk_by(|a, b| {
        a.row == b.row
            && a.col + 1 == b.col
            && values::is_dated(a.value) == values::is_dated(b.value)
    })
}

/// A row without its trailing empty cells (they would write nothing).
fn trimmed<'p, 't>(row: &'p [&'t Cell]) -> &'p [&'t Cell] {
    let end = row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
    &row[..end]
}

#[cfg(test)]
mod tests;
