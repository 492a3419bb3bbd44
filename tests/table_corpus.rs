//! A corpus of tricky export files built inside the test, one logical table in every format a
//! panel sends (xlsx, xls, ods, CSV in UTF-8, UTF-8 with BOM, Windows-1252 and `;`-delimited,
//! HTML sent as .xls): 16-19 digit IDs, leading zeros, "7e30", whitespace-only text, times,
//! dates, date-times, day-first dates, decimal commas, booleans, character references, a
//! "Total Motor" customer mid-table and footers. Each file is parsed, upserted through the
//! real SheetClient into the Sheets emulator, and read back cell by cell: the emulator's typed
//! state (text stays text, numbers numbers, booleans booleans, dates and times serials), the
//! formatted values through a real google-sheets4 hub (dates and times with their formats),
//! and a rerun writes nothing. The rules are in docs/tables.md.

mod table_support;

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use exportsync::secrets::GoogleSecrets;
use exportsync::sheet::values::to_read_value;
use exportsync::sheet::{RetryPolicy, SheetClient, SheetClientOptions, SheetTarget};
use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
use exportsync::table::{Cell, Format, TableOptions, parse};
use rust_xlsxwriter::{Format as XlsxFormat, Workbook};
use serde_json::Value;
use table_support::{XF_DATE, XF_DATE_TIME, XF_GENERAL, XF_TIME, XlsValue, ods, xls};

const SPREADSHEET: &str = "corpus";

const HEADER: [&str; 12] = [
    "Customer",
    "Transaksi ID",
    "Phone",
    "Code",
    "Note",
    "Jam",
    "Tanggal",
    "Waktu",
    "Amount",
    "Qty",
    "Aktif",
    "Harga",
];

/// One row of the logical table.
struct Row {
    customer: &'static str,
    id: &'static str,
    phone: &'static str,
    code: &'static str,
    note: &'static str,
    jam: (u32, u32, u32),
    tanggal: (i32, u32, u32),
    waktu: (i32, u32, u32, u32, u32, u32),
    amount: f64,
    /// The amount as an Indonesian panel writes it in text files.
    amount_comma: &'static str,
    qty: i64,
    aktif: bool,
    harga: &'static str,
}

const ROWS: [Row; 3] = [
    Row {
        customer: "José Ñandú",
        id: "1234567890123456789",
        phone: "0812345678",
        code: "7e30",
        note: "   ",
        jam: (13, 45, 30),
        tanggal: (2025, 12, 31),
        waktu: (2026, 11, 20, 8, 21, 0),
        amount: 293_890.0,
        amount_comma: "293890,00",
        qty: 3,
        aktif: true,
        harga: "€ 5",
    },
    Row {
        // A customer whose name starts like the footer marker, in the middle of the table.
        customer: "Total Motor",
        id: "9876543210987654",
        phone: "0098765432",
        code: "A-01",
        note: " ",
        jam: (8, 5, 0),
        tanggal: (2026, 1, 5),
        waktu: (2026, 11, 21, 17, 0, 30),
        amount: 1_234.56,
        amount_comma: "1.234,56",
        qty: 12,
        aktif: false,
        harga: "€ 12,50",
    },
    Row {
        customer: "Ann",
        id: "5555555555555555555",
        phone: "0811",
        code: "B2",
        note: "ok",
        jam: (23, 59, 59),
        tanggal: (2026, 11, 20),
        // A date-time at midnight in a column of date-times stays a date-time.
        waktu: (2026, 11, 22, 0, 0, 0),
        amount: 0.5,
        amount_comma: "0,50",
        qty: 7,
        aktif: true,
        harga: "x",
    },
];

fn time(r: &Row) -> NaiveTime {
    NaiveTime::from_hms_opt(r.jam.0, r.jam.1, r.jam.2).unwrap()
}

fn date(r: &Row) -> NaiveDate {
    NaiveDate::from_ymd_opt(r.tanggal.0, r.tanggal.1, r.tanggal.2).unwrap()
}

