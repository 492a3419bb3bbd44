//! The pure keyed diff: (the tab's rows as read, an export table, the key columns) -> a
//! [`Plan`] of header columns to add, cells to update and rows to write below the data, with
//! the counts the report shows. No I/O. The rules are in `docs/upsert.md`:
//!
//! - the tab's first row is its header; columns are matched by (trimmed) name, never position;
//!   export columns the tab lacks are added right of every column holding data;
//!   columns only the tab has are never written; an export without rows changes nothing;
//! - a row's identity is its key: the key parts of [`key`] (text exact; a number and its
//!   integer text one key; dates as serials, the sheet's read to the second in a date key
//!   column), hashed tagged and length-prefixed so that multi-column keys cannot collide; a
//!   key whose parts are all empty is "empty": such rows are not written, only counted;
//! - with key columns: a key repeated in the export: the LAST occurrence wins (and is placed
//!   where it stands), the earlier ones are counted; a key repeated in the sheet: the FIRST
//!   row is updated, the others are counted and left alone;
//! - without key columns (keyed on the whole row) the rows are a multiset: each export row
//!   claims one sheet row holding the same values, so two identical export rows need two
//!   sheet rows; the tab ends with at least as many copies as the export holds, and a rerun
//!   adds none. Only the columns the tab already has are compared (a column the export
//!   gained is empty in every sheet row);
//! - rows are indexed by a 128-bit hash of their key, never cloned: memory stays at a few
//!   bytes per row whatever the width;
//! - new key -> written below the last row holding data, in export order, at explicit row
//!   indices ([`Plan::append_at`] onwards); known key -> only the export cells whose values
//!   differ (type-aware, see [`values::same_value`]) are updated; same -> nothing.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hasher;

use serde_json::Value;

use super::values;
use crate::table::{Cell, Table};

/// One cell to overwrite in place: 0-based grid coordinates (row 0 is the header).
#[derive(Clone, Debug, PartialEq)]
pub struct CellUpdate<'t> {
    pub row: usize,
    pub col: usize,
    pub value: &'t Cell,
}

/// What the plan does, for the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PlanCounts {
    /// Export rows whose key the sheet did not have: appended.
    pub inserted: usize,
    /// Export rows whose key the sheet had with different values: updated in place.
    pub updated: usize,
    /// Export rows whose key the sheet had with the same values: not written.
    pub unchanged: usize,
    /// Export rows dropped because a later row of the export had the same key.
    pub duplicate_keys_in_export: usize,
    /// Sheet rows left alone because an earlier sheet row had the same key.
    pub duplicate_keys_in_sheet: usize,
    /// Export rows whose key is empty: not written.
    pub empty_keys: usize,
}

/// The changes that bring a tab up to date with an export. Cells are borrowed from the
/// export table.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan<'t> {
    /// Header names to write in row 0, from column `add_columns_at` rightwards.
    pub add_columns: Vec<String>,
    pub add_columns_at: usize,
    /// Cells to overwrite, sorted by (row, col).
    pub updates: Vec<CellUpdate<'t>>,
    /// New rows in export order, each in sheet column order and `width` long (columns the
    /// export lacks are [`Cell::Empty`] and never written).
    pub appends: Vec<Vec<&'t Cell>>,
    /// The grid row of the first appended row (the row after the last row holding data).
    pub append_at: usize,
    /// The number of header columns after the plan is applied.
    pub width: usize,
    pub counts: PlanCounts,
}

impl Plan<'_> {
    /// True when applying the plan would write nothing.
    pub fn is_empty(&self) -> bool {
        self.add_columns.is_empty() && self.updates.is_empty() && self.appends.is_empty()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error("key column `{column}` is not a column of the export (its columns: {available})")]
    UnknownKeyColumn { column: String, available: String },
}

static EMPTY: Cell = Cell::Empty;

