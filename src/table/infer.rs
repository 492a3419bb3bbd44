//! Conservative typing of cells that arrive as text (CSV, TSV, HTML): only forms that cannot
//! mean anything else become numbers or dates; everything else stays text, exactly as written.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::Cell;

/// The most digits a number may have and still survive a round trip through an f64 (and a
/// Google Sheets cell) exactly.
const MAX_EXACT_DIGITS: usize = 15;

/// Types one text value:
/// - `-?[1-9][0-9]*` (or `0`) with at most 15 digits -> [`Cell::Int`];
/// - `-?(0|[1-9][0-9]*)\.[0-9]+` with at most 15 digits in all -> [`Cell::Decimal`];
/// - `YYYY-MM-DD` -> [`Cell::Date`]; `YYYY-MM-DD HH:MM[:SS]` (or with `T`) -> [`Cell::DateTime`];
/// - the empty string -> [`Cell::Empty`]; anything else -> [`Cell::Text`] unchanged.
///
/// Leading zeros (`0812`), exponents (`7e30`), signs other than `-`, thousands separators,
/// surrounding spaces and long IDs (`1234567890123456`) all stay text.
pub fn infer(text: &str) -> Cell {
    if text.is_empty() {
        return Cell::Empty;
    }
    if let Some(cell) = infer_number(text) {
        return cell;
    }
    if let Some(cell) = infer_date_time(text) {
        return cell;
    }
    Cell::Text(text.to_owned())
}

/// [`infer`] for an owned string, reusing it when the value stays text.
pub fn infer_owned(text: String) -> Cell {
    if text.is_empty() {
        return Cell::Empty;
    }
    if let Some(cell) = infer_number(&text).or_else(|| infer_date_time(&text)) {
        return cell;
    }
    Cell::Text(text)
}

/// True when [`infer`] would leave the value as text (and it is not empty).
pub fn stays_text(text: &str) -> bool {
    !text.is_empty() && infer_number(text).is_none() && infer_date_time(text).is_none()
}

fn infer_number(text: &str) -> Option<Cell> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (body, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int.len() > 1 && int.starts_with('0') {
        return None;
    }
    match frac {
        None => {
            if int.len() > MAX_EXACT_DIGITS || (text.starts_with('-') && int == "0") {
                return None;
            }
            text.parse().ok().map(Cell::Int)
        }
        Some(frac) => {
            if frac.is_empty()
                || !frac.bytes().all(|b| b.is_ascii_digit())
                || int.len() + frac.len() > MAX_EXACT_DIGITS
            {
                return None;
            }
            text.parse().ok().map(Cell::Decimal)
        }
    }
}

fn infer_date_time(text: &str) -> Option<Cell> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || !bytes[..10].iter().all(|b| b.is_ascii_digit() || *b == b'-') {
        return None;
    }
    if bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let date = NaiveDate::parse_from_str(&text[..10], "%Y-%m-%d").ok()?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(Cell::Date(date));
    }
    let time = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('T'))?;
    let time = match time.len() {
        5 => NaiveTime::parse_from_str(time, "%H:%M").ok()?,
        8 => NaiveTime::parse_from_str(time, "%H:%M:%S").ok()?,
        _ => return None,
    };
    Some(Cell::DateTime(NaiveDateTime::new(date, time)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> Cell {
        Cell::DateTime(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    #[test]
    fn plain_integers_become_int() {
        assert_eq!(infer("0"), Cell::Int(0));
        assert_eq!(infer("123"), Cell::Int(123));
        assert_eq!(infer("-45"), Cell::Int(-45));
        assert_eq!(infer("123456789012345"), Cell::Int(123_456_789_012_345));
    }

    #[test]
    fn ids_and_number_lookalikes_stay_text() {
        for text in [
            "0812",
            "1234567890123456",
            "7e30",
            "+5",
            "1,234",
            " 12",
            "12 ",
            "-0",
            "1.",
            ".5",
            "0x1F",
            "12a",
            "1.2.3",
            "--1",
            "NaN",
            "inf",
        ] {
            assert_eq!(infer(text), Cell::Text(text.into()), "{text:?}");
            assert!(stays_text(text), "{text:?}");
        }
    }

    #[test]
    fn plain_decimals_become_decimal() {
        assert_eq!(infer("1.5"), Cell::Decimal(1.5));
        assert_eq!(infer("-0.25"), Cell::Decimal(-0.25));
        assert_eq!(infer("1250000.00"), Cell::Decimal(1_250_000.0));
        assert_eq!(
            infer("1234567890123.456"),
            Cell::Text("1234567890123.456".into())
        );
        assert_eq!(infer("01.5"), Cell::Text("01.5".into()));
    }

    #[test]
    fn iso_dates_and_date_times() {
        assert_eq!(
            infer("2024-02-29"),
            Cell::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        assert_eq!(infer("2024-01-31 08:05:09"), dt("2024-01-31 08:05:09"));
        assert_eq!(infer("2024-01-31T08:05:09"), dt("2024-01-31 08:05:09"));
        assert_eq!(infer("2024-01-31 08:05"), dt("2024-01-31 08:05:00"));
        for text in [
            "2023-02-29",
            "2024-13-01",
            "31/01/2024",
            "2024-01-31 8:05",
            "2024-01-31 08:05:09.5",
            "2024-01-31Z",
            "2024/01/31",
        ] {
            assert_eq!(infer(text), Cell::Text(text.into()), "{text:?}");
        }
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(infer(""), Cell::Empty);
        assert!(!stays_text(""));
    }
}
