//! Delimited text (CSV, TSV): decoding (UTF-8 with or without BOM, UTF-16 with BOM,
//! Windows-1252 as fallback), delimiter sniffing and RFC 4180 records with quoted fields.

use std::borrow::Cow;

use super::grid::{Grid, GridRow};
use super::{Cell, Format, Location, TableError};

/// Delimiters tried by the sniffer, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
/// How many records the sniffer looks at per candidate delimiter.
const SNIFF_RECORDS: usize = 50;

/// Decodes the bytes of a text export. Returns the text and, when it was not UTF-8, a warning.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, Option<String>) {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (text, None);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), None),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (
                text,
                Some("The file is not UTF-8; it was read as Windows-1252.".to_owned()),
            )
        }
    }
}

/// Reads delimited text into a grid of raw text cells (typed later, once the header is known).
pub fn read(bytes: &[u8], export: &str) -> Result<Grid, TableError> {
    let (text, warning) = decode(bytes);
    let (delimiter, body, first_row) = match excel_separator_line(&text) {
        Some((delimiter, rest)) => (delimiter, rest, 2),
        None => (sniff_delimiter(&text), &*text, 1),
    };
    let records =
        parse_records(body, delimiter, usize::MAX).map_err(|row| TableError::UnclosedQuote {
            export: export.to_owned(),
            location: Location::row(row + first_row - 1),
        })?;
    let rows = records
        .into_iter()
        .enumerate()
        .map(|(index, fields)| GridRow {
            number: index + first_row,
            cells: fields.into_iter().map(Cell::raw_text).collect(),
        })
        .collect();
    Ok(Grid {
        format: if delimiter == b'\t' {
            Format::Tsv
        } else {
            Format::Csv
        },
        sheet: None,
        text_source: true,
        delimiter: Some(delimiter),
        rows,
        warnings: warning.into_iter().collect(),
        layout: None,
        text_cells: Vec::new(),
    })
}

/// Excel's `sep=;` first line, which names the delimiter: the delimiter and the text after
/// that line.
fn excel_separator_line(text: &str) -> Option<(u8, &str)> {
    let rest = text.strip_prefix("sep=")?;
    let delimiter = *rest.as_bytes().first()?;
    // Only a single ASCII character can name a delimiter (slicing past a multi-byte one
    // would split it); a quote or a line break cannot be one.
    if !delimiter.is_ascii() || matches!(delimiter, b'"' | b'\r' | b'\n') {
        return None;
    }
    let after = &rest[1..];
    let after = after
        .strip_prefix("\r\n")
        .or_else(|| after.strip_prefix('\n'))
        .or_else(|| after.strip_prefix('\r'))?;
    Some((delimiter, after))
}

/// Picks the delimiter that splits the first records into the most rows of one same width
/// (at least two fields); a file that no candidate splits is one column of comma CSV.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0usize);
    for delimiter in DELIMITERS {
        let records = match parse_records(text, delimiter, SNIFF_RECORDS) {
            Ok(records) => records,
            // A quote left open by the sniffing window's end: judge on what was read.
            Err(_) => continue,
        };
        let mut widths: Vec<usize> = records
            .iter()
            .filter(|r| !(r.len() == 1 && r[0].is_empty()))
            .map(Vec::len)
            .collect();
        widths.sort_unstable();
        let (width, count) = modal_run(&widths);
        if width >= 2 {
            let score = count * 1_000 + width;
            if score > best.1 {
                best = (delimiter, score);
            }
        }
    }
    best.0
}

/// The most frequent value of a sorted slice and how often it occurs.
fn modal_run(sorted: &[usize]) -> (usize, usize) {
    let mut best = (0, 0);
    let mut i = 0;
    while i < sorted.len() {
        let j = sorted[i..].iter().take_while(|&&w| w == sorted[i]).count();
        if j > best.1 {
            best = (sorted[i], j);
        }
        i += j;
    }
    best
}