/// Plans the upsert of `table` into a tab whose rows (`values.batchGet`, `UNFORMATTED_VALUE`,
/// row 0 = header) are `tab_rows`. `key_columns` empty keys on the whole row.
pub fn plan<'t>(
    tab_rows: &[Vec<Value>],
    table: &'t Table,
    key_columns: &[String],
) -> Result<Plan<'t>, PlanError> {
    let key_export_cols = key_export_columns(table, key_columns)?;
    let layout = ColumnLayout::new(tab_rows, table);
    let whole_row = key_columns.is_empty();
    // The columns a row is looked up by in the tab. Keyed on the whole row, only the columns
    // the tab already has: a column the export gained is empty in every sheet row, and
    // looking rows up by it would append every row again.
    let mut match_cols = key_export_cols.clone();
    if whole_row {
        let existing: Vec<usize> = key_export_cols
            .iter()
            .copied()
            .filter(|&c| layout.sheet_col[c].is_some_and(|s| s < layout.add_columns_at))
            .collect();
        if !existing.is_empty() {
            match_cols = existing;
        }
    }
    let mut counts = PlanCounts::default();

    // Key columns whose export values are dates: their sheet numbers are date serials.
    let serial_cols: Vec<bool> = match_cols
        .iter()
        .map(|&c| table.rows.iter().any(|row| key::is_serial_key(&row[c])))
        .collect();

    // The sheet's rows by key: the first row per key, and for each row the next one with the
    // same key (`NONE` ends the chain).
    const NONE: usize = usize::MAX;
    let mut first_row: HashMap<u128, usize> = HashMap::with_capacity(tab_rows.len());
    let mut next_same: Vec<usize> = vec![NONE; tab_rows.len()];
    let mut last_row: HashMap<u128, usize> = HashMap::new();
    for (r, row) in tab_rows.iter().enumerate().skip(1) {
        let parts = match_cols.iter().zip(&serial_cols).map(|(&c, &serials)| {
            layout.sheet_col[c]
                .and_then(|s| row.get(s))
                .map_or(key::Part::Empty, |v| key::of_value(v, serials))
        });
        let Some(k) = hash_key(parts) else { continue };
        match first_row.entry(k) {
            Entry::Vacant(first) => {
                first.insert(r);
                last_row.insert(k, r);
            }
            Entry::Occupied(_) => {
                if whole_row {
                    let last = last_row.insert(k, r).expect("a first row has a last row");
                    next_same[last] = r;
                } else {
                    counts.duplicate_keys_in_sheet += 1;
                }
            }
        }
    }
    drop(last_row);

    let key_of =
        |row: &'t [Cell], cols: &[usize]| hash_key(cols.iter().map(|&c| key::of_cell(&row[c])));
    // With key columns, the export's last occurrence of a key wins. Keyed on the whole row,
    // every row stands (a row is empty only when all its cells are).
    let export_keys: Vec<Option<u128>> = table
        .rows
        .iter()
        .map(|row| key_of(row, &key_export_cols))
        .collect();
    let mut last_occurrence: HashMap<u128, usize> = HashMap::new();
    for (i, key) in export_keys.iter().enumerate() {
        match key {
            None => counts.empty_keys += 1,
            Some(k) if !whole_row => {
                if last_occurrence.insert(*k, i).is_some() {
                    counts.duplicate_keys_in_export += 1;
                }
            }
            Some(_) => {}
        }
    }

    let mut updates = Vec::new();
    let mut appends = Vec::new();
    for (i, key) in export_keys.iter().enumerate() {
        let Some(key) = key else { continue };
        let export_row = &table.rows[i];
        let found = if whole_row {
            // Claim the next unclaimed sheet row with these values.
            let lookup = if match_cols.len() < key_export_cols.len() {
                key_of(export_row, &match_cols)
            } else {
                Some(*key)
            };
            lookup.and_then(|k| {
                let head = first_row.get_mut(&k)?;
                let r = *head;
                if r == NONE {
                    return None;
                }
                *head = next_same[r];
                Some(r)
            })
        } else if last_occurrence[key] != i {
            continue;
        } else {
            first_row.get(key).copied()
        };
        match found {
            Some(r) => {
                let before = updates.len();
                let sheet_row = &tab_rows[r];
                for (c, cell) in export_row.iter().enumerate() {
                    let s = layout.sheet_col[c].expect("every export column is mapped");
                    if !values::same_value(cell, sheet_row.get(s)) {
                        updates.push(CellUpdate {
                            row: r,
                            col: s,
                            value: cell,
                        });
                    }
                }
                if updates.len() > before {
                    counts.updated += 1;
                } else {
                    counts.unchanged += 1;
                }
            }
            None => {
                let mut row = vec![&EMPTY; layout.width];
                for (c, cell) in export_row.iter().enumerate() {
                    row[layout.sheet_col[c].expect("every export column is mapped")] = cell;
                }
                appends.push(row);
                counts.inserted += 1;
            }
        }
    }
    updates.sort_by_key(|u| (u.row, u.col));
    // An export without data rows (a quiet day, or an error page that parsed as a lone header)
    // changes nothing: its header alone is no reason to touch the tab.
    let add_columns = if table.rows.is_empty() {
        Vec::new()
    } else {
        layout.add_columns
    };

    Ok(Plan {
        add_columns,
        add_columns_at: layout.add_columns_at,
        updates,
        appends,
        append_at: tab_rows.len().max(1),
        width: layout.width,
        counts,
    })
}

