//! Sniffs an export file's format from its bytes, never from its name: zip containers (xlsx,
//! ods), OLE2 containers (xls, encrypted workbooks), PDF, HTML tables and delimited text.

/// What the bytes are, before any reader looks at them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Empty,
    Pdf,
    /// An Office Open XML workbook (xlsx, xlsm) in a zip container.
    Xlsx,
    /// A binary Office Open XML workbook (xlsb), which exportsync does not read.
    Xlsb,
    /// An OpenDocument spreadsheet in a zip container.
    Ods,
    /// A zip archive that holds no workbook.
    OtherZip,
    /// A BIFF workbook (xls) in an OLE2 container.
    Xls,
    /// An OLE2 container with an `EncryptionInfo` stream: what Excel writes for a
    /// password-protected xlsx.
    EncryptedOle,
    /// Text starting with markup that contains a `<table`.
    Html,
    /// An Excel 2003 XML workbook (SpreadsheetML), which exportsync does not read.
    SpreadsheetMl,
    /// Text starting with markup but holding no table (a login or error page, XML).
    MarkupWithoutTable,
    /// A JSON document (typically an error answer from the backend), not a table.
    Json,
    /// Binary content that is none of the above.
    Binary,
    /// Anything else: delimited text.
    Text,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// How many leading bytes the text checks look at.
const TEXT_SNIFF_LEN: usize = 64 * 1024;

pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.is_empty() {
        return Sniffed::Empty;
    }
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(EMPTY_ZIP_MAGIC) {
        return sniff_zip(bytes);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return if contains(bytes, &utf16le("EncryptionInfo")) {
            Sniffed::EncryptedOle
        } else {
            Sniffed::Xls
        };
    }
    let head = &bytes[..bytes.len().min(TEXT_SNIFF_LEN)];
    let text = strip_bom_and_space(head);
    if text.starts_with(b"%PDF") {
        return Sniffed::Pdf;
    }
    if is_utf16_bom(head) {
        return Sniffed::Text;
    }
    if starts_with_markup(text) {
        if contains(head, b"urn:schemas-microsoft-com:office:spreadsheet")
            && contains(head, b"<Workbook")
        {
            return Sniffed::SpreadsheetMl;
        }
        return if contains_ignore_ascii_case(bytes, b"<table") {
            Sniffed::Html
        } else {
            Sniffed::MarkupWithoutTable
        };
    }
    if head.contains(&0) {
        return Sniffed::Binary;
    }
    if (text.starts_with(b"{") || text.starts_with(b"["))
        && serde_json::from_slice::<serde::de::IgnoredAny>(strip_bom_and_space(bytes)).is_ok()
    {
        return Sniffed::Json;
    }
    Sniffed::Text
}

/// Markup starts with `<` and a tag name, `!` (doctype, comment) or `?` (XML declaration);
/// a CSV whose first field is `<100` does not.
fn starts_with_markup(text: &[u8]) -> bool {
    text.starts_with(b"<")
        && text
            .get(1)
            .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'!' || b == b'?')
}

/// Zip local file headers carry each entry's name in clear text, and the central directory at
/// the end lists them all, so the head and tail of the bytes tell the container's kind without
/// unpacking it (the head alone still works on a truncated file).
fn sniff_zip(bytes: &[u8]) -> Sniffed {
    const EDGE: usize = 64 * 1024;
    let head = &bytes[..bytes.len().min(EDGE)];
    let tail = &bytes[bytes.len().saturating_sub(EDGE)..];
    let has = |name: &[u8]| contains(head, name) || contains(tail, name);
    // ODF requires an uncompressed `mimetype` entry first.
    if has(ODS_MIMETYPE) && (has(b"mimetype") || has(b"content.xml")) {
        return Sniffed::Ods;
    }
    if has(b"xl/workbook.bin") {
        return Sniffed::Xlsb;
    }
    if has(b"[Content_Types].xml") || has(b"xl/workbook.xml") {
        return Sniffed::Xlsx;
    }
    Sniffed::OtherZip
}

pub fn is_utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

fn strip_bom_and_space(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b""), Sniffed::Empty);
        assert_eq!(sniff(b"%PDF-1.7\n..."), Sniffed::Pdf);
        assert_eq!(sniff(b"\xEF\xBB\xBF  %PDF-1.4"), Sniffed::Pdf);
        assert_eq!(sniff(b"a,b\n1,2\n"), Sniffed::Text);
        assert_eq!(
            sniff(b"<html><body><TABLE><tr><td>x</td></tr></TABLE>"),
            Sniffed::Html
        );
        assert_eq!(
            sniff(b"<!DOCTYPE html><form>login</form>"),
            Sniffed::MarkupWithoutTable
        );
        assert_eq!(
            sniff(
                b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">\
                  <Worksheet><Table><Row><Cell><Data>x</Data></Cell></Row></Table></Worksheet></Workbook>"
            ),
            Sniffed::SpreadsheetMl
        );
        assert_eq!(sniff(b"\x01\x02\x00\x03"), Sniffed::Binary);
        assert_eq!(sniff(&[0xFF, 0xFE, b'a', 0]), Sniffed::Text);
        assert_eq!(sniff(b"<100,count\n<50,3\n"), Sniffed::Text);
        assert_eq!(
            sniff(b"\xEF\xBB\xBF {\"message\":\"Server Error\"}\n"),
            Sniffed::Json
        );
        assert_eq!(sniff(b"[1,2]"), Sniffed::Json);
        assert_eq!(sniff(b"[ID],[Name]\n1,x\n"), Sniffed::Text);
    }

    #[test]
    fn sniffs_zip_and_ole_containers() {
        let mut ods = b"PK\x03\x04....mimetype".to_vec();
        ods.extend_from_slice(ODS_MIMETYPE);
        assert_eq!(sniff(&ods), Sniffed::Ods);
        assert_eq!(sniff(b"PK\x03\x04..[Content_Types].xml.."), Sniffed::Xlsx);
        assert_eq!(sniff(b"PK\x03\x04..readme.txt.."), Sniffed::OtherZip);
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend_from_slice(&[0; 64]);
        assert_eq!(sniff(&ole), Sniffed::Xls);
        ole.extend_from_slice(&utf16le("EncryptionInfo"));
        assert_eq!(sniff(&ole), Sniffed::EncryptedOle);
    }
}
