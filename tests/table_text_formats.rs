//! Text formats end to end through `table::parse`: CSV and TSV (delimiters, encodings,
//! quoting, conservative typing, ragged rows) and HTML tables sent with an .xls name.

use chrono::NaiveDate;
use exportsync::table::{Cell, Format, TableError, TableOptions, parse};

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
fn csv_cells_are_typed_conservatively() {
    let csv = "Transaksi ID,Phone,Code,Amount,Qty,Tanggal,Waktu,Note\r\n\
               1234567890123456,0812345,7e30,1250000.50,3,2024-01-31,2024-01-31 08:05:09,\"Tom, \"\"Jr\"\"\"\r\n";
    let table = parse(csv.as_bytes(), &options("transactions")).unwrap();
    assert_eq!(table.format, Format::Csv);
    assert_eq!(
        table.rows[0],
        vec![
            text("1234567890123456"),
            text("0812345"),
            text("7e30"),
            Cell::Decimal(1_250_000.5),
            Cell::Int(3),
            Cell::Date(NaiveDate::from_ymd_opt(2024, 1, 31).unwrap()),
            Cell::DateTime(
                NaiveDate::from_ymd_opt(2024, 1, 31)
                    .unwrap()
                    .and_hms_opt(8, 5, 9)
                    .unwrap()
            ),
            text("Tom, \"Jr\""),
        ]
    );
}

#[test]
fn semicolon_csv_with_bom_title_rows_short_rows_and_footer() {
    let csv = "\u{feff}Laporan Koin\n\nID;Nama;Koin\n001;Ann;5\n002;Bob\nTotal;;5\n\n\n";
    let mut opts = options("coin_payments");
    opts.footer_prefixes = vec!["Total".into()];
    let table = parse(csv.as_bytes(), &opts).unwrap();
    assert_eq!(table.header, ["ID", "Nama", "Koin"]);
    assert_eq!(
        table.rows,
        vec![
            vec![text("001"), text("Ann"), Cell::Int(5)],
            vec![text("002"), text("Bob"), Cell::Empty],
        ]
    );
    assert_eq!(table.warnings, ["Left out 1 footer row(s) (row 6)."]);
}

#[test]
fn tsv_in_windows_1252_with_text_columns() {
    let bytes = b"Kode\tNama\tHarga\n0012\tCaf\xe9\t15000\n123\tNa\xefve\t7\n";
    let mut opts = options("users");
    opts.text_columns = vec!["Kode".into(), "Harga".into()];
    let table = parse(bytes, &opts).unwrap();
    assert_eq!(table.format, Format::Tsv);
    assert_eq!(
        table.rows,
        vec![
            vec![text("0012"), text("Café"), text("15000")],
            vec![text("123"), text("Naïve"), text("7")],
        ]
    );
    assert!(table.warnings.iter().any(|w| w.contains("Windows-1252")));
}

#[test]
fn utf16_tab_separated_text_as_excel_saves_it() {
    let body = "ID\tName\r\n0812\tÄnne\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(body.encode_utf16().flat_map(u16::to_le_bytes));
    let table = parse(&bytes, &options("users")).unwrap();
    assert_eq!(table.format, Format::Tsv);
    assert_eq!(table.rows, vec![vec![text("0812"), text("Änne")]]);
}

#[test]
fn header_only_csv_is_an_empty_table_and_duplicates_are_renamed() {
    let table = parse(b"ID,Name,Name\r\n", &options("coin_payments")).unwrap();
    assert_eq!(table.header, ["ID", "Name", "Name (2)"]);
    assert!(table.rows.is_empty());
    assert_eq!(table.warnings.len(), 1);
}

#[test]
fn csv_row_longer_than_the_header_is_an_error_naming_it() {
    // Short rows and empty extra fields are tolerated; a value beyond the header is not.
    let csv = "a,b,c\n1,2\n1,2,3,\n1,2,3,4\n";
    let err = parse(csv.as_bytes(), &options("users")).unwrap_err();
    assert!(matches!(err, TableError::RaggedRow { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "export users: row 4, column D holds \"4\" beyond the 3 header columns; the row is ragged \
         or the header is not where it was looked for (set header_row in the export's configuration)"
    );
}

#[test]
fn csv_with_an_unclosed_quote_is_an_error_naming_the_row() {
    let err = parse(b"a,b\n1,\"never closed\n2,3\n", &options("users")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "export users: a quoted field opened at row 2 is never closed; the CSV file is truncated or malformed"
    );
}

#[test]
fn binary_garbage_is_not_read_as_csv() {
    let err = parse(b"\x00\x01\x02\x03garbage", &options("users")).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "export users: exportsync does not read this file: binary data starting 00 01 02 03"
        ),
        "{err}"
    );
}

