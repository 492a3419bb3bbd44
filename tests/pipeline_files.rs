//! The hand-off between the source and the sheet: every file the simulated backend serves
//! parses through `table::parse` into exactly the typed rows it was built from (IDs, phone
//! numbers with leading zeros, amounts, date-times), for each of the four exports.

use chrono::NaiveDate;
use exportsync::sim::backend::{EXPORTS, export_file, export_rows};
use exportsync::table::{self, Cell, Format, TableOptions};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn every_simulated_export_parses_back_to_the_rows_it_was_built_from() {
    let (start, end) = (date("2026-11-24"), date("2026-11-26"));
    for export in EXPORTS {
        let bytes = export_file(export, start, end, 7).unwrap();
        let options = TableOptions {
            export: export.to_owned(),
            ..Default::default()
        };
        let parsed = table::parse(&bytes, &options).unwrap();
        let (header, rows) = export_rows(export, start, end, 7);
        assert_eq!(parsed.format, Format::Xlsx, "{export}");
        assert_eq!(parsed.header, header, "{export}");
        assert_eq!(parsed.rows.len(), rows.len(), "{export}");
        assert!(!rows.is_empty(), "{export}: the simulator served no rows");
        for (i, (got, want)) in parsed.rows.iter().zip(&rows).enumerate() {
            for (c, (got, want)) in got.iter().zip(want).enumerate() {
                // The simulator builds amounts as floats and blanks as "", which the reader
                // types as exact integers and empty cells: equal under the pipeline's own
                // comparison. Non-empty text must come back as text, never as a number.
                assert_eq!(
                    got.compare_form(),
                    want.compare_form(),
                    "{export}: row {}, column {:?}",
                    i + 1,
                    header[c]
                );
                if matches!(want, Cell::Text(t) if !t.is_empty()) {
                    assert!(
                        matches!(got, Cell::Text(_)),
                        "{export}: {got:?} is not text"
                    );
                }
            }
        }
        assert!(
            parsed.warnings.is_empty(),
            "{export}: {:?}",
            parsed.warnings
        );
    }
}

#[test]
fn identifiers_survive_as_text_with_every_digit() {
    let bytes = export_file("transactions", date("2026-11-25"), date("2026-11-25"), 3).unwrap();
    let options = TableOptions {
        export: "transactions".into(),
        ..Default::default()
    };
    let parsed = table::parse(&bytes, &options).unwrap();
    let id = parsed.column("Transaksi ID").unwrap();
    let phone = parsed.column("No HP").unwrap();
    for row in &parsed.rows {
        match (&row[id], &row[phone]) {
            (Cell::Text(id), Cell::Text(phone)) => {
                assert_eq!(id.len(), 16, "{id}");
                assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
                assert!(phone.starts_with('0'), "{phone}");
            }
            other => panic!("IDs and phones must be text, got {other:?}"),
        }
    }
}
