//! The value forms of cells that arrive as text (CSV, TSV, HTML): [`infer`] types one value
//! on its own, conservatively (only forms that cannot mean anything else); the other parsers
//! read forms that only a whole column can vouch for (day-first dates, decimal commas, times,
//! booleans), used by [`super::columns`]. The rules are in docs/tables.md.

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

/// A digit string that is an identifier rather than a quantity: two or more digits starting
/// with `0` (`0812`), or 12 or more digits (a number Sheets would show as `1.23457E+14`).
pub fn is_identifier(text: &str) -> bool {
    let len = text.len();
    len >= 2 && text.bytes().all(|b| b.is_ascii_digit()) && (text.starts_with('0') || len >= 12)
}

/// `TRUE`/`FALSE` in any letter case.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A time of day `H:MM` or `H:MM:SS` (hours 0-23, one or two digits).
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let mut parts = text.split(':');
    let hour = two_digits(parts.next()?, 1)?;
    let minute = two_digits(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(s) => two_digits(s, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// One or two ASCII digits (exactly two when `min` is 2).
fn two_digits(s: &str, min: usize) -> Option<u32> {
    if !(min..=2).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A date written `A/B/YYYY` (or with `-` or `.`, the same separator twice), optionally
/// followed by a space and a time: the two leading numbers, the year and the time, before
/// anyone decides which of A and B is the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlashDate {
    pub first: u32,
    pub second: u32,
    pub year: i32,
    pub time: Option<NaiveTime>,
}

impl SlashDate {
    pub fn parse(text: &str) -> Option<SlashDate> {
        let (date, time) = match text.split_once(' ') {
            Some((date, time)) => (date, Some(parse_time(time)?)),
            None => (text, None),
        };
        let separator = date.bytes().find(|b| matches!(b, b'/' | b'-' | b'.'))?;
        let mut parts = date.split(separator as char);
        let first = two_digits(parts.next()?, 1)?;
        let second = two_digits(parts.next()?, 1)?;
        let year = parts.next()?;
        if parts.next().is_some() || year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(SlashDate {
            first,
            second,
            year: year.parse().ok()?,
            time,
        })
    }

    /// The cell when the first number is the day (`day_first`) or the month.
    pub fn to_cell(self, day_first: bool) -> Option<Cell> {
        let (day, month) = if day_first {
            (self.first, self.second)
        } else {
            (self.second, self.first)
        };
        let date = NaiveDate::from_ymd_opt(self.year, month, day)?;
        Some(match self.time {
            Some(time) => Cell::DateTime(date.and_time(time)),
            None => Cell::Date(date),
        })
    }
}

/// A value written with a date pattern (`file_date_format`, e.g. `%d/%m/%Y`), optionally
/// followed by a space and `HH:MM[:SS]`.
pub fn parse_with_date_format(text: &str, pattern: &str) -> Option<Cell> {
    if let Ok(date) = NaiveDate::parse_from_str(text, pattern) {
        return Some(Cell::Date(date));
    }
    let (date, time) = text.rsplit_once(' ')?;
    let date = NaiveDate::parse_from_str(date, pattern).ok()?;
    Some(Cell::DateTime(date.and_time(parse_time(time)?)))
}

/// A number written with `decimal` (`,` or `.`) as its decimal mark and, optionally, the other
/// one grouping thousands: `1.234,56`, `293890,00`, `-0,5` with a comma; `1,234.56` with a dot.
/// Whole numbers become [`Cell::Int`], others [`Cell::Decimal`]. Leading zeros (`05,5`), bad
/// groups (`1.23,4`) and more than 15 digits are not numbers.
pub fn parse_grouped_number(text: &str, decimal: char) -> Option<Cell> {
    let grouping = if decimal == ',' { '.' } else { ',' };
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = match body.split_once(decimal) {
        Some((int, frac)) => (int, Some(frac)),
        None => (body, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut digits = String::with_capacity(text.len());
    if int.contains(grouping) {
        let mut groups = int.split(grouping);
        let lead = groups.next()?;
        if !all_digits(lead) || lead.len() > 3 || lead.starts_with('0') {
            return None;
        }
        digits.push_str(lead);
        for group in groups {
            if group.len() != 3 || !all_digits(group) {
                return None;
            }
            digits.push_str(group);
        }
    } else {
        if !all_digits(int) || (int.len() > 1 && int.starts_with('0')) {
            return None;
        }
        digits.push_str(int);
    }
    let int_len = digits.len();
    if let Some(frac) = frac {
        if !all_digits(frac) {
            return None;
        }
        digits.push('.');
        digits.push_str(frac);
    }
    if digits.len() - usize::from(frac.is_some()) > MAX_EXACT_DIGITS {
        return None;
    }
    if negative {
        if digits.bytes().all(|b| b == b'0' || b == b'.') {
            return None; // "-0", like infer
        }
        digits.insert(0, '-');
    }
    if frac.is_some() {
        digits.parse().ok().map(Cell::Decimal)
    } else {
        debug_assert!(int_len <= MAX_EXACT_DIGITS);
        digits.parse().ok().map(Cell::Int)
    }
}

/// Whether a value that [`parse_grouped_number`] reads with a decimal comma could not also be
/// an English number with a thousands comma (`1,234`): it has a dot group, or its comma is
/// not followed by exactly three digits, or it starts `0,` or with four or more digits.
pub fn comma_is_decimal(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let Some((int, frac)) = body.split_once(',') else {
        return false;
    };
    int.contains('.') || frac.len() != 3 || int == "0" || int.len() > 3
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
    fn identifiers() {
        for id in [
            "0812",
            "00",
            "0098765432",
            "123456789012",
            "1234567890123456789",
        ] {
            assert!(is_identifier(id), "{id}");
        }
        for not in ["0", "0.5", "12345678901", "-0812", "12a", ""] {
            assert!(!is_identifier(not), "{not}");
        }
    }

    #[test]
    fn times_dates_and_booleans() {
        assert_eq!(parse_time("13:45:30"), NaiveTime::from_hms_opt(13, 45, 30));
        assert_eq!(parse_time("8:05"), NaiveTime::from_hms_opt(8, 5, 0));
        for not in [
            "24:00",
            "12:5",
            "12:60",
            "1:02:03:04",
            "12",
            "ab:cd",
            "123:00",
        ] {
            assert_eq!(parse_time(not), None, "{not}");
        }
        let d = SlashDate::parse("20/11/2026 08:21").unwrap();
        assert_eq!((d.first, d.second, d.year), (20, 11, 2026));
        assert_eq!(d.to_cell(true), Some(dt("2026-11-20 08:21:00")));
        assert_eq!(d.to_cell(false), None);
        assert_eq!(
            SlashDate::parse("1.2.2024").unwrap().to_cell(true),
            Some(Cell::Date(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()))
        );
        for not in [
            "2024-01-31",
            "31/12/25",
            "31/12-2025",
            "31/12/2025 8",
            "a/b/2025",
        ] {
            assert_eq!(SlashDate::parse(not), None, "{not}");
        }
        assert_eq!(
            parse_with_date_format("31/12/2025 23:59:58", "%d/%m/%Y"),
            Some(dt("2025-12-31 23:59:58"))
        );
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }

    #[test]
    fn grouped_numbers() {
        let comma = |s| parse_grouped_number(s, ',');
        assert_eq!(comma("293890,00"), Some(Cell::Decimal(293_890.0)));
        assert_eq!(comma("1.234,56"), Some(Cell::Decimal(1_234.56)));
        assert_eq!(comma("-0,5"), Some(Cell::Decimal(-0.5)));
        assert_eq!(comma("1.234.567"), Some(Cell::Int(1_234_567)));
        assert_eq!(comma("42"), Some(Cell::Int(42)));
        for not in [
            "05,5",
            "1.23,4",
            "1,2,3",
            ",5",
            "5,",
            "-0",
            "1.5",
            "0.123,4",
            "1234567890123456,0",
        ] {
            assert_eq!(comma(not), None, "{not}");
        }
        assert_eq!(
            parse_grouped_number("1,234.56", '.'),
            Some(Cell::Decimal(1_234.56))
        );
        assert!(comma_is_decimal("293890,00") && comma_is_decimal("1.234,5"));
        assert!(comma_is_decimal("0,500") && comma_is_decimal("1,5"));
        assert!(!comma_is_decimal("1,234") && !comma_is_decimal("12"));
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(infer(""), Cell::Empty);
        assert!(!stays_text(""));
    }
}
