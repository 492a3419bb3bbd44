//! How a cell value is rendered in `values.get`: `valueRenderOption` (FORMATTED_VALUE,
//! UNFORMATTED_VALUE, FORMULA) and `dateTimeRenderOption` (SERIAL_NUMBER, FORMATTED_STRING),
//! including date patterns such as `yyyy-mm-dd hh:mm:ss`. Pure.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::Value;

use super::error::ApiError;
use super::model::{Cell, CellValue, NumberFormat, number_json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRender {
    Formatted,
    Unformatted,
    Formula,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateTimeRender {
    SerialNumber,
    FormattedString,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    pub value: ValueRender,
    pub date_time: DateTimeRender,
}

/// Google's defaults: FORMATTED_VALUE and SERIAL_NUMBER.
impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            value: ValueRender::Formatted,
            date_time: DateTimeRender::SerialNumber,
        }
    }
}

impl RenderOptions {
    #[cfg(test)]
    pub fn unformatted() -> RenderOptions {
        RenderOptions {
            value: ValueRender::Unformatted,
            date_time: DateTimeRender::SerialNumber,
        }
    }

    /// Reads the two query parameters; Google's defaults are FORMATTED_VALUE and SERIAL_NUMBER.
    pub fn from_query(
        value_render: Option<&str>,
        date_time_render: Option<&str>,
    ) -> Result<RenderOptions, ApiError> {
        let value = match value_render.unwrap_or("FORMATTED_VALUE") {
            "FORMATTED_VALUE" => ValueRender::Formatted,
            "UNFORMATTED_VALUE" => ValueRender::Unformatted,
            "FORMULA" => ValueRender::Formula,
            other => {
                return Err(invalid_enum(
                    "value_render_option",
                    "ValueRenderOption",
                    other,
                ));
            }
        };
        let date_time = match date_time_render.unwrap_or("SERIAL_NUMBER") {
            "SERIAL_NUMBER" => DateTimeRender::SerialNumber,
            "FORMATTED_STRING" => DateTimeRender::FormattedString,
            other => {
                return Err(invalid_enum(
                    "date_time_render_option",
                    "DateTimeRenderOption",
                    other,
                ));
            }
        };
        Ok(RenderOptions { value, date_time })
    }
}

fn invalid_enum(field: &str, kind: &str, got: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Invalid value at '{field}' (type.googleapis.com/google.apps.sheets.v4.{kind}), \"{got}\""
    ))
}

/// The JSON a cell reads as, or `None` for an empty cell.
pub fn render_cell(cell: &Cell, options: &RenderOptions) -> Option<Value> {
    let value = cell.value.as_ref()?;
    Some(match value {
        CellValue::Text(s) => Value::String(s.clone()),
        // Formulas are stored, not evaluated: every render shows the formula text.
        CellValue::Formula(f) => Value::String(f.clone()),
        CellValue::Bool(b) => match options.value {
            ValueRender::Formatted => Value::String(if *b { "TRUE" } else { "FALSE" }.into()),
            _ => Value::Bool(*b),
        },
        CellValue::Number(n) => {
            let format = cell.number_format.as_deref();
            let is_date = format.is_some_and(is_date_format);
            match options.value {
                ValueRender::Formatted => Value::String(format_number(*n, format)),
                _ if is_date && options.date_time == DateTimeRender::FormattedString => {
                    Value::String(format_number(*n, format))
                }
                _ => number_json(*n),
            }
        }
    })
}

fn is_date_format(format: &NumberFormat) -> bool {
    matches!(format.kind.as_str(), "DATE" | "TIME" | "DATE_TIME")
}

/// A number as the Sheets UI shows it under `format` (general format when there is none).
pub fn format_number(n: f64, format: Option<&NumberFormat>) -> String {
    let Some(format) = format else {
        return format_general(n);
    };
    let pattern = format.pattern.as_str();
    match format.kind.as_str() {
        "DATE" | "TIME" | "DATE_TIME" => {
            let default = match format.kind.as_str() {
                "DATE" => "M/d/yyyy",
                "TIME" => "h:mm:ss am/pm",
                _ => "M/d/yyyy H:mm:ss",
            };
            format_serial(n, if pattern.is_empty() { default } else { pattern })
                .unwrap_or_else(|| format_general(n))
        }
        "PERCENT" => format!("{}%", format_fixed(n * 100.0, decimals_of(pattern), false)),
        "NUMBER" | "CURRENCY" if !pattern.is_empty() => {
            format_fixed(n, decimals_of(pattern), pattern.contains(','))
        }
        _ => format_general(n),
    }
}

