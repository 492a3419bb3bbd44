//! The identity of a key part, the same for an export cell and for the value the sheet returns
//! for it (`docs/upsert.md`, "Keys"): text compares exactly ("1.10" is not "1.1", "0812" is
//! not 812, " x" is not "x"); a number and its integer text are one key (`123`, `123.0` as a
//! number, "123", and a 19-digit ID written as text); other numbers compare by value; dates
//! and date-times (and text spelling one, `YYYY-MM-DD[ HH:MM:SS]`) are their serial number;
//! whitespace-only text is an empty part. Parts are fed to a hasher, never allocated.

use std::hash::Hasher;

use serde_json::Value;

use crate::sheet::values::date_text;
use crate::table::Cell;

/// One key part in its compare form.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Part<'a> {
    Empty,
    /// An integer: a whole number, or text of digits without a leading zero.
    Int(i128),
    /// An integer too large for `Int`, as its digits.
    BigInt(std::borrow::Cow<'a, str>),
    /// A number that is not whole, by its bits.
    Number(u64),
    Text(&'a str),
    /// Text that needed rendering (a non-finite decimal, a JSON array...).
    OwnedText(String),
    Bool(bool),
}

impl Part<'_> {
    pub(super) fn is_empty(&self) -> bool {
        matches!(self, Part::Empty)
    }

    /// Feeds the part to `h`, tagged and length-prefixed so that no two parts (or part
    /// boundaries) collide.
    pub(super) fn feed(&self, h: &mut impl Hasher) {
        let mut bytes = |tag: u8, b: &[u8]| {
            h.write_u8(tag);
            h.write_usize(b.len());
            h.write(b);
        };
        match self {
            Part::Empty => bytes(0, b""),
            Part::Int(i) => bytes(1, &i.to_le_bytes()),
            Part::BigInt(digits) => bytes(2, digits.as_bytes()),
            Part::Number(bits) => bytes(3, &bits.to_le_bytes()),
            Part::Text(s) => bytes(4, s.as_bytes()),
            Part::OwnedText(s) => bytes(4, s.as_bytes()),
            Part::Bool(b) => bytes(5, &[u8::from(*b)]),
        }
    }
}

/// The key part of an export cell.
pub(super) fn of_cell(cell: &Cell) -> Part<'_> {
    match cell {
        Cell::Empty => Part::Empty,
        Cell::Text(s) => of_text(s),
        Cell::Int(i) => Part::Int(i128::from(*i)),
        Cell::Decimal(f) if f.is_finite() => of_number(*f),
        Cell::Bool(b) => Part::Bool(*b),
        // Dates, date-times (and any other serial-valued cell) are their serial number.
        other => match other.to_serial() {
            Some(serial) => of_number(serial),
            // A non-finite decimal is written as its text.
            None => of_owned_text(other.canonical().into_owned()),
        },
    }
}

/// Whether the column's export values make the sheet's numbers in it date serials (read to
/// the nearest second, see [`of_value`]).
pub(super) fn is_serial_key(cell: &Cell) -> bool {
    match cell {
        Cell::Empty | Cell::Int(_) | Cell::Decimal(_) | Cell::Bool(_) => false,
        Cell::Text(s) => date_text(s).is_some(),
        other => other.to_serial().is_some(),
    }
}

/// How far (in days: 1 ms) a sheet serial may be from a whole second and still be read as
/// that second in a date key column: a date-time serial Sheets computed itself is a few ulps
/// off, and distinct decimals never come this close.
const SERIAL_SNAP_DAYS: f64 = 1.0 / 86_400_000.0;

/// The key part of a value the sheet returned (`UNFORMATTED_VALUE`); `serials` when the
/// column's export keys are dates.
pub(super) fn of_value(value: &Value, serials: bool) -> Part<'_> {
    match value {
        Value::Null => Part::Empty,
        Value::String(s) => of_text(s),
        Value::Bool(b) => Part::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if !serials {
                    return Part::Int(i128::from(i));
                }
            } else if let Some(u) = n.as_u64() {
                return Part::Int(i128::from(u));
            }
            let f = n.as_f64().unwrap_or(f64::NAN);
            if serials {
                let snapped = Cell::from_serial(f)
                    .and_then(|c| c.to_serial())
                    .filter(|exact| (exact - f).abs() < SERIAL_SNAP_DAYS);
                return of_number(snapped.unwrap_or(f));
            }
            of_number(f)
        }
        other => of_owned_text(other.to_string()),
    }
}