/// Splits text into at most `limit` records per RFC 4180: fields separated by `delimiter`,
/// records by CRLF, LF or CR, fields optionally quoted with `"` (a doubled quote inside is one
/// quote; quoted fields may span lines). Lenient where the RFC is strict: text after a closing
/// quote and quotes inside an unquoted field are kept as written. Err(row) when a quoted field
/// opened in 1-based record `row` is never closed.
pub fn parse_records(text: &str, delimiter: u8, limit: usize) -> Result<Vec<Vec<String>>, usize> {
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut i = 0;
    let mut at_field_start = true;
    while i < bytes.len() && records.len() < limit {
        let b = bytes[i];
        if at_field_start && b == b'"' {
            let start_row = records.len() + 1;
            i += 1;
            loop {
                let Some(offset) = bytes[i..].iter().position(|&c| c == b'"') else {
                    return Err(start_row);
                };
                field.push_str(&text[i..i + offset]);
                i += offset + 1;
                if bytes.get(i) == Some(&b'"') {
                    field.push('"');
                    i += 1;
                } else {
                    break;
                }
            }
            at_field_start = false;
            continue;
        }
        at_field_start = false;
        if b == delimiter {
            record.push(std::mem::take(&mut field));
            at_field_start = true;
            i += 1;
        } else if b == b'\n' || b == b'\r' {
            record.push(std::mem::take(&mut field));
            records.push(std::mem::take(&mut record));
            at_field_start = true;
            i += if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
        } else {
            let run = bytes[i..]
                .iter()
                .position(|&c| c == delimiter || c == b'\n' || c == b'\r')
                .unwrap_or(bytes.len() - i);
            field.push_str(&text[i..i + run]);
            i += run;
        }
    }
    if records.len() < limit && (!field.is_empty() || !record.is_empty() || !at_field_start) {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
        parse_records(text, delimiter, usize::MAX).unwrap()
    }

    #[test]
    fn rfc4180_quoting() {
        let text = "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,x\n";
        assert_eq!(
            records(text, b','),
            vec![vec!["a", "b,c", "say \"hi\""], vec!["multi\nline", "", "x"]]
        );
    }

    #[test]
    fn last_record_without_newline_and_empty_trailing_field() {
        assert_eq!(
            records("a,b\n1,", b','),
            vec![vec!["a", "b"], vec!["1", ""]]
        );
        assert_eq!(
            records("a\r\rb", b','),
            vec![vec!["a"], vec![""], vec!["b"]]
        );
        assert_eq!(records("\"\"", b','), vec![vec![""]]);
    }

    #[test]
    fn lenient_with_stray_quotes() {
        assert_eq!(
            records("5\" disk,\"a\"b\n", b','),
            vec![vec!["5\" disk", "ab"]]
        );
    }

    #[test]
    fn unclosed_quote_names_its_record() {
        assert_eq!(
            parse_records("a,b\n1,\"open\n2,3\n", b',', usize::MAX),
            Err(2)
        );
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n1,5\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("Report\na;b;c\n1,5;2;3\n4,5;6;7\n"), b';');
        assert_eq!(sniff_delimiter("a|b\n1|2\n"), b'|');
        assert_eq!(sniff_delimiter("only\none\ncolumn\n"), b',');
        assert_eq!(sniff_delimiter("\"x,y\";z\n\"1,2\";3\n"), b';');
    }

    #[test]
    fn excel_sep_line_names_the_delimiter_and_counts_as_row_one() {
        let grid = read(b"sep=;\r\na;b,c\n1;2,5\n", "x").unwrap();
        assert_eq!(grid.rows[0].number, 2);
        assert_eq!(
            grid.rows[0].cells,
            vec![Cell::Text("a".into()), Cell::Text("b,c".into())]
        );
        assert_eq!(excel_separator_line("sep=,"), None);
        assert_eq!(excel_separator_line("sep=\u{e9}\na"), None);
        assert_eq!(excel_separator_line("sep=\n\na"), None);
    }

    #[test]
    fn decodes_bom_utf8_utf16_and_windows_1252() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b").0, "a,b");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("é,b".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).0, "é,b");
        let (text, warning) = decode(b"caf\xE9,\x80");
        assert_eq!(text, "café,€");
        assert!(warning.unwrap().contains("Windows-1252"));
        assert_eq!(decode("café".as_bytes()).1, None);
    }
}
