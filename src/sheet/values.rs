//! Conversion between the typed export [`Cell`] and what the Sheets API sends and returns:
//! `CellData` for writes, `UNFORMATTED_VALUE` JSON values for reads, and the type-aware
//! comparison of the two that decides whether a cell changed.
//!
//! Writing rules (nothing is left for Sheets to re-interpret):
//! - text is ALWAYS a `stringValue`, so "0812", 16-digit IDs and "7e30" stay text;
//! - integers and decimals are `numberValue`s, except integers beyond ±2^53 (which a double
//!   cannot hold exactly) and non-finite decimals, which are written as their text;
//! - booleans are `boolValue`s;
//! - dates and date-times are `numberValue` serials (days since 1899-12-30) with a number
//!   format `yyyy-mm-dd` (DATE) or `yyyy-mm-dd hh:mm:ss` (DATE_TIME), so they sort
//!   chronologically and read back exactly; a time of day is its fraction of a day with the
//!   format `hh:mm:ss` (TIME);
//! - whitespace-only text is text (`" "` is written as `" "`, never as an empty cell);
//! - an empty cell is a `CellData` without a value: under a `userEnteredValue` field mask it
//!   CLEARS the sheet cell. The export owns its columns, so a value that became empty in the
//!   export becomes empty in the sheet.
//!
//! Comparing (does a sheet cell need a write?): text against text is exact, dates, date-times
//! and times equal their serial to the second. The rules are in docs/tables.md ("What a cell
//! becomes in the sheet").

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};

use serde_json::Value;

use crate::table::Cell;
use crate::table::cell::format_decimal;

/// The largest integer magnitude a double represents exactly.
const MAX_EXACT_INT: u64 = 1 << 53;

pub const DATE_PATTERN: &str = "yyyy-mm-dd";
pub const DATE_TIME_PATTERN: &str = "yyyy-mm-dd hh:mm:ss";
pub const TIME_PATTERN: &str = "hh:mm:ss";

/// How a number read from the sheet should be understood: plain, a date serial, or a time
/// of day (a fraction of a day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Plain,
    Date,
    DateTime,
    Time,
}

impl ValueKind {
    /// The kind a sheet number must be read as to compare with `cell`.
    pub fn of(cell: &Cell) -> ValueKind {
        match cell {
            Cell::Date(_) => ValueKind::Date,
            Cell::DateTime(_) => ValueKind::DateTime,
            Cell::Time(_) => ValueKind::Time,
            _ => ValueKind::Plain,
        }
    }
}

/// Whether a cell is written with a date or time number format (its update needs the format
/// mask).
pub fn is_dated(cell: &Cell) -> bool {
    matches!(cell, Cell::Date(_) | Cell::DateTime(_) | Cell::Time(_))
}

/// The JSON of a Sheets `CellData` that writes one cell with its type: the two fields of the
/// schema exportsync sets, serialized straight from a borrowed [`Cell`] (google-sheets4's
/// typed `CellData` is about 3 KB in memory per cell, too heavy for 100,000-row loads; the
/// tests check this writes exactly what that type would).
#[derive(Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CellJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_entered_value: Option<ValueJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_entered_format: Option<FormatJson>,
}

/// Sheets `ExtendedValue`: exactly one of its fields.
#[derive(Debug, PartialEq, serde::Serialize)]
pub enum ValueJson<'a> {
    #[serde(rename = "stringValue")]
    Text(Cow<'a, str>),
    #[serde(rename = "numberValue")]
    Number(f64),
    #[serde(rename = "boolValue")]
    Bool(bool),
}

/// Sheets `CellFormat` with only its `numberFormat`.
#[derive(Debug, PartialEq, serde::Serialize)]
pub struct FormatJson {
    #[serde(rename = "numberFormat")]
    pub number_format: NumberFormatJson,
}

#[derive(Debug, PartialEq, serde::Serialize)]
pub struct NumberFormatJson {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub pattern: &'static str,
}