fn date_time(r: &Row) -> NaiveDateTime {
    let (y, mo, d, h, mi, s) = r.waktu;
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, s)
        .unwrap()
}

/// The typed cells every format must read. A cell of only spaces shows nothing: it is empty
/// in every format (issue 14).
fn expected(r: &Row, _html: bool) -> Vec<Cell> {
    let text = |s: &str| Cell::Text(s.to_owned());
    vec![
        text(r.customer),
        text(r.id),
        text(r.phone),
        text(r.code),
        if r.note.trim().is_empty() {
            Cell::Empty
        } else {
            text(r.note)
        },
        Cell::Time(time(r)),
        Cell::Date(date(r)),
        Cell::DateTime(date_time(r)),
        Cell::Decimal(r.amount),
        Cell::Int(r.qty),
        Cell::Bool(r.aktif),
        text(r.harga),
    ]
}

/// What the Sheets UI shows for each cell (FORMATTED_VALUE), for the columns whose display
/// depends on the number format written.
fn formatted(r: &Row) -> [(usize, String); 3] {
    [
        (5, time(r).format("%H:%M:%S").to_string()),
        (6, date(r).format("%Y-%m-%d").to_string()),
        (7, date_time(r).format("%Y-%m-%d %H:%M:%S").to_string()),
    ]
}

// ---- The files ----

fn xlsx_file() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let hms = XlsxFormat::new().set_num_format("hh:mm:ss");
    let day = XlsxFormat::new().set_num_format("yyyy-mm-dd");
    let moment = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    sheet.write_string(0, 0, "Laporan Transaksi").unwrap();
    for (c, name) in HEADER.iter().enumerate() {
        sheet.write_string(2, c as u16, *name).unwrap();
    }
    for (i, r) in ROWS.iter().enumerate() {
        let row = 3 + i as u32;
        for (c, s) in [r.customer, r.id, r.phone, r.code, r.note]
            .iter()
            .enumerate()
        {
            sheet.write_string(row, c as u16, *s).unwrap();
        }
        let serial = |cell: Cell| cell.to_serial().unwrap();
        sheet
            .write_number_with_format(row, 5, serial(Cell::Time(time(r))), &hms)
            .unwrap();
        sheet
            .write_number_with_format(row, 6, serial(Cell::Date(date(r))), &day)
            .unwrap();
        sheet
            .write_number_with_format(row, 7, serial(Cell::DateTime(date_time(r))), &moment)
            .unwrap();
        sheet.write_number(row, 8, r.amount).unwrap();
        sheet.write_number(row, 9, r.qty as f64).unwrap();
        sheet.write_boolean(row, 10, r.aktif).unwrap();
        sheet.write_string(row, 11, r.harga).unwrap();
    }
    sheet.write_string(6, 0, "Total:").unwrap();
    sheet.write_number(6, 8, 295_125.06).unwrap();
    sheet.write_string(7, 0, "GRAND TOTAL").unwrap();
    workbook.save_to_buffer().unwrap()
}

fn xls_file() -> Vec<u8> {
    let text = |s: &str| XlsValue::Text(s.to_owned());
    let mut cells = vec![(0, 0, text("Laporan Transaksi"))];
    for (c, name) in HEADER.iter().enumerate() {
        cells.push((2, c as u16, text(name)));
    }
    for (i, r) in ROWS.iter().enumerate() {
        let row = 3 + i as u16;
        for (c, s) in [r.customer, r.id, r.phone, r.code, r.note]
            .iter()
            .enumerate()
        {
            cells.push((row, c as u16, text(s)));
        }
        let serial = |cell: Cell| cell.to_serial().unwrap();
        cells.push((
            row,
            5,
            XlsValue::Number(serial(Cell::Time(time(r))), XF_TIME),
        ));
        cells.push((
            row,
            6,
            XlsValue::Number(serial(Cell::Date(date(r))), XF_DATE),
        ));
        cells.push((
            row,
            7,
            XlsValue::Number(serial(Cell::DateTime(date_time(r))), XF_DATE_TIME),
        ));
        cells.push((row, 8, XlsValue::Number(r.amount, XF_GENERAL)));
        cells.push((row, 9, XlsValue::Number(r.qty as f64, XF_GENERAL)));
        cells.push((row, 10, XlsValue::Bool(r.aktif)));
        cells.push((row, 11, text(r.harga)));
    }
    cells.push((6, 0, text("total")));
    cells.push((6, 8, XlsValue::Number(295_125.06, XF_GENERAL)));
    xls(&cells)
}