/// Decimal places a pattern like `#,##0.00` asks for.
fn decimals_of(pattern: &str) -> usize {
    pattern.split_once('.').map_or(0, |(_, frac)| {
        frac.chars().take_while(|c| matches!(c, '0' | '#')).count()
    })
}

/// `n` with `decimals` places, digits grouped by thousands with `,` when `grouped`.
fn format_fixed(n: f64, decimals: usize, grouped: bool) -> String {
    let plain = format!("{:.decimals$}", n.abs());
    let (int, frac) = plain
        .split_once('.')
        .map_or((plain.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    if n < 0.0 && plain.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, digit) in int.chars().enumerate() {
        if grouped && i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Sheets' "General" display: whole numbers plain, others to at most 10 significant digits,
/// very large or small magnitudes in scientific form.
pub fn format_general(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    let magnitude = n.abs().log10().floor() as i32;
    if !(-9..15).contains(&magnitude) {
        let s = format!("{n:.5E}");
        let (mantissa, exp) = s.split_once('E').unwrap_or((&s, "0"));
        let mantissa = trim_fraction(mantissa);
        let exp: i32 = exp.parse().unwrap_or(0);
        return format!(
            "{mantissa}E{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        );
    }
    let decimals = (9 - magnitude).max(0) as usize;
    trim_fraction(&format!("{n:.decimals$}")).to_string()
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Serial day numbers count from 1899-12-30, fractions are the time of day.
pub fn serial_to_datetime(serial: f64) -> Option<NaiveDateTime> {
    if !serial.is_finite() || serial.abs() > 3_000_000.0 {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let seconds = (serial * 86_400.0).round() as i64;
    epoch.checked_add_signed(Duration::seconds(seconds))
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Year(usize),
    MonthOrMinute(usize),
    Day(usize),
    Hour(usize),
    Second(usize),
    AmPm,
    Literal(String),
}

fn tokenize(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let lower = c.to_ascii_lowercase();
        let rest: String = chars[i..]
            .iter()
            .take(5)
            .collect::<String>()
            .to_ascii_lowercase();
        if rest.starts_with("am/pm") {
            tokens.push(Token::AmPm);
            i += 5;
            continue;
        }
        if c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '"')
                .map_or(chars.len(), |p| i + 1 + p);
            tokens.push(Token::Literal(chars[i + 1..end].iter().collect()));
            i = end + 1;
            continue;
        }
        if c == '\\' && i + 1 < chars.len() {
            tokens.push(Token::Literal(chars[i + 1].to_string()));
            i += 2;
            continue;
        }
        let run = chars[i..]
            .iter()
            .take_while(|x| x.to_ascii_lowercase() == lower)
            .count();
        let token = match lower {
            'y' => Token::Year(run),
            'm' => Token::MonthOrMinute(run),
            'd' => Token::Day(run),
            'h' => Token::Hour(run),
            's' => Token::Second(run),
            _ => {
                tokens.push(Token::Literal(c.to_string()));
                i += 1;
                continue;
            }
        };
        tokens.push(token);
        i += run;
    }
    tokens
}

/// Renders a serial date-time with a Sheets date pattern (`yyyy-mm-dd`, `d mmm yyyy`,
/// `hh:mm:ss`, `h:mm am/pm`). `m` means minutes after an hour or before seconds.
pub fn format_serial(serial: f64, pattern: &str) -> Option<String> {
    use chrono::{Datelike, Timelike};
    let dt = serial_to_datetime(serial)?;
    let tokens = tokenize(pattern);
    let twelve_hour = tokens.contains(&Token::AmPm);
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let prev = tokens[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::Literal(_)));
        let next = tokens[i + 1..]
            .iter()
            .find(|t| !matches!(t, Token::Literal(_)));
        let pad = |n: u32, width: usize| {
            if width >= 2 {
                format!("{n:02}")
            } else {
                n.to_string()
            }
        };
        match token {
            Token::Year(n) if *n <= 2 => out.push_str(&format!("{:02}", dt.year() % 100)),
            Token::Year(_) => out.push_str(&format!("{:04}", dt.year())),
            Token::MonthOrMinute(n)
                if *n <= 2
                    && (matches!(prev, Some(Token::Hour(_)))
                        || matches!(next, Some(Token::Second(_)))) =>
            {
                out.push_str(&pad(dt.minute(), *n))
            }
            Token::MonthOrMinute(n) if *n <= 2 => out.push_str(&pad(dt.month(), *n)),
            Token::MonthOrMinute(3) => out.push_str(&dt.format("%b").to_string()),
            Token::MonthOrMinute(_) => out.push_str(&dt.format("%B").to_string()),
            Token::Day(n) if *n <= 2 => out.push_str(&pad(dt.day(), *n)),
            Token::Day(3) => out.push_str(&dt.format("%a").to_string()),
            Token::Day(_) => out.push_str(&dt.format("%A").to_string()),
            Token::Hour(n) => {
                let h = if twelve_hour {
                    (dt.hour() + 11) % 12 + 1
                } else {
                    dt.hour()
                };
                out.push_str(&pad(h, *n))
            }
            Token::Second(n) => out.push_str(&pad(dt.second(), *n)),
            Token::AmPm => out.push_str(if dt.hour() < 12 { "AM" } else { "PM" }),
            Token::Literal(s) => out.push_str(s),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date_format(kind: &str, pattern: &str) -> NumberFormat {
        NumberFormat {
            kind: kind.into(),
            pattern: pattern.into(),
        }
    }

    #[test]
    fn general_numbers() {
        assert_eq!(format_general(0.0), "0");
        assert_eq!(format_general(42.0), "42");
        assert_eq!(format_general(-3.5), "-3.5");
        assert_eq!(format_general(0.1 + 0.2), "0.3");
        assert_eq!(format_general(1234567.891), "1234567.891");
        assert_eq!(format_general(1e20), "1E+20");
        assert_eq!(format_general(1.5e-12), "1.5E-12");
    }

    #[test]
    fn date_patterns() {
        // 45658.5 = 2025-01-01 12:00:00
        let serial = 45658.5;
        assert_eq!(format_serial(serial, "yyyy-mm-dd").unwrap(), "2025-01-01");
        assert_eq!(
            format_serial(serial, "yyyy-mm-dd hh:mm:ss").unwrap(),
            "2025-01-01 12:00:00"
        );
        assert_eq!(
            format_serial(serial + 0.25, "d mmm yyyy h:mm am/pm").unwrap(),
            "1 Jan 2025 6:00 PM"
        );
        assert_eq!(
            format_serial(45667.0, "dddd, mmmm d").unwrap(),
            "Friday, January 10"
        );
        assert_eq!(
            format_serial(0.0, "\"day\" d/m/yy").unwrap(),
            "day 30/12/99"
        );
        assert_eq!(
            format_serial(45658.0 + 3723.0 / 86400.0, "hh:mm:ss").unwrap(),
            "01:02:03"
        );
    }

    #[test]
    fn cells_render_by_option() {
        let unformatted = RenderOptions::unformatted();
        let formatted = RenderOptions::from_query(None, None).unwrap();
        let text = Cell {
            value: Some(CellValue::Text("0812".into())),
            number_format: None,
        };
        assert_eq!(render_cell(&text, &unformatted), Some(Value::from("0812")));
        let num = Cell {
            value: Some(CellValue::Number(7.0)),
            number_format: None,
        };
        assert_eq!(render_cell(&num, &unformatted), Some(Value::from(7)));
        assert_eq!(render_cell(&num, &formatted), Some(Value::from("7")));
        let flag = Cell {
            value: Some(CellValue::Bool(true)),
            number_format: None,
        };
        assert_eq!(render_cell(&flag, &formatted), Some(Value::from("TRUE")));
        assert_eq!(render_cell(&flag, &unformatted), Some(Value::from(true)));
        let date = Cell {
            value: Some(CellValue::Number(45658.5)),
            number_format: Some(Box::new(date_format("DATE_TIME", "yyyy-mm-dd hh:mm"))),
        };
        assert_eq!(
            render_cell(&date, &formatted),
            Some(Value::from("2025-01-01 12:00"))
        );
        assert_eq!(render_cell(&date, &unformatted), Some(Value::from(45658.5)));
        let as_string =
            RenderOptions::from_query(Some("UNFORMATTED_VALUE"), Some("FORMATTED_STRING")).unwrap();
        assert_eq!(
            render_cell(&date, &as_string),
            Some(Value::from("2025-01-01 12:00"))
        );
        assert_eq!(render_cell(&Cell::default(), &formatted), None);
    }

    #[test]
    fn bad_render_option_is_rejected() {
        let err = RenderOptions::from_query(Some("RAW"), None).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.message.contains("ValueRenderOption"), "{}", err.message);
    }

    #[test]
    fn percent_and_fixed() {
        assert_eq!(
            format_number(0.125, Some(&date_format("PERCENT", "0.0%"))),
            "12.5%"
        );
        assert_eq!(
            format_number(1234.5678, Some(&date_format("NUMBER", "#,##0.00"))),
            "1,234.57"
        );
        let number = |pattern: &str| date_format("NUMBER", pattern);
        assert_eq!(
            format_number(-1234567.0, Some(&number("#,##0"))),
            "-1,234,567"
        );
        assert_eq!(format_number(-0.001, Some(&number("0.00"))), "0.00");
        assert_eq!(format_number(999.0, Some(&number("#,##0"))), "999");
    }
}
