//! OLE2 compound files built by hand to the [MS-CFB] layout: a BIFF8 workbook (xls) in both
//! date epochs, what Excel writes for a password-protected xlsx, and a container that holds
//! no workbook. Streams are 4096 bytes (padded) so no mini stream is needed.

use chrono::NaiveDate;
use exportsync::table::{Cell, Format, TableError, TableOptions, parse};

fn options(export: &str) -> TableOptions {
    TableOptions {
        export: export.into(),
        ..TableOptions::default()
    }
}

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE_SECTOR: u32 = 0xFFFF_FFFF;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;
const NO_STREAM: u32 = 0xFFFF_FFFF;

/// A compound file holding the given streams (each 4096 bytes) under the root storage.
fn compound_file(streams: &[(&str, [u8; 4096])]) -> Vec<u8> {
    const SECTOR: usize = 512;
    let per_stream = 4096 / SECTOR;
    // Sector 0: FAT; sector 1: directory; then each stream's sectors in turn.
    let mut fat = vec![FAT_SECTOR, END_OF_CHAIN];
    for index in 0..streams.len() {
        let first = 2 + index * per_stream;
        for sector in first..first + per_stream {
            let next = if sector + 1 == first + per_stream {
                END_OF_CHAIN
            } else {
                sector as u32 + 1
            };
            fat.push(next);
        }
    }
    fat.resize(SECTOR / 4, FREE_SECTOR);

    let mut header = Vec::with_capacity(SECTOR);
    header.extend_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header.extend_from_slice(&[0; 16]); // CLSID
    header.extend_from_slice(&0x003Eu16.to_le_bytes()); // minor version
    header.extend_from_slice(&0x0003u16.to_le_bytes()); // major version 3
    header.extend_from_slice(&0xFFFEu16.to_le_bytes()); // byte order
    header.extend_from_slice(&9u16.to_le_bytes()); // sector shift: 512
    header.extend_from_slice(&6u16.to_le_bytes()); // mini sector shift: 64
    header.extend_from_slice(&[0; 6]);
    header.extend_from_slice(&0u32.to_le_bytes()); // directory sectors (0 in v3)
    header.extend_from_slice(&1u32.to_le_bytes()); // FAT sectors
    header.extend_from_slice(&1u32.to_le_bytes()); // first directory sector
    header.extend_from_slice(&0u32.to_le_bytes()); // transaction signature
    header.extend_from_slice(&4096u32.to_le_bytes()); // mini stream cutoff
    header.extend_from_slice(&END_OF_CHAIN.to_le_bytes()); // first mini FAT sector
    header.extend_from_slice(&0u32.to_le_bytes()); // mini FAT sectors
    header.extend_from_slice(&END_OF_CHAIN.to_le_bytes()); // first DIFAT sector
    header.extend_from_slice(&0u32.to_le_bytes()); // DIFAT sectors
    header.extend_from_slice(&0u32.to_le_bytes()); // DIFAT[0]: the FAT is sector 0
    for _ in 1..109 {
        header.extend_from_slice(&FREE_SECTOR.to_le_bytes());
    }
    assert_eq!(header.len(), SECTOR);

    // Directory: the root, then the streams chained as right siblings (a valid, if
    // unbalanced, tree as names are sorted by length, then upper case).
    let mut entries: Vec<(&str, u8, u32, u32, u32, u32)> =
        vec![("Root Entry", 5, NO_STREAM, 1, END_OF_CHAIN, 0)];
    let mut sorted: Vec<usize> = (0..streams.len()).collect();
    sorted.sort_by_key(|&i| (streams[i].0.len(), streams[i].0.to_uppercase()));
    for (position, &index) in sorted.iter().enumerate() {
        let right = if position + 1 < sorted.len() {
            position as u32 + 2
        } else {
            NO_STREAM
        };
        let start = (2 + index * per_stream) as u32;
        entries.push((streams[index].0, 2, right, NO_STREAM, start, 4096));
    }
    let mut directory = Vec::with_capacity(SECTOR);
    for (name, kind, right, child, start, size) in entries {
        let mut entry = [0u8; 128];
        let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        entry[..utf16.len()].copy_from_slice(&utf16);
        entry[64..66].copy_from_slice(&((utf16.len() + 2) as u16).to_le_bytes());
        entry[66] = kind;
        entry[67] = 1; // black
        entry[68..72].copy_from_slice(&NO_STREAM.to_le_bytes()); // left sibling
        entry[72..76].copy_from_slice(&right.to_le_bytes());
        entry[76..80].copy_from_slice(&child.to_le_bytes());
        entry[116..120].copy_from_slice(&start.to_le_bytes());
        entry[120..124].copy_from_slice(&size.to_le_bytes());
        directory.extend_from_slice(&entry);
    }
    while directory.len() < SECTOR {
        let mut unused = [0u8; 128];
        unused[68..80].copy_from_slice(&[0xFF; 12]);
        directory.extend_from_slice(&unused);
    }

    let mut file = header;
    file.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    file.extend_from_slice(&directory);
    for (_, data) in streams {
        file.extend_from_slice(data);
    }
    file
}

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