fn ods_file() -> Vec<u8> {
    let string = |s: &str| {
        // Leading, trailing and repeated spaces are <text:s/> elements in ODF.
        let spaces = s.chars().take_while(|c| *c == ' ').count();
        let body = if spaces == s.len() && !s.is_empty() {
            format!(r#"<text:s text:c="{spaces}"/>"#)
        } else {
            s.to_owned()
        };
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{body}</text:p></table:table-cell>"#
        )
    };
    let float = |n: f64| {
        format!(
            r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
        )
    };
    let row = |cells: Vec<String>| format!("<table:table-row>{}</table:table-row>", cells.concat());
    let mut rows = vec![
        row(vec![string("Laporan Transaksi")]),
        row(HEADER.iter().map(|h| string(h)).collect()),
    ];
    for r in &ROWS {
        let (h, mi, s) = r.jam;
        rows.push(row(vec![
            string(r.customer),
            string(r.id),
            string(r.phone),
            string(r.code),
            string(r.note),
            format!(r#"<table:table-cell office:value-type="time" office:time-value="PT{h:02}H{mi:02}M{s:02}S"><text:p>x</text:p></table:table-cell>"#),
            format!(r#"<table:table-cell office:value-type="date" office:date-value="{}"><text:p>x</text:p></table:table-cell>"#, date(r).format("%Y-%m-%d")),
            format!(r#"<table:table-cell office:value-type="date" office:date-value="{}"><text:p>x</text:p></table:table-cell>"#, date_time(r).format("%Y-%m-%dT%H:%M:%S")),
            float(r.amount),
            float(r.qty as f64),
            format!(r#"<table:table-cell office:value-type="boolean" office:boolean-value="{}"><text:p>x</text:p></table:table-cell>"#, r.aktif),
            string(r.harga),
        ]));
    }
    rows.push(row(vec![string("Total"), float(295_125.06)]));
    ods(&rows.concat())
}

/// The logical table as a panel writes it in text: day-first dates, decimal commas, times,
/// TRUE/FALSE, quoted where the delimiter or a quote appears.
fn text_records() -> Vec<Vec<String>> {
    let mut records = vec![
        vec!["Laporan Transaksi".to_owned()],
        HEADER.iter().map(|h| h.to_string()).collect(),
    ];
    for r in &ROWS {
        let (y, mo, d, h, mi, s) = r.waktu;
        let waktu = if s == 0 {
            format!("{d:02}/{mo:02}/{y} {h:02}:{mi:02}")
        } else {
            format!("{d:02}/{mo:02}/{y} {h:02}:{mi:02}:{s:02}")
        };
        records.push(vec![
            r.customer.to_owned(),
            r.id.to_owned(),
            r.phone.to_owned(),
            r.code.to_owned(),
            r.note.to_owned(),
            time(r).format("%H:%M:%S").to_string(),
            date(r).format("%d/%m/%Y").to_string(),
            waktu,
            r.amount_comma.to_owned(),
            r.qty.to_string(),
            if r.aktif { "TRUE" } else { "FALSE" }.to_owned(),
            r.harga.to_owned(),
        ]);
    }
    records.push(vec!["Total:".into(), String::new(), "295125,06".into()]);
    records
}

fn delimited(delimiter: char) -> String {
    let mut out = String::new();
    for record in text_records() {
        let fields: Vec<String> = record
            .iter()
            .map(|f| {
                if f.contains([delimiter, '"', '\n']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.clone()
                }
            })
            .collect();
        out.push_str(&fields.join(&delimiter.to_string()));
        out.push_str("\r\n");
    }
    out
}

fn html_file() -> Vec<u8> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('€', "&#8364;")
            .replace('é', "&eacute;")
            .replace('Ñ', "&Ntilde;")
            .replace('ú', "&#xFA;")
    };
    let mut html = String::from(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
         </head><body><h3>Laporan Transaksi</h3><table border=\"1\">",
    );
    for (i, record) in text_records().iter().enumerate().skip(1) {
        let tag = if i == 1 { "th" } else { "td" };
        html.push_str("<tr>");
        for field in record {
            html.push_str(&format!("<{tag}>{}</{tag}>", escape(field)));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table></body></html>");
    html.into_bytes()
}

fn corpus() -> Vec<(&'static str, Format, Vec<u8>)> {
    let csv = delimited(',');
    let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&csv);
    assert!(!unmappable);
    vec![
        ("xlsx", Format::Xlsx, xlsx_file()),
        ("xls", Format::Xls, xls_file()),
        ("ods", Format::Ods, ods_file()),
        ("csv-utf8", Format::Csv, csv.clone().into_bytes()),
        (
            "csv-utf8-bom",
            Format::Csv,
            [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat(),
        ),
        ("csv-windows-1252", Format::Csv, cp1252.into_owned()),
        ("csv-semicolon", Format::Csv, delimited(';').into_bytes()),
        ("html-as-xls", Format::Html, html_file()),
    ]
}

// ---- Reading back ----

/// JSON values compared as the Sheets API means them: numbers by value (45000 == 45000.0).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

async fn formatted_values(sim: &SheetsSim, tab: &str) -> Vec<Vec<Value>> {
    use google_sheets4::{Sheets, hyper_rustls, hyper_util, yup_oauth2};
    exportsync::tls::install_crypto_provider();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .unwrap()
        .https_or_http()
        .enable_http1()
        .build();
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let auth = yup_oauth2::ServiceAccountAuthenticator::builder(sim.service_account_key())
        .build()
        .await
        .unwrap();
    let mut hub = Sheets::new(http, auth);
    hub.base_url(format!("{}/", sim.base_url().trim_end_matches('/')));
    let (_, answer) = hub
        .spreadsheets()
        .values_batch_get(SPREADSHEET)
        .add_ranges(&format!("'{tab}'"))
        .value_render_option("FORMATTED_VALUE")
        .add_scope(google_sheets4::api::Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    answer.value_ranges.unwrap()[0]
        .values
        .clone()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cell_class_reads_back_exactly_in_every_format() {
    let sim = SheetsSim::start(SheetsSimOptions {
        spreadsheets: vec![SPREADSHEET.into()],
    })
    .await
    .expect("the emulator starts");
    let client = SheetClient::new(
        &GoogleSecrets::new(sim.service_account_key()),
        SheetClientOptions {
            base_url: Some(sim.base_url()),
            deadline: Duration::from_secs(60),
            retry: RetryPolicy {
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(100),
                max_attempts: 4,
                request_timeout: Duration::from_secs(20),
            },
            ..Default::default()
        },
    )
    .await
    .expect("the client builds");
    let options = TableOptions {
        export: "corpus".into(),
        footer_prefixes: vec!["Total".into(), "Grand Total".into()],
        ..TableOptions::default()
    };

    for (name, format, bytes) in corpus() {
        let html = format == Format::Html;
        // 1. The parse: header, typed cells, footers gone, "Total Motor" kept.
        let table = parse(&bytes, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(table.format, format, "{name}");
        assert_eq!(table.header, HEADER, "{name}");
        assert_eq!(table.rows.len(), ROWS.len(), "{name}: {:?}", table.rows);
        for (r, (got, row)) in table.rows.iter().zip(&ROWS).enumerate() {
            for (c, (got, want)) in got.iter().zip(expected(row, html)).enumerate() {
                assert!(
                    same_json(&to_read_value(got), &to_read_value(&want))
                        && std::mem::discriminant(got) == std::mem::discriminant(&want)
                        || matches!((got, &want), (Cell::Int(_), Cell::Decimal(_))),
                    "{name}: row {r}, column {}: read {got:?}, expected {want:?}",
                    HEADER[c]
                );
            }
        }
        assert!(
            table.warnings.iter().any(|w| w.starts_with("Left out")),
            "{name}: {:?}",
            table.warnings
        );

        // 2. The upsert, and the emulator's typed state cell by cell.
        let target = SheetTarget {
            spreadsheet_id: SPREADSHEET.into(),
            tab: name.into(),
            key_columns: vec!["Transaksi ID".into()],
        };
        let report = client.upsert(&target, &table, false).await.unwrap();
        assert_eq!(report.inserted, ROWS.len(), "{name}: {report:?}");
        let state = sim.state(SPREADSHEET).unwrap();
        let rows = &state.tab(name).unwrap().rows;
        assert_eq!(rows.len(), 1 + ROWS.len(), "{name}: {rows:?}");
        for (r, row) in ROWS.iter().enumerate() {
            let sheet_row = &rows[r + 1];
            for (c, want) in expected(row, html).iter().enumerate() {
                let got = sheet_row.get(c).unwrap_or(&Value::Null);
                let want = match want {
                    Cell::Empty => Value::Null,
                    other => to_read_value(other),
                };
                assert!(
                    same_json(got, &want),
                    "{name}: sheet row {}, column {}: holds {got}, expected {want}",
                    r + 2,
                    HEADER[c]
                );
            }
        }

        // 3. What a person sees: dates and times with their number formats.
        let shown = formatted_values(&sim, name).await;
        for (r, row) in ROWS.iter().enumerate() {
            for (c, want) in formatted(row) {
                assert_eq!(
                    shown[r + 1][c],
                    Value::String(want.clone()),
                    "{name}: row {}, column {}",
                    r + 2,
                    HEADER[c]
                );
            }
            assert_eq!(shown[r + 1][1], Value::String(row.id.into()), "{name}");
        }

        // 4. A rerun finds every cell equal and writes nothing.
        let again = client.upsert(&target, &table, false).await.unwrap();
        assert_eq!(
            (
                again.inserted,
                again.updated,
                again.unchanged,
                again.write_requests
            ),
            (0, 0, ROWS.len(), 0),
            "{name}: {again:?}"
        );
    }
}

/// On the update path: a cell of only spaces is empty, so a row whose sheet cell is empty is
/// unchanged (nothing written); text differing only in spaces is rewritten; the rerun writes
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whitespace_only_text_is_empty_on_update() {
    let sim = SheetsSim::start(SheetsSimOptions {
        spreadsheets: vec![SPREADSHEET.into()],
    })
    .await
    .expect("the emulator starts");
    sim.set_rows(
        SPREADSHEET,
        "Notes",
        vec![
            vec![Value::from("ID"), Value::from("Note")],
            vec![Value::from("a"), Value::Null],
            vec![Value::from("b"), Value::from("x")],
        ],
    );
    let client = SheetClient::new(
        &GoogleSecrets::new(sim.service_account_key()),
        SheetClientOptions {
            base_url: Some(sim.base_url()),
            deadline: Duration::from_secs(30),
            ..Default::default()
        },
    )
    .await
    .expect("the client builds");
    let csv = "ID,Note\na,   \nb,x \n";
    let table = parse(
        csv.as_bytes(),
        &TableOptions {
            export: "notes".into(),
            ..TableOptions::default()
        },
    )
    .unwrap();
    let target = SheetTarget {
        spreadsheet_id: SPREADSHEET.into(),
        tab: "Notes".into(),
        key_columns: vec!["ID".into()],
    };
    let report = client.upsert(&target, &table, false).await.unwrap();
    assert_eq!((report.updated, report.unchanged), (1, 1), "{report:?}");
    let state = sim.state(SPREADSHEET).unwrap();
    assert_eq!(
        state.tab("Notes").unwrap().rows[1..],
        [
            vec![Value::from("a")],
            vec![Value::from("b"), Value::from("x ")]
        ]
    );
    let again = client.upsert(&target, &table, false).await.unwrap();
    assert_eq!((again.updated, again.write_requests), (0, 0), "{again:?}");
}