fn of_owned_text(s: String) -> Part<'static> {
    if s.trim().is_empty() {
        Part::Empty
    } else {
        Part::OwnedText(s)
    }
}

fn of_text(s: &str) -> Part<'_> {
    if s.trim().is_empty() {
        return Part::Empty;
    }
    if is_integer_text(s) {
        return match s.parse::<i128>() {
            Ok(i) => Part::Int(i),
            Err(_) => Part::BigInt(s.into()),
        };
    }
    if let Some(serial) = date_text(s).and_then(|c| c.to_serial()) {
        return of_number(serial);
    }
    Part::Text(s)
}

/// A finite number: whole numbers are integers (so 123.0 is "123"), others compare by value.
fn of_number(f: f64) -> Part<'static> {
    if !f.is_finite() {
        return Part::OwnedText(f.to_string());
    }
    if f.fract() != 0.0 {
        return Part::Number(f.to_bits());
    }
    // Every whole f64 below 2^127 converts to i128 exactly.
    if f.abs() < 1.7e38 {
        Part::Int(f as i128)
    } else {
        Part::BigInt(format!("{f:.0}").into())
    }
}

/// `-?(0|[1-9][0-9]*)`, not "-0": the text a whole number is written as.
fn is_integer_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let b = digits.as_bytes();
    !b.is_empty()
        && b.iter().all(u8::is_ascii_digit)
        && (b[0] != b'0' || (b.len() == 1 && digits.len() == s.len()))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn integer_text() {
        for yes in [
            "0",
            "7",
            "-7",
            "123",
            "12345678901234567890123456789012345678901",
        ] {
            assert!(is_integer_text(yes), "{yes}");
        }
        for no in [
            "", "-", "-0", "00", "0812", "+1", "1.0", " 1", "1 ", "1e3", "١٢",
        ] {
            assert!(!is_integer_text(no), "{no}");
        }
    }

    #[test]
    fn a_number_and_its_integer_text_are_one_key_other_text_is_exact() {
        let cells = [Cell::Int(123), Cell::Decimal(123.0), t("123")];
        let values = [json!(123), json!(123.0), json!("123")];
        let same: Vec<Part> = (cells.iter().map(of_cell))
            .chain(values.iter().map(|v| of_value(v, false)))
            .collect();
        assert!(same.iter().all(|p| *p == Part::Int(123)), "{same:?}");
        for (a, b) in [
            ("1.10", "1.1"),
            ("10", "10.0"),
            ("0812", "812"),
            (" x", "x"),
            ("1e3", "1000"),
            ("-0", "0"),
        ] {
            assert_ne!(of_cell(&t(a)), of_cell(&t(b)), "{a} vs {b}");
        }
        assert_ne!(of_cell(&t("1.1")), of_cell(&Cell::Decimal(1.1)));
        assert_eq!(of_cell(&Cell::Decimal(1.1)), of_value(&json!(1.1), false));
        assert_eq!(of_cell(&t("   ")), Part::Empty);
        // A 20-digit ID written as text reads back as the same text; as a big Int too.
        let big = "12345678901234567890";
        assert_eq!(of_cell(&t(big)), of_value(&json!(big), false));
        assert_eq!(
            of_cell(&Cell::Int(i64::MAX)),
            of_value(&json!(i64::MAX.to_string()), false)
        );
    }

    #[test]
    fn dates_are_their_serials_snapped_to_the_second_in_date_columns() {
        let day = NaiveDate::from_ymd_opt(2024, 5, 17).unwrap();
        let at = day.and_hms_opt(18, 30, 5).unwrap();
        let serial = Cell::DateTime(at).to_serial().unwrap();
        assert_eq!(of_cell(&Cell::Date(day)), Part::Int(45429));
        assert_eq!(of_cell(&t("2024-05-17")), Part::Int(45429));
        assert_eq!(of_value(&json!(45429), true), Part::Int(45429));
        assert_eq!(
            of_cell(&Cell::DateTime(at)),
            of_value(&json!(serial + 1e-10), true)
        );
        assert_ne!(
            of_cell(&Cell::DateTime(at)),
            of_value(&json!(serial + 1e-10), false)
        );
        assert_eq!(
            of_cell(&t("2024-05-17 18:30:05")),
            of_cell(&Cell::DateTime(at))
        );
        assert!(is_serial_key(&t("2024-05-17")) && is_serial_key(&Cell::Date(day)));
        assert!(!is_serial_key(&t("17/05/2024")) && !is_serial_key(&Cell::Int(45429)));
    }
}
