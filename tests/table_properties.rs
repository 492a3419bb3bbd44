//! Properties of the table reader over generated inputs: it never panics on any bytes, every
//! table it returns is rectangular, CSV survives a write/read round trip, and typing text
//! never changes a value's key identity.

use exportsync::table::csv::parse_records;
use exportsync::table::infer::infer;
use exportsync::table::{Cell, TableOptions, parse};
use proptest::prelude::*;

fn options() -> TableOptions {
    TableOptions {
        export: "prop".into(),
        footer_prefixes: vec!["total".into()],
        ..TableOptions::default()
    }
}

/// Writes records per RFC 4180, quoting fields that need it.
fn write_csv(records: &[Vec<String>], delimiter: char) -> String {
    let mut out = String::new();
    for record in records {
        let fields: Vec<String> = record
            .iter()
            .map(|f| {
                if f.contains([delimiter, '"', '\n', '\r']) || f.is_empty() && record.len() == 1 {
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

fn prefixes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b"<table><tr><td>".to_vec()),
        Just(b"<html><TABLE border=1><th>a</th><td colspan='".to_vec()),
        Just(b"PK\x03\x04".to_vec()),
        Just(b"\xEF\xBB\xBFa,b\n".to_vec()),
        Just(vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
        Just(b"ID;Name\n\"".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_bytes_give_a_rectangular_table_or_an_error_naming_the_export(
        prefix in prefixes(),
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let bytes = [prefix, body].concat();
        match parse(&bytes, &options()) {
            Ok(table) => {
                for row in &table.rows {
                    prop_assert_eq!(row.len(), table.header.len());
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with("export prop: "), "{}", e),
        }
    }

    #[test]
    fn html_like_text_never_panics(body in "[<>a-zA-Z/=\"' &;#0-9\u{e9}\u{20ac}\n]{0,300}") {
        let _ = parse(format!("<table>{body}").as_bytes(), &options());
    }

    #[test]
    fn csv_round_trips(
        records in proptest::collection::vec(
            proptest::collection::vec("[a-z0-9 ,;\"\n\r\u{e9}]{0,8}", 1..5), 1..8),
        delimiter in prop_oneof![Just(','), Just(';'), Just('\t')],
    ) {
        let text = write_csv(&records, delimiter);
        prop_assert_eq!(parse_records(&text, delimiter as u8, usize::MAX), Ok(records));
    }

    #[test]
    fn typing_numbers_keeps_their_key_identity(text in "-?[0-9]{1,18}(\\.[0-9]{1,6})?") {
        let typed = infer(&text);
        let as_text = Cell::Text(text.clone());
        prop_assert_eq!(typed.compare_form(), as_text.compare_form());
        if let Cell::Text(kept) = &typed {
            prop_assert_eq!(kept, &text);
        }
    }
}
