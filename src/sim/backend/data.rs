//! The public face of the simulated exports: the rows and the exact bytes (xlsx or PDF) an
//! export answers for a range, and the xlsx builder the download handlers use. Pure: no I/O.

use chrono::NaiveDate;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

pub use super::catalog::EXPORTS;
use super::catalog::ExportKind;
use super::formats::{ExportFormats, ServedFile};
use crate::table::Cell;

/// The file an export answers for a range, so tests can compare bytes and rows: the header and
/// the typed rows, in file order.
///
/// # Panics
/// When `export` is not one of [`EXPORTS`]: this is a test helper, and an empty answer would let
/// a mistyped name pass a test silently.
pub fn export_rows(
    export: &str,
    start: NaiveDate,
    end: NaiveDate,
    rows_per_day: usize,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let kind = known_export(export);
    let header = kind.header().iter().map(|h| (*h).to_owned()).collect();
    (header, kind.rows(start, end, rows_per_day))
}

/// The exact bytes of the xlsx an export answers for a range (identical in every run), so
/// tests can compare a downloaded file with what the simulator served.
///
/// # Panics
/// When `export` is not one of [`EXPORTS`], as [`export_rows`].
pub fn export_file(
    export: &str,
    start: NaiveDate,
    end: NaiveDate,
    rows_per_day: usize,
) -> Result<Vec<u8>, XlsxError> {
    let kind = known_export(export);
    build_xlsx(kind.header(), &kind.rows(start, end, rows_per_day))
}

/// The file an export answers for a range in `formats`, exactly as the download endpoint sends
/// it (bytes, file name, content type, `Content-Disposition`), so tests can compare a download
/// with what was served, PDFs included.
///
/// # Panics
/// When `export` is not one of [`EXPORTS`], as [`export_rows`], or the xlsx cannot be built.
pub fn served_file(
    export: &str,
    formats: ExportFormats,
    start: NaiveDate,
    end: NaiveDate,
    rows_per_day: usize,
) -> ServedFile {
    let (file, _) = known_export(export)
        .serve(formats, start, end, rows_per_day, &Default::default())
        .unwrap_or_else(|e| panic!("{export}: {e}"));
    file
}

fn known_export(export: &str) -> ExportKind {
    ExportKind::from_name(export)
        .unwrap_or_else(|| panic!("unknown export {export:?}; the simulator has {EXPORTS:?}"))
}

/// Builds the xlsx workbook of one export: a bold header row, then the rows. Text stays text,
/// numbers are numbers, dates and date-times are serials with a date number format.
pub(crate) fn build_xlsx(header: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the bytes identical across runs (zip entries carry none).
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let datetime_format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let time_format = Format::new().set_num_format("hh:mm:ss");
    let sheet = workbook.add_worksheet();
    sheet.set_name("Export")?;
    for (col, name) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Int(i) => {
                    sheet.write_number(r, c, *i as f64)?;
                }
                Cell::Decimal(f) => {
                    sheet.write_number(r, c, *f)?;
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(r, c, *b)?;
                }
                Cell::Date(_) | Cell::DateTime(_) | Cell::Time(_) => {
                    let serial = cell.to_serial().unwrap_or_default();
                    let format = match cell {
                        Cell::Date(_) => &date_format,
                        Cell::Time(_) => &time_format,
                        _ => &datetime_format,
                    };
                    sheet.write_number_with_format(r, c, serial, format)?;
                }
            }
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::catalog::DateFormat;
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn column_counts_match_the_design() {
        let counts: Vec<usize> = ExportKind::ALL.iter().map(|k| k.header().len()).collect();
        assert_eq!(counts, [27, 12, 10, 6]);
        for kind in ExportKind::ALL {
            for row in kind.rows(day("2026-01-01"), day("2026-01-03"), 3) {
                assert_eq!(row.len(), kind.header().len(), "{}", kind.name());
            }
        }
    }

    #[test]
    fn rows_are_stable_across_overlapping_ranges() {
        for export in EXPORTS {
            let (_, wide) = export_rows(export, day("2026-01-30"), day("2026-02-02"), 3);
            let (_, narrow) = export_rows(export, day("2026-02-01"), day("2026-02-01"), 3);
            assert!(!narrow.is_empty(), "{export}");
            let at = wide
                .iter()
                .position(|r| *r == narrow[0])
                .expect("narrow rows inside wide");
            assert_eq!(wide[at..at + narrow.len()], narrow[..], "{export}");
        }
    }

    #[test]
    fn transaction_ids_are_unique_16_digit_text_beyond_f64_precision() {
        let (_, rows) = export_rows("transactions", day("2026-12-30"), day("2027-01-02"), 1000);
        let mut seen = HashSet::new();
        for row in &rows {
            let Cell::Text(id) = &row[0] else {
                panic!("id must be text: {:?}", row[0])
            };
            assert!(
                id.len() == 16 && id.bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
            assert!(
                id.parse::<u64>().unwrap() > 1 << 53,
                "{id} would survive a float"
            );
            assert!(seen.insert(id.clone()), "duplicate id {id}");
            let Cell::Text(phone) = &row[4] else {
                panic!("phone must be text")
            };
            assert!(phone.starts_with('0'), "{phone}");
        }
        assert_eq!(seen.len(), 4000);
    }

    #[test]
    fn coin_payments_are_one_or_two_a_day_and_never_more_than_asked() {
        let (_, rows) = export_rows("coin_payments", day("2026-01-01"), day("2026-01-31"), 1000);
        assert!(rows.len() >= 31 && rows.len() <= 62, "{}", rows.len());
        assert!(
            rows.len() > 31 && rows.len() < 62,
            "both 1 and 2 occur in a month"
        );
        let (_, one) = export_rows("coin_payments", day("2026-01-01"), day("2026-01-31"), 1);
        assert_eq!(one.len(), 31);
        let (_, none) = export_rows("coin_payments", day("2026-01-01"), day("2026-01-31"), 0);
        assert!(none.is_empty());
    }

    #[test]
    fn an_empty_or_reversed_range_has_no_rows() {
        let (_, rows) = export_rows("users", day("2026-01-05"), day("2026-01-01"), 5);
        assert!(rows.is_empty());
    }

    #[test]
    fn dates_parse_strictly_in_the_page_format() {
        let dmy = DateFormat::DayMonthYear;
        assert_eq!(dmy.parse("05/02/2026"), Some(day("2026-02-05")));
        assert_eq!(dmy.parse("5/2/2026"), None);
        assert_eq!(dmy.parse("2026-02-05"), None);
        assert_eq!(dmy.parse("31/02/2026"), None);
        let html5 = DateFormat::Html5;
        assert_eq!(html5.parse("2026-02-05"), Some(day("2026-02-05")));
        assert_eq!(html5.parse("2026-2-5"), None);
        assert_eq!(html5.parse(" 2026-02-05"), None);
    }

    #[test]
    fn the_file_is_byte_identical_across_builds() {
        let a = export_file("users", day("2026-01-01"), day("2026-01-02"), 5).unwrap();
        let b = export_file("users", day("2026-01-01"), day("2026-01-02"), 5).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[..2], b"PK");
    }

    #[test]
    #[should_panic(expected = "unknown export")]
    fn an_unknown_export_name_is_refused_loudly() {
        export_rows("transaction", day("2026-01-01"), day("2026-01-01"), 1);
    }
}