/// Checks that every key column is a column of the export.
pub fn check_key_columns(table: &Table, key_columns: &[String]) -> Result<(), PlanError> {
    key_export_columns(table, key_columns).map(drop)
}

/// The export column index of each key column; all columns when none are configured.
fn key_export_columns(table: &Table, key_columns: &[String]) -> Result<Vec<usize>, PlanError> {
    if key_columns.is_empty() {
        return Ok((0..table.header.len()).collect());
    }
    key_columns
        .iter()
        .map(|name| {
            table
                .column(name)
                .ok_or_else(|| PlanError::UnknownKeyColumn {
                    column: name.clone(),
                    available: table.header.join(", "),
                })
        })
        .collect()
}

/// Where each export column lives in the sheet, and the header columns to add.
struct ColumnLayout {
    /// For each export column, its sheet column (always `Some` once new columns are placed).
    sheet_col: Vec<Option<usize>>,
    add_columns: Vec<String>,
    add_columns_at: usize,
    width: usize,
}

impl ColumnLayout {
    fn new(tab_rows: &[Vec<Value>], table: &Table) -> ColumnLayout {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        if let Some(header) = tab_rows.first() {
            for (s, v) in header.iter().enumerate() {
                let name = values::header_name(v);
                if !name.is_empty() {
                    by_name.entry(name).or_insert(s);
                }
            }
        }
        // New columns go right of every column holding anything, so nothing is overwritten.
        let add_columns_at = tab_rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut add_columns = Vec::new();
        let sheet_col = table
            .header
            .iter()
            .map(|name| match by_name.get(name.trim()) {
                Some(&s) => Some(s),
                None => {
                    add_columns.push(name.clone());
                    Some(add_columns_at + add_columns.len() - 1)
                }
            })
            .collect::<Vec<_>>();
        let width = sheet_col
            .iter()
            .flatten()
            .map(|s| s + 1)
            .max()
            .unwrap_or(0)
            .max(add_columns_at);
        ColumnLayout {
            sheet_col,
            add_columns,
            add_columns_at,
            width,
        }
    }
}

/// A 128-bit hash of the key parts (tagged and length-prefixed, so part boundaries are
/// unambiguous); `None` when every part is empty.
fn hash_key<'a>(parts: impl Iterator<Item = key::Part<'a>>) -> Option<u128> {
    let mut low = std::hash::DefaultHasher::new();
    let mut high = std::hash::DefaultHasher::new();
    high.write_u8(0x5a);
    let mut any = false;
    for part in parts {
        any |= !part.is_empty();
        part.feed(&mut low);
        part.feed(&mut high);
    }
    any.then(|| (u128::from(high.finish()) << 64) | u128::from(low.finish()))
}

/// Applies `plan` to `tab_rows` the way the Sheets API would, returning what a read would then
/// return. Used by tests and by property checks of the planner.
pub fn apply(plan: &Plan<'_>, tab_rows: &mut Vec<Vec<Value>>) {
    let set = |rows: &mut Vec<Vec<Value>>, r: usize, c: usize, v: Value| {
        if rows.len() <= r {
            rows.resize(r + 1, Vec::new());
        }
        let row = &mut rows[r];
        if row.len() <= c {
            row.resize(c + 1, Value::String(String::new()));
        }
        row[c] = v;
    };
    for (i, name) in plan.add_columns.iter().enumerate() {
        set(
            tab_rows,
            0,
            plan.add_columns_at + i,
            Value::String(name.clone()),
        );
    }
    for u in &plan.updates {
        set(tab_rows, u.row, u.col, values::to_read_value(u.value));
    }
    let start = tab_rows.len().max(1);
    for (i, row) in plan.appends.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            set(tab_rows, start + i, c, values::to_read_value(cell));
        }
    }
    // A read trims trailing empty cells and rows.
    for row in tab_rows.iter_mut() {
        while row.last().is_some_and(|v| v.as_str() == Some("")) {
            row.pop();
        }
    }
    while tab_rows.len() > 1 && tab_rows.last().is_some_and(Vec::is_empty) {
        tab_rows.pop();
    }
}

mod key;

#[cfg(test)]
mod tests;