/// How `cell` is written.
pub fn cell_json(cell: &Cell) -> CellJson<'_> {
    fn value(v: ValueJson<'_>) -> CellJson<'_> {
        CellJson {
            user_entered_value: Some(v),
            user_entered_format: None,
        }
    }
    match cell {
        Cell::Empty => CellJson::default(),
        // Only the empty string is an empty cell; " " is text like any other.
        Cell::Text(s) if s.is_empty() => CellJson::default(),
        Cell::Text(s) => value(ValueJson::Text(Cow::Borrowed(s))),
        Cell::Int(i) if i.unsigned_abs() > MAX_EXACT_INT => {
            value(ValueJson::Text(i.to_string().into()))
        }
        Cell::Int(i) => value(ValueJson::Number(*i as f64)),
        Cell::Decimal(f) if !f.is_finite() => value(ValueJson::Text(cell.canonical())),
        Cell::Decimal(f) => value(ValueJson::Number(*f)),
        Cell::Bool(b) => value(ValueJson::Bool(*b)),
        Cell::Date(_) | Cell::DateTime(_) | Cell::Time(_) => {
            let (kind, pattern) = match cell {
                Cell::Date(_) => ("DATE", DATE_PATTERN),
                Cell::Time(_) => ("TIME", TIME_PATTERN),
                _ => ("DATE_TIME", DATE_TIME_PATTERN),
            };
            CellJson {
                user_entered_value: cell.to_serial().map(ValueJson::Number),
                user_entered_format: Some(FormatJson {
                    number_format: NumberFormatJson { kind, pattern },
                }),
            }
        }
    }
}

/// What a `values.batchGet` with `UNFORMATTED_VALUE` returns for a cell written by
/// [`cell_json`]. Used to model the sheet after a write (tests, dry-run previews).
pub fn to_read_value(cell: &Cell) -> Value {
    match cell {
        Cell::Empty => Value::String(String::new()),
        Cell::Text(s) => Value::String(s.clone()),
        Cell::Int(i) if i.unsigned_abs() > MAX_EXACT_INT => Value::String(i.to_string()),
        Cell::Int(i) => Value::from(*i),
        Cell::Decimal(f) if !f.is_finite() => Value::String(cell.canonical().into_owned()),
        Cell::Decimal(f) => Value::from(*f),
        Cell::Bool(b) => Value::Bool(*b),
        Cell::Date(_) | Cell::DateTime(_) | Cell::Time(_) => {
            Value::from(cell.to_serial().unwrap_or_default())
        }
    }
}

/// A sheet value as a typed cell, reading numbers as date serials when `kind` says so.
pub fn read_value_to_cell(value: &Value, kind: ValueKind) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::String(s) if s.is_empty() => Cell::Empty,
        Value::String(s) => Cell::Text(s.clone()),
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => {
            let as_date = match kind {
                ValueKind::Plain => None,
                ValueKind::Time => n.as_f64().and_then(Cell::time_from_serial),
                ValueKind::Date | ValueKind::DateTime => n
                    .as_f64()
                    .and_then(Cell::from_serial)
                    .map(|c| match (kind, c) {
                        (ValueKind::DateTime, Cell::Date(d)) => {
                            Cell::DateTime(d.and_hms_opt(0, 0, 0).unwrap_or_default())
                        }
                        (_, c) => c,
                    }),
            };
            if let Some(date) = as_date {
                date
            } else if let Some(i) = n.as_i64() {
                Cell::Int(i)
            } else {
                Cell::Decimal(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        other => Cell::Text(other.to_string()),
    }
}

/// The compare form of a sheet value (see [`Cell::compare_form`]), read as `kind`.
pub fn read_value_compare_form(value: &Value, kind: ValueKind) -> Cow<'_, str> {
    match value {
        Value::String(s) => {
            let trimmed = s.trim();
            if looks_numeric(trimmed) {
                Cow::Owned(Cell::Text(s.clone()).compare_form().into_owned())
            } else {
                // Already in compare form: borrow the sheet's text.
                Cow::Borrowed(trimmed)
            }
        }
        other => Cow::Owned(read_value_to_cell(other, kind).compare_form().into_owned()),
    }
}

/// Text that [`Cell::compare_form`] might renormalise as a number.
fn looks_numeric(s: &str) -> bool {
    s.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-')
}

