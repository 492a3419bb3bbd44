//! The typed cell model shared by every reader and by the Sheets planner, and the one canonical
//! text form used to compare keys and to detect changed values.

use std::borrow::Cow;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// One typed value. Readers produce these; the Sheets writer sends them with their type
/// (text as a string value, numbers as numbers) so nothing is re-interpreted.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// An exact integer (never printed with ".0" or an exponent).
    Int(i64),
    /// A number with a fractional part, or too large for `i64`.
    Decimal(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// A time of day without a date (an xlsx/xls time format on a serial below 1, an ods
    /// `time-value`, a text column of `HH:MM[:SS]`), to the second.
    Time(NaiveTime),
}

/// Days between the Sheets/Excel 1900 epoch (serial 0 = 1899-12-30) and 1970-01-01.
pub const SERIAL_UNIX_EPOCH_DAYS: i64 = 25_569;

/// Days between the 1900 and the 1904 date systems' serial 0.
pub const EPOCH_1904_OFFSET_DAYS: f64 = 1_462.0;

impl Cell {
    /// A text reader's raw cell: empty text is [`Cell::Empty`], anything else [`Cell::Text`]
    /// (typed later, by column).
    pub fn raw_text(text: String) -> Cell {
        if text.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(text)
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.is_empty(),
            _ => false,
        }
    }

    /// The canonical text form: what a user would type to get this value back, stable across
    /// readers. Integers without ".0", decimals in shortest round-trip form without exponent,
    /// dates as `YYYY-MM-DD`, date-times as `YYYY-MM-DD HH:MM:SS` (which sort chronologically),
    /// times as `HH:MM:SS`, booleans as `TRUE`/`FALSE`, text unchanged.
    pub fn canonical(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Decimal(f) => Cow::Owned(format_decimal(*f)),
            Cell::Bool(true) => Cow::Borrowed("TRUE"),
            Cell::Bool(false) => Cow::Borrowed("FALSE"),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Cell::DateTime(dt) => Cow::Owned(dt.format("%Y-%m-%d %H:%M:%S").to_string()),
            Cell::Time(t) => Cow::Owned(t.format("%H:%M:%S").to_string()),
        }
    }

    /// The form used to compare keys and values: the canonical form, except that text which is
    /// a plain number without a leading zero is normalised as a number, so `123`, `123.0` and
    /// text `"123"` are equal while `0812` and `812` are not. Surrounding spaces are ignored.
    pub fn compare_form(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) => {
                let t = s.trim();
                match normalise_plain_number(t) {
                    Some(n) => Cow::Owned(n),
                    None => Cow::Borrowed(t),
                }
            }
            other => other.canonical(),
        }
    }

    /// Builds a date-time cell from an Excel/Sheets serial number in the 1900 date system
    /// (serial 0 = 1899-12-30, as Sheets and calamine use). Whole serials become dates.
    pub fn from_serial(serial: f64) -> Option<Cell> {
        if !serial.is_finite() {
            return None;
        }
        // Round the whole serial to the second first, so a time that rounds up to midnight
        // becomes the next day's date rather than a date-time at 00:00:00.
        let total_seconds = (serial * 86_400.0).round();
        if total_seconds.abs() > 1e15 {
            return None;
        }
        let total_seconds = total_seconds as i64;
        let days = total_seconds.div_euclid(86_400);
        let seconds = total_seconds.rem_euclid(86_400);
        let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
        let date = base.checked_add_signed(chrono::Duration::try_days(days)?)?;
        if seconds == 0 {
            Some(Cell::Date(date))
        } else {
            let dt = date.and_hms_opt(0, 0, 0)? + chrono::Duration::seconds(seconds);
            Some(Cell::DateTime(dt))
        }
    }

    /// [`Cell::from_serial`] for a serial in the 1904 date system (serial 0 = 1904-01-01), as
    /// written by workbooks flagged `date1904` (old Excel for Mac).
    pub fn from_serial_1904(serial: f64) -> Option<Cell> {
        Cell::from_serial(serial + EPOCH_1904_OFFSET_DAYS)
    }

    /// The serial number (1900 system) of a date or date-time cell; for a time of day, the
    /// fraction of a day (below 1), as Sheets and Excel store times.
    pub fn to_serial(&self) -> Option<f64> {
        let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
        match self {
            Cell::Date(d) => Some((d.and_hms_opt(0, 0, 0)? - base).num_days() as f64),
            Cell::DateTime(dt) => Some((*dt - base).num_seconds() as f64 / 86_400.0),
            Cell::Time(t) => Some(f64::from(t.num_seconds_from_midnight()) / 86_400.0),
            _ => None,
        }
    }

    /// A time-of-day cell from a serial's fraction of a day (`0 <= serial < 1`), rounded to
    /// the second; `None` outside that range or when it rounds up to the next midnight.
    pub fn time_from_serial(serial: f64) -> Option<Cell> {
        if !(0.0..1.0).contains(&serial) {
            return None;
        }
        let seconds = (serial * 86_400.0).round() as u32;
        NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).map(Cell::Time)
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// Shortest round-trip decimal text without exponent; integral values print without ".0".
pub fn format_decimal(f: f64) -> String {
    if f == 0.0 {
        return "0".to_owned();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    // Rust's `Display` for f64 is the shortest representation that round-trips, never in
    // exponent form.
    format!("{f}")
}

/// `Some(normalised)` when `t` is `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: trailing fractional zeros
/// and a bare trailing dot part are dropped. Anything else (leading zeros, exponents, spaces
/// inside, thousands separators) is not a plain number and stays text.
fn normalise_plain_number(t: &str) -> Option<String> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int.len() > 1 && int.starts_with('0') {
        return None;
    }
    let frac = match frac {
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => return None,
        Some(f) => f.trim_end_matches('0'),
        None => "",
    };
    let mut out = String::with_capacity(t.len());
    if neg && !(int == "0" && frac.is_empty()) {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_numeric_text_compare_equal_as_keys() {
        let a = Cell::Int(123);
        let b = Cell::Decimal(123.0);
        let c = Cell::Text("123".into());
        let d = Cell::Text("123.0".into());
        assert_eq!(a.compare_form(), "123");
        assert_eq!(b.compare_form(), "123");
        assert_eq!(c.compare_form(), "123");
        assert_eq!(d.compare_form(), "123");
    }

    #[test]
    fn leading_zeros_and_exponents_stay_text() {
        assert_eq!(Cell::Text("0812".into()).compare_form(), "0812");
        assert_ne!(
            Cell::Text("0812".into()).compare_form(),
            Cell::Int(812).compare_form()
        );
        assert_eq!(Cell::Text("7e30".into()).compare_form(), "7e30");
        assert_eq!(
            Cell::Text("1234567890123456".into()).compare_form(),
            "1234567890123456"
        );
    }

    #[test]
    fn decimals_print_exactly() {
        assert_eq!(
            Cell::Decimal(1234567890123456.0).canonical(),
            "1234567890123456"
        );
        assert_eq!(Cell::Decimal(0.1).canonical(), "0.1");
        assert_eq!(Cell::Decimal(-2.5).canonical(), "-2.5");
        assert_eq!(Cell::Text("1.50".into()).compare_form(), "1.5");
    }

    #[test]
    fn serial_round_trip() {
        let d = Cell::from_serial(45_000.0).unwrap();
        assert_eq!(d.canonical(), "2023-03-15");
        assert_eq!(d.to_serial(), Some(45_000.0));
        let dt = Cell::from_serial(45_000.5).unwrap();
        assert_eq!(dt.canonical(), "2023-03-15 12:00:00");
    }

    #[test]
    fn serial_just_below_midnight_is_the_next_date() {
        assert_eq!(
            Cell::from_serial(45_000.999_999_999),
            Some(Cell::Date(NaiveDate::from_ymd_opt(2023, 3, 16).unwrap()))
        );
        assert_eq!(Cell::from_serial(f64::NAN), None);
        assert_eq!(Cell::from_serial(1e300), None);
    }

    #[test]
    fn times_of_day_are_fractions_of_a_day() {
        let t = Cell::time_from_serial(0.573_263_888_9).unwrap();
        assert_eq!(t.canonical(), "13:45:30");
        assert_eq!(t.to_serial(), Some(49_530.0 / 86_400.0));
        assert_eq!(Cell::time_from_serial(0.0).unwrap().canonical(), "00:00:00");
        assert_eq!(Cell::time_from_serial(0.999_999_999), None);
        assert_eq!(Cell::time_from_serial(1.0), None);
        assert_eq!(Cell::time_from_serial(-0.1), None);
        assert_eq!(Cell::time_from_serial(f64::NAN), None);
    }

    #[test]
    fn serial_in_the_1904_system() {
        assert_eq!(
            Cell::from_serial_1904(43_538.0).unwrap().canonical(),
            "2023-03-15"
        );
        assert_eq!(
            Cell::from_serial_1904(0.25).unwrap().canonical(),
            "1904-01-01 06:00:00"
        );
    }
}
