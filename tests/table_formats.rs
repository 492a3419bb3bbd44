//! Workbook formats end to end through `table::parse`: xlsx generated with rust_xlsxwriter
//! (exact integers, IDs and look-alikes as text, dates in both epochs, header quirks, broken
//! files) and ods built by hand as a zip. OLE2 containers (xls) are in `table_ole2.rs`.

use std::io::{Cursor, Read, Write};

use chrono::{NaiveDate, NaiveDateTime};
use exportsync::table::{Cell, Format, TableError, TableOptions, parse};
use rust_xlsxwriter::{Format as XlsxFormat, Workbook, Worksheet};
use zip::write::SimpleFileOptions;

fn options(export: &str) -> TableOptions {
    TableOptions {
        export: export.into(),
        ..TableOptions::default()
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn date(y: i32, m: u32, d: u32) -> Cell {
    Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn date_time(s: &str) -> Cell {
    Cell::DateTime(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap())
}

fn xlsx(build: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
    let mut workbook = Workbook::new();
    build(workbook.add_worksheet());
    workbook.save_to_buffer().unwrap()
}

/// Rewrites a zip, passing each entry's bytes through `edit(name, bytes)`.
fn rewrite_zip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        out.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        out.write_all(&edit(&name, content)).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A worksheet of serials formatted as dates and date-times, offset for the epoch in use.
fn dated_sheet(serial_offset: f64) -> impl FnOnce(&mut Worksheet) {
    move |sheet| {
        let day = XlsxFormat::new().set_num_format("yyyy-mm-dd");
        let moment = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        sheet.write_string(0, 0, "Tanggal").unwrap();
        sheet.write_string(0, 1, "Waktu").unwrap();
        // 45000 = 2023-03-15 in the 1900 system; .75 = 18:00; 45000.3541782407 = 08:30:01.
        sheet
            .write_number_with_format(1, 0, 45_000.0 - serial_offset, &day)
            .unwrap();
        sheet
            .write_number_with_format(1, 1, 45_000.75 - serial_offset, &moment)
            .unwrap();
        sheet
            .write_number_with_format(2, 0, 45_351.0 - serial_offset, &day)
            .unwrap();
        sheet
            .write_number_with_format(2, 1, 45_000.354_178_240_7 - serial_offset, &moment)
            .unwrap();
    }
}

#[test]
fn xlsx_keeps_integers_exact_and_ids_as_text() {
    let bytes = xlsx(|sheet| {
        let header = [
            "Transaksi ID",
            "Phone",
            "Code",
            "Amount",
            "Qty",
            "Big number",
            "Paid",
        ];
        for (column, name) in header.iter().enumerate() {
            sheet.write_string(0, column as u16, *name).unwrap();
        }
        sheet.write_string(1, 0, "1234567890123456").unwrap();
        sheet.write_string(1, 1, "081234567890").unwrap();
        sheet.write_string(1, 2, "7e30").unwrap();
        sheet.write_number(1, 3, 1_250_000.5).unwrap();
        sheet.write_number(1, 4, 3.0).unwrap();
        sheet.write_number(1, 5, 1_234_567_890_123_456.0).unwrap();
        sheet.write_boolean(1, 6, true).unwrap();
    });
    let table = parse(&bytes, &options("transactions")).unwrap();
    assert_eq!(table.format, Format::Xlsx);
    assert_eq!(
        table.rows,
        vec![vec![
            text("1234567890123456"),
            text("081234567890"),
            text("7e30"),
            Cell::Decimal(1_250_000.5),
            Cell::Int(3),
            Cell::Int(1_234_567_890_123_456),
            Cell::Bool(true),
        ]]
    );
    let canonical: Vec<String> = table.rows[0]
        .iter()
        .map(|c| c.canonical().into_owned())
        .collect();
    assert_eq!(
        canonical,
        [
            "1234567890123456",
            "081234567890",
            "7e30",
            "1250000.5",
            "3",
            "1234567890123456",
            "TRUE"
        ]
    );
    assert!(table.warnings.is_empty(), "{:?}", table.warnings);
}

#[test]
fn xlsx_dates_and_date_times_in_the_1900_epoch() {
    let table = parse(&xlsx(dated_sheet(0.0)), &options("coin_payments")).unwrap();
    assert_eq!(table.header, ["Tanggal", "Waktu"]);
    assert_eq!(
        table.rows,
        vec![
            vec![date(2023, 3, 15), date_time("2023-03-15 18:00:00")],
            vec![date(2024, 2, 29), date_time("2023-03-15 08:30:01")],
        ]
    );
}

#[test]
fn xlsx_dates_honour_the_1904_epoch() {
    // The same calendar days, stored as 1904-system serials (1,462 days smaller), in a
    // workbook flagged date1904 the way Excel for Mac writes it.
    let plain = xlsx(dated_sheet(1_462.0));
    let bytes = rewrite_zip(&plain, |name, content| {
        if name != "xl/workbook.xml" {
            return content;
        }
        let xml = String::from_utf8(content).unwrap();
        assert!(xml.contains("<workbookPr"), "{xml}");
        xml.replacen("<workbookPr", "<workbookPr date1904=\"1\"", 1)
            .into_bytes()
    });
    let table = parse(&bytes, &options("coin_payments")).unwrap();
    assert_eq!(
        table.rows,
        vec![
            vec![date(2023, 3, 15), date_time("2023-03-15 18:00:00")],
            vec![date(2024, 2, 29), date_time("2023-03-15 08:30:01")],
        ]
    );
    // Without the flag the same serials are four years and a day earlier: the flag is read.
    let unflagged = parse(&plain, &options("coin_payments")).unwrap();
    assert_eq!(unflagged.rows[0][0], date(2019, 3, 14));
}

#[test]
fn xlsx_title_rows_duplicate_headers_footers_and_trailing_blanks() {
    let bytes = xlsx(|sheet| {
        sheet
            .write_string(0, 0, "Laporan Point Transaction")
            .unwrap();
        sheet
            .write_string(1, 0, "Periode: 2024-01-01 s/d 2024-01-31")
            .unwrap();
        for (column, name) in [" Name ", "Points", "Name", "", "Note"].iter().enumerate() {
            if !name.is_empty() {
                sheet.write_string(3, column as u16, *name).unwrap();
            }
        }
        sheet.write_string(4, 0, "Ann").unwrap();
        sheet.write_number(4, 1, 10.0).unwrap();
        sheet.write_string(4, 2, "Annie").unwrap();
        sheet.write_string(4, 3, "x").unwrap();
        sheet.write_string(5, 0, "Bob").unwrap();
        sheet.write_number(5, 1, 2.25).unwrap();
        sheet.write_string(7, 0, "Total").unwrap();
        sheet.write_number(7, 1, 12.25).unwrap();
        // Formatting far below and to the right makes empty cells a reader must ignore.
        sheet
            .write_blank(40, 30, &XlsxFormat::new().set_bold())
            .unwrap();
    });
    let mut opts = options("point_transactions");
    opts.footer_prefixes = vec!["total".into()];
    let table = parse(&bytes, &opts).unwrap();
    assert_eq!(
        table.header,
        ["Name", "Points", "Name (2)", "Column D", "Note"]
    );
    assert_eq!(
        table.rows,
        vec![
            vec![
                text("Ann"),
                Cell::Int(10),
                text("Annie"),
                text("x"),
                Cell::Empty
            ],
            vec![
                text("Bob"),
                Cell::Decimal(2.25),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty
            ],
        ]
    );
    assert_eq!(table.warnings.len(), 3, "{:?}", table.warnings);
    assert!(table.warnings.iter().any(|w| w.contains("\"Name (2)\"")));
    assert!(
        table
            .warnings
            .iter()
            .any(|w| w.contains("footer") && w.contains("row 8"))
    );
}

#[test]
fn xlsx_configured_header_row_and_text_columns() {
    let bytes = xlsx(|sheet| {
        sheet.write_string(0, 0, "a").unwrap();
        sheet.write_string(0, 1, "b").unwrap();
        sheet.write_string(1, 0, "Member").unwrap();
        sheet.write_string(1, 1, "Points").unwrap();
        sheet.write_number(2, 0, 812.0).unwrap();
        sheet.write_number(2, 1, 5.0).unwrap();
    });
    let mut opts = options("users");
    opts.header_row = Some(2);
    opts.text_columns = vec!["Member".into()];
    let table = parse(&bytes, &opts).unwrap();
    assert_eq!(table.header, ["Member", "Points"]);
    assert_eq!(table.rows, vec![vec![text("812"), Cell::Int(5)]]);
}

#[test]
fn xlsx_header_only_is_an_empty_table() {
    let bytes = xlsx(|sheet| {
        for (column, name) in ["ID", "Koin", "Tanggal"].iter().enumerate() {
            sheet.write_string(0, column as u16, *name).unwrap();
        }
    });
    let table = parse(&bytes, &options("coin_payments")).unwrap();
    assert_eq!(table.header, ["ID", "Koin", "Tanggal"]);
    assert!(table.rows.is_empty());
}

#[test]
fn xlsx_value_beyond_the_header_names_sheet_row_and_column() {
    let bytes = xlsx(|sheet| {
        sheet.write_string(0, 0, "ID").unwrap();
        sheet.write_string(0, 1, "Name").unwrap();
        sheet.write_string(1, 0, "1").unwrap();
        sheet.write_string(2, 3, "stray").unwrap();
    });
    let err = parse(&bytes, &options("users")).unwrap_err().to_string();
    assert!(
        err.starts_with("export users: sheet \"Sheet1\", row 3, column D holds \"stray\""),
        "{err}"
    );
}

#[test]
fn truncated_xlsx_is_reported_as_damaged() {
    let bytes = xlsx(|sheet| {
        for row in 0..200 {
            sheet.write_string(row, 0, format!("value {row}")).unwrap();
        }
    });
    let err = parse(&bytes[..bytes.len() / 2], &options("transactions")).unwrap_err();
    assert!(
        matches!(
            err,
            TableError::Damaged {
                format: Format::Xlsx,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("export transactions: the xlsx file is damaged or truncated")
            && message.ends_with("download it again"),
        "{message}"
    );
}

#[test]
fn empty_and_pdf_files_get_clear_errors() {
    let err = parse(b"", &options("users")).unwrap_err().to_string();
    assert_eq!(
        err,
        "export users: the file is empty (0 bytes); the backend sent nothing, try the export again"
    );
    let err = parse(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj", &options("users"))
        .unwrap_err()
        .to_string();
    // PDFs are read (tests/table_pdf.rs); a truncated one is damaged, and says so.
    assert!(
        err.starts_with("export users: the pdf file is damaged or truncated"),
        "{err}"
    );
}

// ---- OpenDocument, built by hand: mimetype (stored, first), manifest and content ----

const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

fn ods(rows_xml: &str, encrypted: bool) -> Vec<u8> {
    let encryption = if encrypted {
        "<manifest:encryption-data manifest:checksum-type=\"SHA1/1K\" manifest:checksum=\"x\">\
         <manifest:algorithm manifest:algorithm-name=\"Blowfish CFB\" manifest:initialisation-vector=\"x\"/>\
         </manifest:encryption-data>"
    } else {
        ""
    };
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"></manifest:file-entry>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}</manifest:file-entry>
</manifest:manifest>"#
    );
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Koin">{rows_xml}</table:table></office:spreadsheet></office:body>
</office:document-content>"#
    );
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("mimetype", stored).unwrap();
    out.write_all(ODS_MIMETYPE.as_bytes()).unwrap();
    out.start_file("META-INF/manifest.xml", SimpleFileOptions::default())
        .unwrap();
    out.write_all(manifest.as_bytes()).unwrap();
    out.start_file("content.xml", SimpleFileOptions::default())
        .unwrap();
    out.write_all(content.as_bytes()).unwrap();
    out.finish().unwrap().into_inner()
}

fn ods_row(cells: &[&str]) -> String {
    format!("<table:table-row>{}</table:table-row>", cells.concat())
}

fn ods_text(s: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{s}</text:p></table:table-cell>"#
    )
}

#[test]
fn ods_cells_keep_their_types() {
    let rows = [
        ods_row(&[&ods_text("Title only")]),
        ods_row(&[&ods_text("ID"), &ods_text("Koin"), &ods_text("Rate"), &ods_text("Tanggal"), &ods_text("Aktif")]),
        ods_row(&[
            &ods_text("0812"),
            r#"<table:table-cell office:value-type="float" office:value="1234567890123456"><text:p>1.23457E+15</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="float" office:value="0.125"><text:p>0.13</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="date" office:date-value="2024-03-01T08:30:00"><text:p>01/03/24</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="boolean" office:boolean-value="false"><text:p>FALSE</text:p></table:table-cell>"#,
        ]),
        ods_row(&[
            &ods_text("7e30"),
            r#"<table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell>"#,
            "<table:table-cell/>",
            r#"<table:table-cell office:value-type="date" office:date-value="2024-03-02"><text:p>02/03/24</text:p></table:table-cell>"#,
        ]),
    ]
    .concat();
    let table = parse(&ods(&rows, false), &options("coin_payments")).unwrap();
    assert_eq!(table.format, Format::Ods);
    assert_eq!(table.header, ["ID", "Koin", "Rate", "Tanggal", "Aktif"]);
    assert_eq!(
        table.rows,
        vec![
            vec![
                text("0812"),
                Cell::Int(1_234_567_890_123_456),
                Cell::Decimal(0.125),
                date_time("2024-03-01 08:30:00"),
                Cell::Bool(false),
            ],
            vec![
                text("7e30"),
                Cell::Int(42),
                Cell::Empty,
                // A date in a column of date-times is that day at midnight: one type a column.
                date_time("2024-03-02 00:00:00"),
                Cell::Empty
            ],
        ]
    );
}

#[test]
fn password_protected_ods_is_reported_as_encrypted() {
    let rows = ods_row(&[&ods_text("ID")]);
    let err = parse(&ods(&rows, true), &options("users")).unwrap_err();
    assert!(matches!(err, TableError::Encrypted { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("export users: the file is password-protected")
    );
}

#[test]
fn xlsx_with_a_cut_worksheet_names_the_sheet_and_row() {
    let bytes = xlsx(|sheet| {
        sheet.write_string(0, 0, "ID").unwrap();
        for row in 1..=300 {
            sheet.write_string(row, 0, format!("id-{row}")).unwrap();
        }
    });
    // A zip that is whole but whose worksheet XML stops in the middle of the rows.
    let cut = rewrite_zip(&bytes, |name, content| {
        if name == "xl/worksheets/sheet1.xml" {
            content[..content.len() / 2].to_vec()
        } else {
            content
        }
    });
    let err = parse(&cut, &options("users")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(
            "export users: the xlsx file is damaged or truncated at sheet \"Sheet1\", row "
        ),
        "{message}"
    );
    let TableError::Damaged { location, .. } = err else {
        panic!("not a damaged-file error: {message}");
    };
    let row = location.row.unwrap();
    assert!((100..=300).contains(&row), "{row}");
}