/// Whether the sheet's value (absent = empty) already is what writing the export cell would
/// make it, so the cell needs no write. Text against text is exact (`" "` is not empty,
/// `"a "` is not `"a"`, `"1.10"` is not `"1.1"`); otherwise values compare by their compare
/// forms, with sheet numbers read as dates or times where the export cell is one, so a number
/// and its numeric text are one value (as they are one key, and the planner must not flip
/// between them). Fast paths avoid allocating for the common equal cases.
pub fn same_value(export: &Cell, sheet: Option<&Value>) -> bool {
    let sheet = sheet.unwrap_or(&Value::Null);
    match (export, sheet) {
        (Cell::Text(a), Value::String(b)) => return a == b,
        (Cell::Text(a), Value::Null) => return a.is_empty(),
        (Cell::Empty, Value::Null) => return true,
        (Cell::Empty, Value::String(s)) => return s.is_empty(),
        (Cell::Int(i), Value::Number(n)) if n.as_i64() == Some(*i) => return true,
        (Cell::Decimal(f), Value::Number(n)) if n.as_f64() == Some(*f) => return true,
        (Cell::Bool(a), Value::Bool(b)) => return a == b,
        (Cell::Date(_) | Cell::DateTime(_) | Cell::Time(_), Value::Number(n))
            if export.to_serial().is_some() && export.to_serial() == n.as_f64() =>
        {
            return true;
        }
        _ => {}
    }
    export.compare_form() == read_value_compare_form(sheet, ValueKind::of(export))
}

/// The form a key part is compared in: [`Cell::compare_form`], except that dates, date-times
/// and text that spells one (`YYYY-MM-DD[ HH:MM:SS]`) become their serial number, so a date
/// key matches the serial the sheet returns whatever the column's other cells hold.
pub fn key_form(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Date(_) | Cell::DateTime(_) | Cell::Time(_) => serial_form(cell),
        Cell::Text(s) => match date_text(s.trim()) {
            Some(date) => serial_form(&date).into_owned().into(),
            None => cell.compare_form(),
        },
        _ => cell.compare_form(),
    }
}

/// Whether a key part spells a date or date-time (its column's sheet numbers are then read as
/// date serials by [`read_value_key_form`]).
pub fn is_date_key(cell: &Cell) -> bool {
    match cell {
        Cell::Date(_) | Cell::DateTime(_) | Cell::Time(_) => true,
        Cell::Text(s) => date_text(s.trim()).is_some(),
        _ => false,
    }
}

/// How far (in days: 1 ms) a sheet serial may be from a whole second and still be read as
/// that second in a date key column. Wide enough for the floating-point error of a serial that
/// Sheets computed itself (a typed or `USER_ENTERED` date-time is `days + seconds / 86400`,
/// not `total_seconds / 86400`), narrow enough that distinct decimals never merge.
const SERIAL_SNAP_DAYS: f64 = 1.0 / 86_400_000.0;

/// [`key_form`] of a value read from the sheet. In a column whose export keys are dates
/// (`kind` not `Plain`), a number within [`SERIAL_SNAP_DAYS`] of a whole second is read as
/// that second's serial: otherwise a date-time serial a few ulps off would never match the
/// export's key and the row would be appended again on every run.
pub fn read_value_key_form(value: &Value, kind: ValueKind) -> Cow<'_, str> {
    match value {
        Value::String(s) => match date_text(s.trim()) {
            Some(date) => serial_form(&date).into_owned().into(),
            None => read_value_compare_form(value, ValueKind::Plain),
        },
        Value::Number(n) if kind != ValueKind::Plain => {
            let snapped = n.as_f64().and_then(|f| {
                let date = Cell::from_serial(f)?;
                let exact = date.to_serial()?;
                ((exact - f).abs() < SERIAL_SNAP_DAYS).then_some(date)
            });
            match snapped {
                Some(date) => serial_form(&date).into_owned().into(),
                None => read_value_compare_form(value, ValueKind::Plain),
            }
        }
        other => read_value_compare_form(other, ValueKind::Plain),
    }
}

fn serial_form(cell: &Cell) -> Cow<'static, str> {
    cell.to_serial()
        .map_or(Cow::Borrowed(""), |f| format_decimal(f).into())
}

/// Text spelling a date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DD HH:MM:SS`), exactly, as a
/// cell; also what the planner's keys compare ([`crate::sheet::plan`]).
pub(crate) fn date_text(t: &str) -> Option<Cell> {
    let b = t.as_bytes();
    if !(b.len() == 10 || b.len() == 19) || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() == 10 {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .map(Cell::Date)
    } else {
        NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
            .ok()
            .map(Cell::DateTime)
    }
}

