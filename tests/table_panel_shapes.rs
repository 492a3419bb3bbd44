//! Real-panel shapes and sniffing edge cases through `table::parse`: title rows above a
//! header of years, CSV that starts like markup or Excel's `sep=` line, JSON error bodies,
//! midnight date-times in xlsx, and quoting/encoding/text-column cases that must hold.

use chrono::NaiveDate;
use exportsync::table::{Cell, Format, TableError, TableOptions, parse};
use rust_xlsxwriter::{Format as XlsxFormat, Workbook};

fn options(export: &str) -> TableOptions {
    TableOptions {
        export: export.into(),
        ..TableOptions::default()
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

#[test]
fn excel_sep_line_with_a_non_ascii_character_does_not_panic() {
    // Not a delimiter line: read as an ordinary first (title) row.
    let table = parse("sep=é\na,b\n1,2\n".as_bytes(), &options("users")).unwrap();
    assert_eq!(table.header, ["a", "b"]);
    assert_eq!(table.rows, vec![vec![Cell::Int(1), Cell::Int(2)]]);
}

#[test]
fn title_blank_row_and_a_header_of_years() {
    let csv = "Laporan Penjualan\n\nRegion,2023,2024\nNorth,10,12\nSouth,7,9\n";
    let table = parse(csv.as_bytes(), &options("sales")).unwrap();
    assert_eq!(table.header, ["Region", "2023", "2024"]);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(
        table.rows[0],
        vec![text("North"), Cell::Int(10), Cell::Int(12)]
    );
}

#[test]
fn xlsx_header_of_years_below_a_title() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Rekap").unwrap();
    sheet.write_string(0, 0, "Rekap tahunan").unwrap();
    sheet.write_string(2, 0, "Kode").unwrap();
    sheet.write_number(2, 1, 2023.0).unwrap();
    sheet.write_number(2, 2, 2024.0).unwrap();
    sheet.write_string(3, 0, "A1").unwrap();
    sheet.write_number(3, 1, 5.0).unwrap();
    sheet.write_number(3, 2, 6.0).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let table = parse(&bytes, &options("rekap")).unwrap();
    assert_eq!(table.header, ["Kode", "2023", "2024"]);
    assert_eq!(
        table.rows,
        vec![vec![text("A1"), Cell::Int(5), Cell::Int(6)]]
    );
}

#[test]
fn csv_whose_first_field_starts_with_a_less_than_sign_is_csv() {
    let csv = "<100,count\n<50,3\n";
    let table = parse(csv.as_bytes(), &options("buckets")).unwrap();
    assert_eq!(table.format, Format::Csv);
    assert_eq!(table.header, ["<100", "count"]);
}

#[test]
fn json_error_body_is_not_an_empty_table() {
    let body = br#"{"message":"Server Error"}"#;
    let err = parse(body, &options("users")).unwrap_err();
    assert!(matches!(err, TableError::UnknownFormat { .. }), "{err}");
    assert!(err.to_string().contains("export users"), "{err}");
}

#[test]
fn xlsx_date_time_column_keeps_midnight_as_a_date_time() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let moment = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    sheet.write_string(0, 0, "Waktu").unwrap();
    sheet
        .write_number_with_format(1, 0, 45_000.5, &moment)
        .unwrap();
    sheet
        .write_number_with_format(2, 0, 45_001.0, &moment)
        .unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let table = parse(&bytes, &options("coin_payments")).unwrap();
    let midnight = NaiveDate::from_ymd_opt(2023, 3, 16)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    assert_eq!(table.rows[1], vec![Cell::DateTime(midnight)]);
}

#[test]
fn quoting_encodings_markup_prefixes_and_text_columns() {
    // BOM + quoted header, amounts with commas inside quotes, CRLF, trailing delimiter and
    // trailing empty line.
    let csv = "\u{feff}\"ID\",\"Amount\",\"Note\",\r\n\"00123\",\"1,234\",\"a\nb\",\r\n\r\n";
    let table = parse(csv.as_bytes(), &options("t")).unwrap();
    assert_eq!(table.header, ["ID", "Amount", "Note"]);
    assert_eq!(
        table.rows,
        vec![vec![text("00123"), text("1,234"), text("a\nb")]]
    );
    // HTML with BOM, whitespace and a leading comment.
    let html =
        "\u{feff}\n  <!-- export --><html><table><tr><th>A</th></tr><tr><td>1</td></tr></table>";
    let table = parse(html.as_bytes(), &options("h")).unwrap();
    assert_eq!(table.format, Format::Html);
    assert_eq!(table.rows, vec![vec![Cell::Int(1)]]);
    // Windows-1252 with euro and curly quotes.
    let bytes = b"Nama;Harga\n\x93Kopi\x94;\x80 5\n";
    let table = parse(bytes, &options("w")).unwrap();
    assert_eq!(
        table.rows,
        vec![vec![text("\u{201c}Kopi\u{201d}"), text("€ 5")]]
    );
    // text_columns keeps the original CSV text, and an xlsx number as "123".
    let mut o = options("t");
    o.text_columns = vec!["ID".into()];
    let table = parse(b"ID,N\n00123,1\n", &o).unwrap();
    assert_eq!(table.rows[0][0], text("00123"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "ID").unwrap();
    sheet.write_number(1, 0, 123.0).unwrap();
    sheet.write_number(2, 0, 0.1 + 0.2).unwrap();
    sheet.write_number(3, 0, -0.0).unwrap();
    sheet.write_number(4, 0, 1e16).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let table = parse(&bytes, &o).unwrap();
    let got: Vec<&Cell> = table.rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        got,
        [
            &text("123"),
            &text("0.30000000000000004"),
            &text("0"),
            &text("10000000000000000")
        ]
    );
}

#[test]
fn a_header_narrower_than_its_numeric_rows_is_an_error_not_a_data_row_taken_as_header() {
    let csv = "ID,Amount\n1,2,3,4\n5,6,7,8\n";
    let err = parse(csv.as_bytes(), &options("users")).unwrap_err();
    assert!(matches!(err, TableError::RaggedRow { .. }), "{err}");
}
