//! Unit and property tests of the planner: each rule of `docs/upsert.md`, then proptest checks
//! that applying a plan and planning again is empty, that no row is lost, that appends keep
//! the export's order, and that a sequence of upserts leaves the tab exactly as an independent
//! model of the rules ([`model`]) says, over keys chosen to be confused: large integers,
//! leading-zero IDs, decimals, dates and text that looks like a number.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::table::Format;

fn table(header: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        format: Format::Csv,
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
        warnings: vec![],
    }
}

fn t(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn tab(v: Value) -> Vec<Vec<Value>> {
    serde_json::from_value(v).unwrap()
}

#[test]
fn empty_tab_gets_header_and_every_row_in_order() {
    let tb = table(
        &["id", "name"],
        vec![vec![Cell::Int(2), t("b")], vec![Cell::Int(1), t("a")]],
    );
    let p = plan(&[], &tb, &keys(&["id"])).unwrap();
    assert_eq!(p.add_columns, ["id", "name"]);
    assert_eq!((p.add_columns_at, p.append_at, p.width), (0, 1, 2));
    assert_eq!(
        p.appends,
        vec![
            vec![&tb.rows[0][0], &tb.rows[0][1]],
            vec![&tb.rows[1][0], &tb.rows[1][1]]
        ]
    );
    assert_eq!(p.counts.inserted, 2);
    assert!(p.updates.is_empty());
}

#[test]
fn an_export_without_rows_changes_nothing() {
    // A quiet day, or an error answer that parsed as a one-cell header: no column is added.
    let tb = table(&["Unauthorized"], vec![]);
    assert!(plan(&[], &tb, &[]).unwrap().is_empty());
    let sheet = tab(json!([["id", "name"], [1, "a"]]));
    let p = plan(&sheet, &tb, &[]).unwrap();
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(p.counts, PlanCounts::default());
}

#[test]
fn columns_are_matched_by_name_and_only_changed_cells_update() {
    let sheet = tab(json!([
        ["name", "id", "amount"],
        ["a", 1, 10],
        ["b", 2, 20]
    ]));
    let tb = table(
        &["id", "amount", "name"],
        vec![
            vec![Cell::Int(1), Cell::Int(10), t("a")],
            vec![Cell::Int(2), Cell::Int(25), t("b")],
        ],
    );
    let p = plan(&sheet, &tb, &keys(&["id"])).unwrap();
    assert!(p.add_columns.is_empty());
    assert_eq!(
        p.updates,
        vec![CellUpdate {
            row: 2,
            col: 2,
            value: &Cell::Int(25)
        }]
    );
    assert_eq!(
        (p.counts.updated, p.counts.unchanged, p.counts.inserted),
        (1, 1, 0)
    );
}

#[test]
fn new_export_column_goes_right_of_sheet_only_columns_which_are_never_written() {
    let sheet = tab(json!([["id", "Notes"], [1, "call back"]]));
    let tb = table(
        &["id", "status"],
        vec![vec![Cell::Int(1), t("paid")], vec![Cell::Int(2), t("new")]],
    );
    let p = plan(&sheet, &tb, &keys(&["id"])).unwrap();
    assert_eq!(
        (p.add_columns.clone(), p.add_columns_at, p.width),
        (vec!["status".to_string()], 2, 3)
    );
    assert_eq!(
        p.updates,
        vec![CellUpdate {
            row: 1,
            col: 2,
            value: &t("paid")
        }]
    );
    assert_eq!(
        p.appends,
        vec![vec![&Cell::Int(2), &Cell::Empty, &t("new")]]
    );
    assert!(p.updates.iter().all(|u| u.col != 1));
}

#[test]
fn keys_typed_differently_match_but_leading_zeros_do_not() {
    let sheet = tab(json!([["id", "v"], [123, "x"], [812, "y"]]));
    let tb = table(
        &["id", "v"],
        vec![
            vec![t("123"), t("x")],
            vec![t("0812"), t("y")],
            vec![Cell::Decimal(123.0), t("x")],
        ],
    );
    let p = plan(&sheet, &tb, &keys(&["id"])).unwrap();
    assert_eq!(p.counts.inserted, 1, "0812 is not 812");
    assert_eq!(p.appends[0][0], &t("0812"));
    assert_eq!(p.counts.unchanged, 1);
    assert_eq!(
        p.counts.duplicate_keys_in_export, 1,
        "\"123\" and 123.0 are one key"
    );
}

#[test]
fn repeated_export_key_last_occurrence_wins() {
    let tb = table(
        &["id", "v"],
        vec![
            vec![Cell::Int(1), t("old")],
            vec![Cell::Int(2), t("b")],
            vec![Cell::Int(1), t("new")],
        ],
    );
    let p = plan(&[], &tb, &keys(&["id"])).unwrap();
    assert_eq!(p.counts.duplicate_keys_in_export, 1);
    assert_eq!(p.appends.len(), 2);
    assert_eq!(p.appends[0][1], &t("b"));
    assert_eq!(p.appends[1][1], &t("new"));
}

#[test]
fn duplicated_sheet_key_updates_the_first_and_counts_the_rest() {
    let sheet = tab(json!([["id", "v"], [1, "a"], [1, "b"], [1, "c"]]));
    let tb = table(&["id", "v"], vec![vec![Cell::Int(1), t("z")]]);
    let p = plan(&sheet, &tb, &keys(&["id"])).unwrap();
    assert_eq!(p.counts.duplicate_keys_in_sheet, 2);
    assert_eq!(
        p.updates,
        vec![CellUpdate {
            row: 1,
            col: 1,
            value: &t("z")
        }]
    );
}

#[test]
fn empty_keys_are_counted_and_not_written() {
    let tb = table(
        &["id", "v"],
        vec![
            vec![Cell::Empty, t("a")],
            vec![t("  "), t("b")],
            vec![Cell::Int(1), t("c")],
        ],
    );
    let p = plan(&[], &tb, &keys(&["id"])).unwrap();
    assert_eq!(p.counts.empty_keys, 2);
    assert_eq!(p.appends.len(), 1);
}

#[test]
fn without_key_columns_the_whole_row_is_the_key() {
    let sheet = tab(json!([["a", "b"], ["x", 1]]));
    let tb = table(
        &["a", "b"],
        vec![vec![t("x"), Cell::Int(1)], vec![t("x"), Cell::Int(2)]],
    );
    let p = plan(&sheet, &tb, &[]).unwrap();
    assert_eq!((p.counts.unchanged, p.counts.inserted), (1, 1));
    assert!(p.updates.is_empty());
}

/// Keyed on the whole row, identical rows are separate rows (the same top-up twice in a day):
/// the tab ends with as many copies as the export holds, never fewer, and a rerun adds none.
#[test]
fn whole_row_keys_are_a_multiset() {
    let row = || vec![t("top-up"), Cell::Int(500)];
    let tb = table(
        &["what", "points"],
        vec![row(), row(), vec![t("other"), Cell::Int(1)], row()],
    );
    let mut sheet = tab(json!([["what", "points"], ["top-up", 500]]));
    let p = plan(&sheet, &tb, &[]).unwrap();
    assert_eq!(
        (
            p.counts.unchanged,
            p.counts.inserted,
            p.counts.duplicate_keys_in_export
        ),
        (1, 3, 0),
        "{p:?}"
    );
    apply(&p, &mut sheet);
    assert_eq!(sheet.len(), 5);
    assert!(plan(&sheet, &tb, &[]).unwrap().is_empty());
    // Fewer copies in a later export delete nothing and add nothing.
    let once = table(&["what", "points"], vec![row()]);
    let p = plan(&sheet, &once, &[]).unwrap();
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(
        (p.counts.unchanged, p.counts.duplicate_keys_in_sheet),
        (1, 0)
    );
}

/// Text keys compare exactly; only a number and its integer text are one key.
#[test]
fn text_keys_compare_exactly() {
    let sheet = tab(json!([["id", "v"], ["1.1", "a"], ["10", "b"], [7, "c"]]));
    let tb = table(
        &["id", "v"],
        vec![
            vec![t("1.10"), t("a")],
            vec![t("10.0"), t("b")],
            vec![Cell::Decimal(10.0), t("b")],
            vec![t("7"), t("c")],
            vec![t(" 7"), t("d")],
            vec![Cell::Decimal(1.1), t("e")],
        ],
    );
    let p = plan(&sheet, &tb, &keys(&["id"])).unwrap();
    assert_eq!(
        (
            p.counts.inserted,
            p.counts.unchanged,
            p.counts.duplicate_keys_in_export
        ),
        (4, 2, 0),
        "{p:?}"
    );
    let new: Vec<&Cell> = p.appends.iter().map(|r| r[0]).collect();
    assert_eq!(new, [&t("1.10"), &t("10.0"), &t(" 7"), &Cell::Decimal(1.1)]);
}

/// Keyed on the whole row, an export that gains a column must still find its rows: the new
/// column is empty in every sheet row, so keying on it too would append every row again.
#[test]
fn whole_row_keys_ignore_a_column_the_sheet_does_not_have_yet() {
    let mut sheet = tab(json!([["a", "b"], ["x", 1], ["y", 2]]));
    let tb = table(
        &["a", "b", "c"],
        vec![
            vec![t("x"), Cell::Int(1), t("new")],
            vec![t("z"), Cell::Int(3), t("n3")],
        ],
    );
    let p = plan(&sheet, &tb, &[]).unwrap();
    assert_eq!(p.add_columns, ["c"]);
    assert_eq!(
        (p.counts.updated, p.counts.inserted, p.counts.unchanged),
        (1, 1, 0),
        "{p:?}"
    );
    apply(&p, &mut sheet);
    assert_eq!(
        sheet,
        tab(json!([
            ["a", "b", "c"],
            ["x", 1, "new"],
            ["y", 2],
            ["z", 3, "n3"]
        ]))
    );
    assert!(plan(&sheet, &tb, &[]).unwrap().is_empty());
    // Into a tab that has none of the export's columns, every column is the key.
    let p = plan(&[], &tb, &[]).unwrap();
    assert_eq!(p.counts.inserted, 2);
}

#[test]
fn multi_column_keys_are_joined_unambiguously() {
    let sheet = tab(json!([["a", "b", "v"], ["ab", "c", 1]]));
    let tb = table(&["a", "b", "v"], vec![vec![t("a"), t("bc"), Cell::Int(1)]]);
    let p = plan(&sheet, &tb, &keys(&["a", "b"])).unwrap();
    assert_eq!(p.counts.inserted, 1);
}

#[test]
fn dates_compare_with_the_serials_the_sheet_returns() {
    let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let sheet = tab(json!([["day", "at"], [45352, 45352.75]]));
    let tb = table(
        &["day", "at"],
        vec![vec![
            Cell::Date(d),
            Cell::DateTime(d.and_hms_opt(18, 0, 0).unwrap()),
        ]],
    );
    let p = plan(&sheet, &tb, &keys(&["day"])).unwrap();
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(p.counts.unchanged, 1);
}

/// A date-time serial that Sheets computed itself (typed by a person, written by an older
/// tool with `USER_ENTERED`) is `days + seconds / 86400`, a few ulps away from the
/// `total_seconds / 86400` exportsync computes. As a key part (whole-row keys include every
/// date-time column) it must still match the export's date-time, or the row is appended
/// again on every run.
#[test]
fn date_time_keys_match_serials_with_floating_point_error() {
    let at = NaiveDate::from_ymd_opt(2021, 7, 7)
        .unwrap()
        .and_hms_opt(17, 14, 33)
        .unwrap();
    let exact = Cell::DateTime(at).to_serial().unwrap();
    for off in [3e-11, -2e-10, 5e-9] {
        let sheet = tab(json!([["at", "amount"], [exact + off, 5]]));
        let tb = table(
            &["at", "amount"],
            vec![vec![Cell::DateTime(at), Cell::Int(5)]],
        );
        for key in [keys(&[]), keys(&["at"])] {
            let p = plan(&sheet, &tb, &key).unwrap();
            assert!(p.is_empty(), "off {off}, key {key:?}: {p:?}");
            assert_eq!((p.counts.unchanged, p.counts.inserted), (1, 0));
        }
    }
    // A number in such a column that is not within a millisecond of a whole second keeps its
    // own key, so distinct decimals never merge.
    let sheet = tab(json!([["at"], [1e-7]]));
    let tb = table(
        &["at"],
        vec![vec![Cell::Decimal(1e-7)], vec![Cell::DateTime(at)]],
    );
    let p = plan(&sheet, &tb, &[]).unwrap();
    assert_eq!((p.counts.unchanged, p.counts.inserted), (1, 1));
}

#[test]
fn an_emptied_export_cell_clears_the_sheet_cell() {
    let sheet = tab(json!([["id", "v"], [1, "was here"]]));
    let tb = table(&["id", "v"], vec![vec![Cell::Int(1), Cell::Empty]]);
    let p = plan(&sheet, &tb, &keys(&["id"])).unwrap();
    assert_eq!(
        p.updates,
        vec![CellUpdate {
            row: 1,
            col: 1,
            value: &Cell::Empty
        }]
    );
}

#[test]
fn unknown_key_column_is_an_error_naming_it() {
    let tb = table(&["id"], vec![]);
    let e = plan(&[], &tb, &keys(&["Transaksi ID"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`Transaksi ID`") && e.contains("id"), "{e}");
}

#[test]
fn rows_missing_from_the_export_are_kept_and_second_plan_is_empty() {
    let mut sheet = tab(json!([["id", "v"], [1, "a"], [2, "b"]]));
    let tb = table(
        &["id", "v"],
        vec![vec![Cell::Int(2), t("B")], vec![Cell::Int(3), t("c")]],
    );
    let p = plan(&sheet, &tb, &keys(&["id"])).unwrap();
    apply(&p, &mut sheet);
    assert_eq!(
        sheet,
        tab(json!([["id", "v"], [1, "a"], [2, "B"], [3, "c"]]))
    );
    assert!(plan(&sheet, &tb, &keys(&["id"])).unwrap().is_empty());
}

// ---- property tests ----

/// Key values chosen to be confused with each other: small integers as numbers and as text,
/// integers past 2^53 and i64::MAX as numbers and text, leading-zero IDs, decimals and
/// integral decimals, text that looks like a number but is not its integer text, dates and
/// date-times as cells and as ISO text, booleans, whitespace.
fn key_strategy() -> impl Strategy<Value = Cell> {
    let d = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    prop_oneof![
        Just(Cell::Empty),
        (0i64..6).prop_map(Cell::Int),
        (0i64..6).prop_map(|i| Cell::Text(i.to_string())),
        prop::sample::select(vec![
            9_007_199_254_740_993i64,
            -9_007_199_254_740_993,
            i64::MAX,
            1_234_567_890_123_456_789,
            45_292,
        ])
        .prop_flat_map(|i| prop_oneof![Just(Cell::Int(i)), Just(Cell::Text(i.to_string()))]),
        prop::sample::select(vec![
            "0812",
            "0",
            "00",
            "007",
            "1.10",
            "1.1",
            "10.0",
            "10",
            "1e3",
            "-0",
            "+1",
            " 5",
            "5 ",
            "  ",
            "7e30",
            "12345678901234567890123",
            "2024-01-02",
            "2024-01-02 07:00:00",
            "02/01/2024",
            "TRUE",
            "x",
            "X",
        ])
        .prop_map(|s| Cell::Text(s.into())),
        prop::sample::select(vec![
            1.1,
            1.10,
            10.0,
            0.5,
            -2.25,
            45_292.0,
            1e-7,
            2.0f64.powi(60)
        ])
        .prop_map(Cell::Decimal),
        any::<bool>().prop_map(Cell::Bool),
        (0i64..3).prop_map(move |n| Cell::Date(d + chrono::Duration::days(n))),
        (0i64..3).prop_map(move |n| Cell::DateTime(
            d.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::hours(n * 7)
        )),
    ]
}

fn cell_strategy() -> impl Strategy<Value = Cell> {
    prop_oneof![
        3 => key_strategy(),
        1 => prop::sample::select(vec!["a", " x ", "1234567890123456", "TRUE"])
            .prop_map(|s| Cell::Text(s.into())),
        1 => (-3i64..300).prop_map(Cell::Int),
    ]
}

const COLUMNS: [&str; 5] = ["id", "a", "b", "c", "d"];

/// An export over a random subset/order of COLUMNS (always with `id`), keys from a domain
/// small enough that repeats and matches happen.
fn export_strategy() -> impl Strategy<Value = Table> {
    (
        Just(COLUMNS.to_vec()).prop_shuffle(),
        1usize..=5,
        0usize..12,
    )
        .prop_flat_map(|(cols, n, rows)| {
            let mut header: Vec<&str> = cols.into_iter().take(n).collect();
            if !header.contains(&"id") {
                header.push("id");
            }
            let width = header.len();
            let id_at = header.iter().position(|h| *h == "id").unwrap();
            // Narrow whole rows (one or two columns) to a small domain so they repeat.
            let narrow = width <= 2;
            prop::collection::vec(
                (
                    prop::collection::vec(
                        if narrow {
                            key_strategy().boxed()
                        } else {
                            cell_strategy().boxed()
                        },
                        width,
                    ),
                    key_strategy(),
                ),
                rows,
            )
            .prop_map(move |rows| {
                let rows = rows
                    .into_iter()
                    .map(|(mut r, id)| {
                        r[id_at] = id;
                        r
                    })
                    .collect();
                table(&header, rows)
            })
        })
}

/// The tab a test starts from: a sheet-only column with a note, and a row no export mentions.
fn start_sheet() -> Vec<Vec<Value>> {
    tab(json!([["Notes"], ["keep me"]]))
}

/// A sheet built by applying earlier exports (so it is realistic), plus a sheet-only column
/// with notes and some rows that no export will mention.
fn sheet_strategy() -> impl Strategy<Value = Vec<Vec<Value>>> {
    (
        prop::collection::vec(export_strategy(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(exports, whole_row)| {
            let mut sheet = start_sheet();
            for e in &exports {
                let key = if whole_row { vec![] } else { keys(&["id"]) };
                let p = plan(&sheet, e, &key).unwrap();
                apply(&p, &mut sheet);
            }
            // A duplicated row made by an older tool.
            if let Some(row) = sheet.get(2).cloned() {
                sheet.push(row);
            }
            sheet
        })
}

/// The upsert rules written out directly, sharing no code with the planner's key handling:
/// keys as tagged strings, a linear search for the matching sheet row, cells written as the
/// sheet reads them back ([`values::to_read_value`]). Only the rule for "has this cell
/// changed" is the planner's own ([`values::same_value`]): it is not a key rule.
mod model {
    use chrono::{NaiveDate, NaiveDateTime};
    use serde_json::Value;

    use crate::sheet::values;
    use crate::table::{Cell, Table};

    fn epoch() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(1899, 12, 30)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn number(f: f64) -> String {
        if f.fract() == 0.0 {
            format!("int:{}", f as i128)
        } else {
            format!("num:{f:?}")
        }
    }

    fn text(s: &str) -> String {
        if s.trim().is_empty() {
            return String::new();
        }
        if s.parse::<i128>().is_ok_and(|i| i.to_string() == s) {
            return format!("int:{s}");
        }
        if s.len() == 10
            && let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        {
            return format!(
                "int:{}",
                (d.and_hms_opt(0, 0, 0).unwrap() - epoch()).num_days()
            );
        }
        if s.len() == 19
            && let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        {
            return number((dt - epoch()).num_seconds() as f64 / 86_400.0);
        }
        format!("text:{s}")
    }

    /// The key of an export cell; "" is empty.
    pub fn cell_key(c: &Cell) -> String {
        match c {
            Cell::Empty => String::new(),
            Cell::Text(s) => text(s),
            Cell::Int(i) => format!("int:{i}"),
            Cell::Decimal(f) => number(*f),
            Cell::Bool(b) => format!("bool:{b}"),
            Cell::Date(d) => format!(
                "int:{}",
                (d.and_hms_opt(0, 0, 0).unwrap() - epoch()).num_days()
            ),
            Cell::DateTime(dt) => number((*dt - epoch()).num_seconds() as f64 / 86_400.0),
            #[allow(unreachable_patterns)]
            other => panic!("not generated here: {other:?}"),
        }
    }

    /// The key of a value as the sheet returns it.
    pub fn value_key(v: &Value) -> String {
        match v {
            Value::Null => String::new(),
            Value::String(s) => text(s),
            Value::Bool(b) => format!("bool:{b}"),
            Value::Number(n) => match n.as_i64() {
                Some(i) => format!("int:{i}"),
                None => number(n.as_f64().unwrap()),
            },
            other => panic!("not in a sheet: {other}"),
        }
    }

    fn get(sheet: &[Vec<Value>], r: usize, c: usize) -> Value {
        sheet
            .get(r)
            .and_then(|row| row.get(c))
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn set(sheet: &mut Vec<Vec<Value>>, r: usize, c: usize, v: Value) {
        while sheet.len() <= r {
            sheet.push(Vec::new());
        }
        while sheet[r].len() <= c {
            sheet[r].push(Value::from(""));
        }
        sheet[r][c] = v;
    }

    /// The tab after upserting `export` into `sheet` keyed on `key` (None = the whole row).
    pub fn upsert(sheet: &[Vec<Value>], export: &Table, key: Option<&str>) -> Vec<Vec<Value>> {
        let mut out = sheet.to_vec();
        if export.rows.is_empty() {
            return out;
        }
        if out.is_empty() {
            out.push(Vec::new());
        }
        // Columns: by header name; missing ones right of everything that holds data.
        let right = out.iter().map(Vec::len).max().unwrap_or(0);
        let mut added = 0;
        let mut had = Vec::new();
        let col: Vec<usize> = export
            .header
            .iter()
            .map(|name| {
                let found = out[0]
                    .iter()
                    .position(|v| v.as_str() == Some(name.as_str()));
                had.push(found.is_some());
                found.unwrap_or_else(|| {
                    added += 1;
                    right + added - 1
                })
            })
            .collect();
        for (i, name) in export.header.iter().enumerate() {
            if !had[i] {
                set(&mut out, 0, col[i], Value::from(name.as_str()));
            }
        }
        let first_new = sheet.len().max(1);
        let existing_rows = first_new;
        let write = |out: &mut Vec<Vec<Value>>, r: usize, row: &[Cell], only_changed: bool| {
            for (i, cell) in row.iter().enumerate() {
                let current = get(out, r, col[i]);
                let current = (!current.is_null()).then_some(current);
                if !only_changed || !values::same_value(cell, current.as_ref()) {
                    set(out, r, col[i], values::to_read_value(cell));
                }
            }
        };
        let mut next_row = first_new;
        match key {
            Some(key) => {
                let k = export.column(key).unwrap();
                for (i, row) in export.rows.iter().enumerate() {
                    let id = cell_key(&row[k]);
                    let later = export.rows[i + 1..].iter().any(|r| cell_key(&r[k]) == id);
                    if id.is_empty() || later {
                        continue;
                    }
                    let found =
                        (1..existing_rows).find(|&r| value_key(&get(sheet, r, col[k])) == id);
                    match found {
                        Some(r) => write(&mut out, r, row, true),
                        None => {
                            write(&mut out, next_row, row, false);
                            next_row += 1;
                        }
                    }
                }
            }
            None => {
                let compared: Vec<usize> = if had.iter().any(|&h| h) {
                    (0..export.header.len()).filter(|&i| had[i]).collect()
                } else {
                    (0..export.header.len()).collect()
                };
                let mut claimed = vec![false; existing_rows];
                for row in &export.rows {
                    if row.iter().all(|c| cell_key(c).is_empty()) {
                        continue;
                    }
                    let found = (1..existing_rows).find(|&r| {
                        !claimed[r]
                            && compared.iter().any(|&i| !cell_key(&row[i]).is_empty())
                            && compared
                                .iter()
                                .all(|&i| value_key(&get(sheet, r, col[i])) == cell_key(&row[i]))
                    });
                    match found {
                        Some(r) => {
                            claimed[r] = true;
                            write(&mut out, r, row, true);
                        }
                        None => {
                            write(&mut out, next_row, row, false);
                            next_row += 1;
                        }
                    }
                }
            }
        }
        for row in out.iter_mut() {
            while row.last().is_some_and(|v| v.as_str() == Some("")) {
                row.pop();
            }
        }
        while out.len() > 1 && out.last().is_some_and(Vec::is_empty) {
            out.pop();
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn replanning_after_apply_is_empty_and_nothing_is_lost(
        sheet in sheet_strategy(),
        export in export_strategy(),
        whole_row in any::<bool>(),
    ) {
        let key = if whole_row { vec![] } else { keys(&["id"]) };
        let before = sheet.clone();
        let mut after = sheet.clone();
        let p = plan(&sheet, &export, &key).unwrap();
        if export.rows.is_empty() {
            // An export without rows changes nothing (an_export_without_rows_changes_nothing).
            prop_assert!(p.is_empty(), "{:?}", p);
            return Ok(());
        }
        apply(&p, &mut after);

        let again = plan(&after, &export, &key).unwrap();
        prop_assert!(again.is_empty(), "second plan not empty: {:?}", again);
        prop_assert_eq!(again.counts.unchanged, p.counts.inserted + p.counts.updated + p.counts.unchanged);

        // No row lost: every row stays where it was; cells the export does not own keep their value.
        prop_assert_eq!(after.len(), before.len().max(1) + p.appends.len());
        let owned: Vec<usize> = export.header.iter()
            .map(|h| after[0].iter().position(|v| v.as_str() == Some(h)).unwrap())
            .collect();
        let blank = Value::from("");
        for (r, row) in before.iter().enumerate().skip(1) {
            for (c, v) in row.iter().enumerate() {
                if !owned.contains(&c) {
                    prop_assert_eq!(after[r].get(c).unwrap_or(&blank), v);
                }
            }
        }
        // Appends keep the export's order: their keys appear in the order of the export rows.
        let id_col = export.column("id").unwrap();
        let id_sheet = owned[id_col];
        let appended: Vec<String> = after[before.len().max(1)..].iter()
            .map(|r| model::value_key(r.get(id_sheet).unwrap_or(&blank)))
            .collect();
        if !whole_row {
            let positions: Vec<_> = appended.iter()
                .map(|k| export.rows.iter().rposition(|r| model::cell_key(&r[id_col]) == *k))
                .collect();
            prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "{:?}", positions);
        }
    }

    /// A sequence of upserts leaves the tab exactly as the model says, and each rerun of the
    /// last export plans nothing.
    #[test]
    fn a_sequence_of_upserts_matches_the_model(
        exports in prop::collection::vec(export_strategy(), 1..5),
        whole_row in any::<bool>(),
    ) {
        let key = if whole_row { vec![] } else { keys(&["id"]) };
        let model_key = (!whole_row).then_some("id");
        let mut sheet = start_sheet();
        let mut expected = start_sheet();
        for (n, export) in exports.iter().enumerate() {
            let p = plan(&sheet, export, &key).unwrap();
            apply(&p, &mut sheet);
            expected = model::upsert(&expected, export, model_key);
            prop_assert_eq!(&sheet, &expected, "after export {}: {:?}", n, export);
            prop_assert!(plan(&sheet, export, &key).unwrap().is_empty());
        }
    }
}
