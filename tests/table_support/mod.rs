//! Builders of workbook files for the table tests, byte by byte: OLE2 compound files to the
//! [MS-CFB] layout, BIFF8 workbook streams per [MS-XLS], and OpenDocument spreadsheets as zips.
//! Streams are 4096 bytes (padded) so no mini stream is needed.
#![allow(dead_code)]

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE_SECTOR: u32 = 0xFFFF_FFFF;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;
const NO_STREAM: u32 = 0xFFFF_FFFF;

/// A compound file holding the given streams (each 4096 bytes) under the root storage.
pub fn compound_file(streams: &[(&str, [u8; 4096])]) -> Vec<u8> {
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

// ---- BIFF8 ----

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

/// A BIFF8 unicode string with a 16-bit length: compressed (Latin-1) when every character
/// fits in a byte, else UTF-16LE.
fn xl_unicode_string(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = (units.len() as u16).to_le_bytes().to_vec();
    if units.iter().all(|&u| u < 256) {
        out.push(0);
        out.extend(units.iter().map(|&u| u as u8));
    } else {
        out.push(1);
        out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    }
    out
}

/// The XF indexes [`biff8_workbook`] defines, by the built-in number format they apply.
pub const XF_GENERAL: u16 = 0;
pub const XF_DATE: u16 = 1; // format 14, m/d/yy
pub const XF_DATE_TIME: u16 = 2; // format 22, m/d/yy h:mm
pub const XF_TIME: u16 = 3; // format 21, h:mm:ss

pub enum XlsValue {
    Text(String),
    /// A number with the XF that formats it.
    Number(f64, u16),
    Bool(bool),
}

/// A one-sheet workbook named "Data" holding `cells` (row, column, value), in the 1904 date
/// system when asked, as the 4096-byte `Workbook` stream of a compound file.
pub fn biff8_workbook(cells: &[(u16, u16, XlsValue)], date1904: bool) -> [u8; 4096] {
    let strings: Vec<&str> = cells
        .iter()
        .filter_map(|(_, _, v)| match v {
            XlsValue::Text(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    let sst = {
        let mut data = (strings.len() as u32).to_le_bytes().to_vec();
        data.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        for s in &strings {
            data.extend(xl_unicode_string(s));
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
    for ifmt in [0u16, 14, 22, 21] {
        let mut data = vec![0u8; 20];
        data[2..4].copy_from_slice(&ifmt.to_le_bytes());
        globals.extend(record(0x00E0, &data));
    }
    let sheet_position =
        globals.len() + bound_sheet(0).len() + sst.len() + record(0x000A, &[]).len();
    globals.extend(bound_sheet(sheet_position as u32));
    globals.extend(sst);
    globals.extend(record(0x000A, &[]));
    assert_eq!(globals.len(), sheet_position);

    let mut stream = globals;
    stream.extend(bof(0x0010));
    let mut next_string = 0u32;
    for (row, column, value) in cells {
        let mut data = row.to_le_bytes().to_vec();
        data.extend_from_slice(&column.to_le_bytes());
        match value {
            XlsValue::Text(_) => {
                data.extend_from_slice(&XF_GENERAL.to_le_bytes());
                data.extend_from_slice(&next_string.to_le_bytes());
                next_string += 1;
                stream.extend(record(0x00FD, &data)); // LABELSST
            }
            XlsValue::Number(number, xf) => {
                data.extend_from_slice(&xf.to_le_bytes());
                data.extend_from_slice(&number.to_le_bytes());
                stream.extend(record(0x0203, &data)); // NUMBER
            }
            XlsValue::Bool(b) => {
                data.extend_from_slice(&XF_GENERAL.to_le_bytes());
                data.extend_from_slice(&[u8::from(*b), 0]);
                stream.extend(record(0x0205, &data)); // BOOLERR
            }
        }
    }
    stream.extend(record(0x000A, &[]));
    assert!(stream.len() <= 4096, "the test workbook outgrew its stream");
    let mut padded = [0u8; 4096];
    padded[..stream.len()].copy_from_slice(&stream);
    padded
}

/// An xls file: a compound file whose `Workbook` stream holds `cells`.
pub fn xls(cells: &[(u16, u16, XlsValue)]) -> Vec<u8> {
    compound_file(&[("Workbook", biff8_workbook(cells, false))])
}

// ---- OpenDocument: mimetype (stored, first), manifest and content ----

pub const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// An ods file whose one sheet holds `rows_xml` (`<table:table-row>` elements).
pub fn ods(rows_xml: &str) -> Vec<u8> {
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"></manifest:file-entry>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"></manifest:file-entry>
</manifest:manifest>"#
    );
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Data">{rows_xml}</table:table></office:spreadsheet></office:body>
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