#[test]
fn html_table_saved_as_xls_is_read() {
    let html = r#"<html xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta charset="utf-8"><style>.text { mso-number-format:"\@"; }</style></head>
<body><h3>Data User</h3>
<table border="1">
  <tr><th>No</th><th>ID Member</th><th>Nama</th><th>Poin</th><th>Tanggal Daftar</th></tr>
  <tr><td>1</td><td class="text">0812000111</td><td>Siti &amp; Co</td><td>1500.5</td><td>2024-02-01 10:00:00</td></tr>
  <tr><td>2</td><td class="text">1234567890123456</td><td>&lt;none&gt;&nbsp;</td><td></td><td>2024-02-02</td></tr>
</table></body></html>"#;
    let table = parse(html.as_bytes(), &options("users")).unwrap();
    assert_eq!(table.format, Format::Html);
    assert_eq!(
        table.header,
        ["No", "ID Member", "Nama", "Poin", "Tanggal Daftar"]
    );
    let canonical: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.canonical().into_owned()).collect())
        .collect();
    assert_eq!(
        canonical,
        [
            [
                "1",
                "0812000111",
                "Siti & Co",
                "1500.5",
                "2024-02-01 10:00:00"
            ],
            // A date in a column of date-times is that day at midnight: one type a column.
            ["2", "1234567890123456", "<none>", "", "2024-02-02 00:00:00"],
        ]
    );
    assert_eq!(table.rows[0][0], Cell::Int(1));
    assert_eq!(table.rows[0][1], text("0812000111"));
}

#[test]
fn html_page_without_a_table_says_so() {
    let page = b"<!DOCTYPE html><html><body><form action=\"/login\"><input name=\"email\"></form></body></html>";
    let err = parse(page, &options("users")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "export users: the HTML file has no <table> (it may be a login or error page); check the export's page and button"
    );
}

#[test]
fn html_character_references_are_all_decoded() {
    let html = "<table><tr><th>Nama</th><th>Harga</th><th>Kota</th></tr>\
                <tr><td>Jos&eacute; Ma&ntilde;ana</td><td>&#8364; 5</td><td>K&ouml;ln &amp; S&atilde;o Paulo</td></tr>\
                <tr><td>&Agrave;&szlig;&#x1F600;</td><td>&euro;&nbsp;7</td><td>&hellip;</td></tr></table>";
    let table = parse(html.as_bytes(), &options("users")).unwrap();
    assert_eq!(
        table.rows,
        vec![
            vec![text("José Mañana"), text("€ 5"), text("Köln & São Paulo")],
            vec![text("Àß😀"), text("€ 7"), text("…")],
        ]
    );
}

#[test]
fn a_cell_of_only_spaces_is_empty_in_every_text_format() {
    let csv = "ID,Note,Amount\n1,   ,5\n2,\u{a0}\u{3000},6\n3,,7\n4, x ,8\n";
    let table = parse(csv.as_bytes(), &options("users")).unwrap();
    let notes: Vec<&Cell> = table.rows.iter().map(|r| &r[1]).collect();
    assert_eq!(
        notes,
        [&Cell::Empty, &Cell::Empty, &Cell::Empty, &text(" x ")]
    );

    let html = "<table><tr><th>ID</th><th>Note</th></tr><tr><td>1</td><td>&nbsp;&nbsp;</td></tr>\
                <tr><td>2</td><td>&ensp;&#8203;</td></tr><tr><td>3</td><td>ok</td></tr></table>";
    let table = parse(html.as_bytes(), &options("users")).unwrap();
    let notes: Vec<&Cell> = table.rows.iter().map(|r| &r[1]).collect();
    assert_eq!(notes, [&Cell::Empty, &Cell::Empty, &text("ok")]);
}