/// A header cell's name as text (headers are normally strings; numbers are printed).
pub fn header_name(value: &Value) -> String {
    read_value_to_cell(value, ValueKind::Plain)
        .canonical()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(cell: &Cell) -> String {
        serde_json::to_string(&cell_json(cell)).unwrap()
    }

    /// The typed google-sheets4 `CellData` the same cell would be, as the crate sends it.
    fn typed_json(cell: &Cell) -> Value {
        use google_sheets4::api::{CellData, CellFormat, ExtendedValue, NumberFormat};
        let c = cell_json(cell);
        let data = CellData {
            user_entered_value: c.user_entered_value.map(|v| match v {
                ValueJson::Text(s) => ExtendedValue {
                    string_value: Some(s.into_owned()),
                    ..Default::default()
                },
                ValueJson::Number(n) => ExtendedValue {
                    number_value: Some(n),
                    ..Default::default()
                },
                ValueJson::Bool(b) => ExtendedValue {
                    bool_value: Some(b),
                    ..Default::default()
                },
            }),
            user_entered_format: c.user_entered_format.map(|f| CellFormat {
                number_format: Some(NumberFormat {
                    type_: Some(f.number_format.kind.into()),
                    pattern: Some(f.number_format.pattern.into()),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut v = serde_json::to_value(data).unwrap();
        google_sheets4::common::remove_json_null_values(&mut v);
        v
    }

    #[test]
    fn text_is_always_a_string_value() {
        for s in ["0812", "1234567890123456", "7e30", "TRUE", "2024-01-01"] {
            let j = json(&Cell::Text(s.into()));
            assert_eq!(
                j,
                format!(r#"{{"userEnteredValue":{{"stringValue":"{s}"}}}}"#)
            );
        }
    }

    #[test]
    fn numbers_bools_and_empties() {
        assert_eq!(
            json(&Cell::Int(42)),
            r#"{"userEnteredValue":{"numberValue":42.0}}"#
        );
        assert_eq!(
            json(&Cell::Int(12345678901234567)),
            r#"{"userEnteredValue":{"stringValue":"12345678901234567"}}"#
        );
        assert_eq!(
            json(&Cell::Bool(true)),
            r#"{"userEnteredValue":{"boolValue":true}}"#
        );
        assert_eq!(json(&Cell::Empty), "{}");
        assert_eq!(json(&Cell::Text(String::new())), "{}");
        // i64::MIN has no i64 absolute value: it must not panic, and it is beyond 2^53.
        assert_eq!(
            json(&Cell::Int(i64::MIN)),
            r#"{"userEnteredValue":{"stringValue":"-9223372036854775808"}}"#
        );
        assert_eq!(
            to_read_value(&Cell::Int(i64::MIN)),
            Value::from("-9223372036854775808")
        );
    }

    #[test]
    fn dates_are_serials_with_a_sortable_format() {
        let d = Cell::Date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
        let j = json(&d);
        assert!(j.contains(r#""numberValue":45352.0"#), "{j}");
        assert!(
            j.contains(r#""pattern":"yyyy-mm-dd""#) && j.contains(r#""DATE""#),
            "{j}"
        );
        let dt = Cell::DateTime(
            NaiveDate::from_ymd_opt(2024, 3, 1)
                .unwrap()
                .and_hms_opt(18, 30, 5)
                .unwrap(),
        );
        assert!(json(&dt).contains("yyyy-mm-dd hh:mm:ss"));
    }

    #[test]
    fn written_values_compare_equal_when_read_back() {
        let dt = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let cells = [
            Cell::Text("0812".into()),
            Cell::Text("7e30".into()),
            Cell::Int(-7),
            Cell::Int(9_007_199_254_740_993),
            Cell::Decimal(0.1),
            Cell::Bool(false),
            Cell::Date(dt),
            Cell::DateTime(dt.and_hms_opt(0, 0, 0).unwrap()),
            Cell::DateTime(dt.and_hms_opt(23, 59, 59).unwrap()),
            Cell::Time(chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap()),
            Cell::Text("   ".into()),
            Cell::Empty,
        ];
        for c in &cells {
            let back = to_read_value(c);
            let back = serde_json::from_str::<Value>(&back.to_string()).unwrap();
            assert!(same_value(c, Some(&back)), "{c:?} vs {back}");
        }
    }

    #[test]
    fn text_is_exact_and_numbers_equal_their_numeric_text() {
        assert!(same_value(
            &Cell::Text("123".into()),
            Some(&Value::from(123))
        ));
        assert!(same_value(&Cell::Int(123), Some(&Value::from("123.0"))));
        assert!(!same_value(
            &Cell::Text("1.10".into()),
            Some(&Value::from("1.1"))
        ));
        assert!(!same_value(
            &Cell::Text("0812".into()),
            Some(&Value::from(812))
        ));
        assert!(!same_value(&Cell::Int(5), None));
        assert!(same_value(&Cell::Empty, Some(&Value::from(""))));
        assert!(!same_value(&Cell::Empty, Some(&Value::from("x"))));
    }

    #[test]
    fn whitespace_only_text_is_text() {
        for s in [" ", "   ", "\t"] {
            let cell = Cell::Text(s.into());
            assert_eq!(
                json(&cell),
                format!(
                    r#"{{"userEnteredValue":{{"stringValue":{}}}}}"#,
                    Value::from(s)
                )
            );
            assert!(!same_value(&cell, None), "{s:?} vs an empty cell");
            assert!(!same_value(&cell, Some(&Value::from(""))), "{s:?} vs \"\"");
            assert!(same_value(&cell, Some(&Value::from(s))));
        }
        assert!(!same_value(
            &Cell::Text("a ".into()),
            Some(&Value::from("a"))
        ));
    }

    #[test]
    fn times_are_day_fractions_with_a_time_format() {
        let t = Cell::Time(chrono::NaiveTime::from_hms_opt(13, 45, 30).unwrap());
        let j: Value = serde_json::from_str(&json(&t)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({
                "userEnteredValue": {"numberValue": 49_530.0 / 86_400.0},
                "userEnteredFormat": {"numberFormat": {"type": "TIME", "pattern": "hh:mm:ss"}}
            })
        );
        assert!(is_dated(&t));
        assert!(same_value(&t, Some(&to_read_value(&t))));
        // A serial Sheets computed itself, a few ulps away, is the same second.
        let near = Value::from(49_530.0 / 86_400.0 + 1e-12);
        assert!(same_value(&t, Some(&near)));
        assert!(!same_value(&t, Some(&Value::from(49_531.0 / 86_400.0))));
        assert_eq!(read_value_to_cell(&to_read_value(&t), ValueKind::Time), t);
        assert_eq!(
            key_form(&t),
            read_value_key_form(&near, ValueKind::DateTime)
        );
        assert!(is_date_key(&t));
    }

    #[test]
    fn date_keys_match_serials_and_date_text() {
        let d = Cell::Date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
        assert_eq!(
            key_form(&d),
            read_value_key_form(&Value::from(45352), ValueKind::Date)
        );
        assert_eq!(
            key_form(&d),
            read_value_key_form(&Value::from("2024-03-01"), ValueKind::Plain)
        );
        assert_eq!(key_form(&Cell::Text("2024-03-01".into())), key_form(&d));
        assert_eq!(key_form(&Cell::Text("0812".into())), "0812");
        assert_ne!(
            key_form(&Cell::Text("0812".into())),
            read_value_key_form(&Value::from(812), ValueKind::Plain)
        );
    }

    #[test]
    fn the_json_is_what_the_typed_crate_schema_sends() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for c in [
            Cell::Text("a \"quoted\"\n line".into()),
            Cell::Int(i64::MAX),
            Cell::Decimal(-1.234_567_890_123e-7),
            Cell::Bool(true),
            Cell::Date(d),
            Cell::DateTime(d.and_hms_opt(1, 2, 3).unwrap()),
            Cell::Time(chrono::NaiveTime::from_hms_opt(1, 2, 3).unwrap()),
            Cell::Text(" ".into()),
            Cell::Empty,
        ] {
            let mine: Value = serde_json::from_str(&json(&c)).unwrap();
            assert_eq!(mine, typed_json(&c), "{c:?}");
        }
    }
}
