//! OLE2 compound files built by hand to the [MS-CFB] layout: a BIFF8 workbook (xls) in both
//! date epochs, what Excel writes for a password-protected xlsx, and a container that holds
//! no workbook. Streams are 4096 bytes (padded) so no mini stream is needed.

use chrono::NaiveDate;
use exportsync::table::{Cell, Format, TableError, TableOptions, parse};

mod table_support;

fn options(export: &str) -> TableOptions {
    TableOptions {
        export: export.into(),
        ..TableOptions::default()
    }
}

use table_support::compound_file;

#[test]
fn password_protected_xlsx_container_is_reported_as_encrypted() {
    // What Excel writes for an xlsx saved with a password: an OLE2 file whose streams are
    // EncryptionInfo (the key data) and EncryptedPackage (the encrypted zip).
    let mut info = [0u8; 4096];
    info[..8].copy_from_slice(&[4, 0, 4, 0, 0x40, 0, 0, 0]); // agile encryption, version 4.4
    let bytes = compound_file(&[("EncryptionInfo", info), ("EncryptedPackage", [0x5A; 4096])]);
    let err = parse(&bytes, &options("transactions")).unwrap_err();
    assert!(matches!(err, TableError::Encrypted { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "export transactions: the file is password-protected (encrypted); exportsync cannot read \
         encrypted workbooks, export it without a password"
    );
}

#[test]
fn ole2_file_without_a_workbook_is_reported_as_a_damaged_xls() {
    let bytes = compound_file(&[("Contents", [0; 4096])]);
    let err = parse(&bytes, &options("users")).unwrap_err();
    assert!(
        matches!(
            err,
            TableError::Damaged {
                format: Format::Xls,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("export users: the xls file is damaged"),
        "{err}"
    );
}

#[test]
fn ole2_error_detail_names_the_missing_workbook_stream() {
    let bytes = compound_file(&[("Contents", [0; 4096])]);
    let err = parse(&bytes, &options("users")).unwrap_err().to_string();
    assert!(err.contains("Workbook"), "{err}");
}

// ---- A minimal BIFF8 workbook stream, per [MS-XLS] ----

fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
    out
}

fn bof(substream: u16) -> Vec<u8> {
    let mut data = 0x0600u16.to_le_bytes().to_vec(); // BIFF8
    data.extend_from_slice(&substream.to_le_bytes());
    data.extend_from_slice(&[0; 12]);
    record(0x0809, &data)
}

/// XF record whose number format is the built-in `ifmt` (0 General, 14 date, 22 date-time).
fn xf(ifmt: u16) -> Vec<u8> {
    let mut data = vec![0u8; 20];
    data[2..4].copy_from_slice(&ifmt.to_le_bytes());
    record(0x00E0, &data)
}

enum XlsValue {
    /// Index into the shared string table.
    Sst(u32),
    /// A number with the XF (0 General, 1 date, 2 date-time) that formats it.
    Number(f64, u16),
}

/// A one-sheet workbook named "Data": shared strings, cells, and the 1904 flag if asked.
fn biff8_workbook(strings: &[&str], cells: &[(u16, u16, XlsValue)], date1904: bool) -> [u8; 4096] {
    let sst = {
        let mut data = (strings.len() as u32).to_le_bytes().to_vec();
        data.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        for s in strings {
            data.extend_from_slice(&(s.len() as u16).to_le_bytes());
            data.push(0); // 8-bit characters
            data.extend_from_slice(s.as_bytes());
        }
        record(0x00FC, &data)
    };
    let bound_sheet = |position: u32| {
        let mut data = position.to_le_bytes().to_vec();
        data.extend_from_slice(&[0, 0, 4, 0]); // visible worksheet; name: 4 8-bit chars
        data.extend_from_slice(b"Data");
        record(0x0085, &data)
    };
    let mut globals = bof(0x0005);
    globals.extend(record(0x0042, &1200u16.to_le_bytes())); // code page: UTF-16
    globals.extend(record(0x0022, &u16::from(date1904).to_le_bytes()));
    for ifmt in [0, 14, 22] {
        globals.extend(xf(ifmt));
    }
    let sheet_position =
        globals.len() + bound_sheet(0).len() + sst.len() + record(0x000A, &[]).len();
    globals.extend(bound_sheet(sheet_position as u32));
    globals.extend(sst);
    globals.extend(record(0x000A, &[]));
    assert_eq!(globals.len(), sheet_position);

    let mut stream = globals;
    stream.extend(bof(0x0010));
    for (row, column, value) in cells {
        let mut data = row.to_le_bytes().to_vec();
        data.extend_from_slice(&column.to_le_bytes());
        match value {
            XlsValue::Sst(index) => {
                data.extend_from_slice(&0u16.to_le_bytes());
                data.extend_from_slice(&index.to_le_bytes());
                stream.extend(record(0x00FD, &data));
            }
            XlsValue::Number(number, xf) => {
                data.extend_from_slice(&xf.to_le_bytes());
                data.extend_from_slice(&number.to_le_bytes());
                stream.extend(record(0x0203, &data));
            }
        }
    }
    stream.extend(record(0x000A, &[]));
    let mut padded = [0u8; 4096];
    padded[..stream.len()].copy_from_slice(&stream);
    padded
}

fn transactions_xls(date1904: bool) -> Vec<u8> {
    use XlsValue::{Number, Sst};
    let offset = if date1904 { 1_462.0 } else { 0.0 };
    let strings = [
        "Laporan", "ID", "Amount", "Tanggal", "Waktu", "0812", "7e30",
    ];
    let cells = [
        (0, 0, Sst(0)),
        (2, 0, Sst(1)),
        (2, 1, Sst(2)),
        (2, 2, Sst(3)),
        (2, 3, Sst(4)),
        (3, 0, Sst(5)),
        (3, 1, Number(1_234_567_890_123_456.0, 0)),
        (3, 2, Number(45_000.0 - offset, 1)),
        (3, 3, Number(45_000.75 - offset, 2)),
        (4, 0, Sst(6)),
        (4, 1, Number(2.5, 0)),
        (4, 2, Number(45_351.0 - offset, 1)),
    ];
    compound_file(&[("Workbook", biff8_workbook(&strings, &cells, date1904))])
}

#[test]
fn biff8_xls_cells_keep_their_types_in_both_epochs() {
    for date1904 in [false, true] {
        let table = parse(&transactions_xls(date1904), &options("transactions")).unwrap();
        assert_eq!(table.format, Format::Xls);
        assert_eq!(table.header, ["ID", "Amount", "Tanggal", "Waktu"]);
        let day = |m, d| {
            Cell::Date(NaiveDate::from_ymd_opt(if m == 3 { 2023 } else { 2024 }, m, d).unwrap())
        };
        assert_eq!(
            table.rows,
            vec![
                vec![
                    Cell::Text("0812".into()),
                    Cell::Int(1_234_567_890_123_456),
                    day(3, 15),
                    Cell::DateTime(
                        NaiveDate::from_ymd_opt(2023, 3, 15)
                            .unwrap()
                            .and_hms_opt(18, 0, 0)
                            .unwrap()
                    ),
                ],
                vec![
                    Cell::Text("7e30".into()),
                    Cell::Decimal(2.5),
                    day(2, 29),
                    Cell::Empty
                ],
            ],
            "date1904 = {date1904}"
        );
    }
}

#[test]
fn xls_with_a_filepass_record_is_reported_as_encrypted() {
    // BIFF8 encryption: a FilePass record (RC4) right after the globals' BOF.
    let mut stream = bof(0x0005);
    stream.extend(record(0x002F, &[1, 0, 1, 0, 1, 0]));
    stream.extend(record(0x000A, &[]));
    let mut padded = [0u8; 4096];
    padded[..stream.len()].copy_from_slice(&stream);
    let err = parse(&compound_file(&[("Workbook", padded)]), &options("users")).unwrap_err();
    assert!(matches!(err, TableError::Encrypted { .. }), "{err:?}");
}