/// Excel's HTML export marks text cells with `mso-number-format:"\@"` (in a class or a
/// `style`): they stay text exactly, whatever the rest of the column holds.
#[test]
fn html_cells_formatted_as_text_by_excel_stay_text() {
    let html = r#"<html><head><style>
        .xl65 { mso-number-format:"\@"; } td.num { mso-number-format:"\#\,\#\#0"; }
        </style></head><body><table>
        <tr><th>Kode</th><th>Jumlah</th><th>Harga</th></tr>
        <tr><td class="xl65">1.234,50</td><td class="num">1.234,50</td><td style='mso-number-format:\@'>007</td></tr>
        <tr><td class="xl65">2.000,00</td><td class="num">2.000,00</td><td>12</td></tr>
        </table></body></html>"#;
    let explained = exportsync::table::parse_explained(html.as_bytes(), &options("users")).unwrap();
    let rows = &explained.table.rows;
    assert_eq!(rows[0][0], text("1.234,50"));
    assert_eq!(rows[1][0], text("2.000,00"));
    assert!(
        explained.column_decisions[0].contains("mso-number-format"),
        "{:?}",
        explained.column_decisions
    );
    assert_eq!(rows[0][1], Cell::Decimal(1234.5));
    // One cell of the column is formatted as text: it keeps its leading zeros.
    assert_eq!(rows[0][2], text("007"));
}

#[test]
fn text_columns_are_typed_as_a_whole() {
    let csv = "ID,Big,Tanggal,Waktu,Jam,Aktif,Amount\n\
               1234500012,5,31/12/2025,20/11/2026 08:21,13:45:30,TRUE,\"293890,00\"\n\
               0098765432,123456789012345,01/02/2026,21/11/2026 17:00:30,8:05,FALSE,\"1.234,56\"\n";
    let table = parse(csv.as_bytes(), &options("transactions")).unwrap();
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let time = |h, m, s| chrono::NaiveTime::from_hms_opt(h, m, s).unwrap();
    assert_eq!(
        table.rows,
        vec![
            vec![
                text("1234500012"),
                text("5"),
                Cell::Date(date(2025, 12, 31)),
                Cell::DateTime(date(2026, 11, 20).and_time(time(8, 21, 0))),
                Cell::Time(time(13, 45, 30)),
                Cell::Bool(true),
                Cell::Decimal(293_890.0),
            ],
            vec![
                text("0098765432"),
                text("123456789012345"),
                Cell::Date(date(2026, 2, 1)),
                Cell::DateTime(date(2026, 11, 21).and_time(time(17, 0, 30))),
                Cell::Time(time(8, 5, 0)),
                Cell::Bool(false),
                Cell::Decimal(1_234.56),
            ],
        ]
    );
}

#[test]
fn semicolon_files_and_the_configuration_decide_ambiguous_columns() {
    let semicolon = "Tanggal;Harga\n01/02/2026;1,234\n03/04/2026;5,5\n";
    let table = parse(semicolon.as_bytes(), &options("coin_payments")).unwrap();
    assert_eq!(
        table.rows[0],
        // Day and month cannot be told apart without the configuration.
        vec![text("01/02/2026"), Cell::Decimal(1.234)]
    );
    let mut configured = options("coin_payments");
    configured.file_date_format = Some("%d/%m/%Y".into());
    let table = parse(semicolon.as_bytes(), &configured).unwrap();
    assert_eq!(
        table.rows[1][0],
        Cell::Date(NaiveDate::from_ymd_opt(2026, 4, 3).unwrap())
    );
    // In a comma file "1,234" may be a thousands comma: text unless decimal = "," says so.
    let comma = "Harga,Qty\n\"1,234\",1\n\"5,678\",2\n";
    assert_eq!(
        parse(comma.as_bytes(), &options("x")).unwrap().rows[0][0],
        text("1,234")
    );
    let mut forced = options("x");
    forced.decimal = Some(exportsync::table::DecimalMark::Comma);
    assert_eq!(
        parse(comma.as_bytes(), &forced).unwrap().rows[0][0],
        Cell::Decimal(1.234)
    );
    forced.decimal = Some(exportsync::table::DecimalMark::Dot);
    assert_eq!(
        parse(comma.as_bytes(), &forced).unwrap().rows[0][0],
        Cell::Int(1234)
    );
}

#[test]
fn footers_are_whole_cells_in_the_trailing_rows_only() {
    let csv = "Customer,Amount\nTotal Motor,5\nTotal,6\nAnn,7\nTOTAL:,18\n";
    let mut opts = options("transactions");
    opts.footer_prefixes = vec!["Total".into()];
    let table = parse(csv.as_bytes(), &opts).unwrap();
    let customers: Vec<&Cell> = table.rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        customers,
        [&text("Total Motor"), &text("Total"), &text("Ann")]
    );
    assert_eq!(table.warnings, ["Left out 1 footer row(s) (row 5)."]);
}
