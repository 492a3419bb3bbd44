//! Unit and property tests of the planner: each DESIGN.md upsert rule, then proptest checks
//! that applying a plan and planning again is empty, that no row is lost and that appends
//! keep the export's order.

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

fn cell_strategy() -> impl Strategy<Value = Cell> {
    let d = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    prop_oneof![
        Just(Cell::Empty),
        prop::sample::select(vec![
            "a",
            "0812",
            "7e30",
            "123",
            " x ",
            "1234567890123456",
            "TRUE",
            "2024-01-02"
        ])
        .prop_map(|s| Cell::Text(s.into())),
        (-3i64..300).prop_map(Cell::Int),
        prop::sample::select(vec![0.5, -2.25, 123.0, 1e-7]).prop_map(Cell::Decimal),
        any::<bool>().prop_map(Cell::Bool),
        (0i64..3).prop_map(move |n| Cell::Date(d + chrono::Duration::days(n))),
        (0i64..3).prop_map(move |n| Cell::DateTime(
            d.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::hours(n * 7)
        )),
    ]
}

const COLUMNS: [&str; 5] = ["id", "a", "b", "c", "d"];

/// An export over a random subset/order of COLUMNS (always with `id`), keys from a small
/// domain so that repeats and matches happen.
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
            prop::collection::vec(
                (
                    prop::collection::vec(cell_strategy(), width),
                    prop_oneof![
                        Just(Cell::Empty),
                        (0i64..6).prop_map(Cell::Int),
                        (0i64..6).prop_map(|i| Cell::Text(i.to_string()))
                    ],
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

/// A sheet built by applying earlier exports (so it is realistic), plus a sheet-only column
/// with notes and some rows that no export will mention.
fn sheet_strategy() -> impl Strategy<Value = Vec<Vec<Value>>> {
    (
        prop::collection::vec(export_strategy(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(exports, whole_row)| {
            let mut sheet = tab(json!([["Notes"], ["keep me"]]));
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
        let id_kind = if export.rows.iter().any(|r| values::is_date_key(&r[id_col])) {
            values::ValueKind::DateTime
        } else {
            values::ValueKind::Plain
        };
        let appended: Vec<String> = after[before.len().max(1)..].iter()
            .map(|r| values::read_value_key_form(r.get(id_sheet).unwrap_or(&blank), id_kind).into_owned())
            .collect();
        if !whole_row {
            let positions: Vec<_> = appended.iter()
                .map(|k| export.rows.iter().rposition(|r| values::key_form(&r[id_col]) == k.as_str()))
                .collect();
            prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "{:?}", positions);
        }
    }
}
