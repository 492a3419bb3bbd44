//! Types the cells of text formats (CSV, TSV, HTML) by column, not by cell: a column is text
//! throughout when any value is an identifier, and day-first dates, decimal commas, times and
//! booleans are read only when the whole column agrees. Each decision comes with the reason
//! `inspect` shows. The rules are in docs/tables.md ("Text formats: typed by column").

use super::infer::{self, SlashDate};
use super::{Cell, DecimalMark};

/// What the column typing may use besides the values.
#[derive(Clone, Copy, Debug, Default)]
pub struct TypingContext<'a> {
    /// The delimiter of delimited text: `;` files write decimals with a comma.
    pub delimiter: Option<u8>,
    /// The export's `decimal` setting.
    pub decimal: Option<DecimalMark>,
    /// The export's `file_date_format`, e.g. `%d/%m/%Y`.
    pub file_date_format: Option<&'a str>,
}

/// How a column's values are read.
enum Reading {
    /// Every value as text.
    Text,
    /// Each value on its own ([`infer::infer`]); notes on what else was considered.
    PerCell(Vec<&'static str>),
    /// Every value through one parser, which accepted all of them.
    Bool,
    Time,
    DayFirst,
    DateFormat(String),
    CommaDecimal,
    DotDecimal,
}

impl Reading {
    fn parse(&self, v: &str) -> Option<Cell> {
        match self {
            Reading::Text | Reading::PerCell(_) => None,
            Reading::Bool => infer::parse_bool(v).map(Cell::Bool),
            Reading::Time => infer::parse_time(v).map(Cell::Time),
            Reading::DayFirst => SlashDate::parse(v)?.to_cell(true),
            Reading::DateFormat(pattern) => infer::parse_with_date_format(v, pattern),
            Reading::CommaDecimal => infer::parse_grouped_number(v, ','),
            Reading::DotDecimal => infer::parse_grouped_number(v, '.'),
        }
    }
}

/// Types the columns of `rows` (raw text cells) in place and says, per column, what was
/// decided and why. `as_text[c]` is true for a column named in `text_columns`.
///
/// The rows are walked row by row, twice: once to gather each column's values, once to type
/// the cells. Walking column by column instead touched every row once per column and pass,
/// which made typing a 100,000 x 27 CSV four times slower than reading it.
pub fn type_columns(
    rows: &mut [Vec<Cell>],
    as_text: &[bool],
    context: &TypingContext<'_>,
) -> Vec<String> {
    let decided: Vec<(Reading, String)> = {
        let mut values: Vec<Vec<&str>> = as_text
            .iter()
            .map(|&text| Vec::with_capacity(if text { 0 } else { rows.len() }))
            .collect();
        for row in rows.iter() {
            for ((cell, column), &text) in row.iter().zip(values.iter_mut()).zip(as_text) {
                match cell {
                    // Whitespace-only text is text in any column and decides nothing.
                    Cell::Text(s) if !text && !s.trim().is_empty() => column.push(s.as_str()),
                    _ => {}
                }
            }
        }
        values
            .iter()
            .zip(as_text)
            .map(|(values, &text)| {
                if text {
                    (Reading::Text, "text: named in text_columns".into())
                } else {
                    decide_column(values, context)
                }
            })
            .collect()
    };
    let mut kinds: Vec<Vec<(&'static str, usize)>> = vec![Vec::new(); decided.len()];
    if decided.iter().any(|(r, _)| !matches!(r, Reading::Text)) {
        for row in rows.iter_mut() {
            for ((cell, (reading, _)), kinds) in row.iter_mut().zip(&decided).zip(&mut kinds) {
                if matches!(reading, Reading::Text) {
                    continue;
                }
                let Cell::Text(text) = cell else { continue };
                if text.trim().is_empty() {
                    continue;
                }
                match reading {
                    Reading::Text => {}
                    Reading::PerCell(_) => {
                        *cell = infer::infer_owned(std::mem::take(text));
                        let kind = kind_name(cell);
                        match kinds.iter_mut().find(|(k, _)| *k == kind) {
                            Some((_, n)) => *n += 1,
                            None => kinds.push((kind, 1)),
                        }
                    }
                    parser => {
                        if let Some(typed) = parser.parse(text) {
                            *cell = typed;
                        }
                    }
                }
            }
        }
    }
    decided
        .into_iter()
        .zip(kinds)
        .map(|((reading, decision), kinds)| match reading {
            Reading::PerCell(notes) => {
                let summary = match kinds.as_slice() {
                    [(only, _)] => format!("{only}: every value read on its own is {only}"),
                    _ => {
                        let list: Vec<String> =
                            kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
                        format!("mixed: typed value by value ({})", list.join(", "))
                    }
                };
                if notes.is_empty() {
                    summary
                } else {
                    format!("{summary}; {}", notes.join("; "))
                }
            }
            _ => decision,
        })
        .collect()
}

/// The reading of a column of (non-blank) `values`, and why.
fn decide_column(values: &[&str], context: &TypingContext<'_>) -> (Reading, String) {
    if values.is_empty() {
        return (Reading::Text, "empty: no values".into());
    }
    if let Some(id) = values.iter().find(|v| infer::is_identifier(v)) {
        let why = if id.starts_with('0') {
            "has a leading zero"
        } else {
            "has 12 or more digits"
        };
        return (
            Reading::Text,
            format!("text: \"{id}\" {why}, so every value of the column stays text"),
        );
    }
    decide(|| values.iter().copied(), context)
}

/// The reading of a column that holds no identifier.
fn decide<'v, I>(values: impl Fn() -> I, context: &TypingContext<'_>) -> (Reading, String)
where
    I: Iterator<Item = &'v str>,
{
    if values().all(|v| infer::parse_bool(v).is_some()) {
        return (Reading::Bool, "bool: every value is TRUE or FALSE".into());
    }
    let mut notes = Vec::new();
    if let Some(pattern) = context.file_date_format {
        if values().all(|v| infer::parse_with_date_format(v, pattern).is_some()) {
            return (
                Reading::DateFormat(pattern.to_owned()),
                format!("date: every value matches file_date_format \"{pattern}\""),
            );
        }
        if values().any(|v| infer::parse_with_date_format(v, pattern).is_some()) {
            notes.push("not every value matches file_date_format");
        }
    }
    if values().all(|v| SlashDate::parse(v).is_some()) {
        let dates = || values().filter_map(SlashDate::parse);
        let day_first_valid = dates().all(|d| d.to_cell(true).is_some());
        if day_first_valid && dates().any(|d| d.first > 12) {
            return (
                Reading::DayFirst,
                "date: day-first dates (a day above 12 and every value a valid day/month/year)"
                    .into(),
            );
        }
        let hint = if dates().any(|d| d.second > 12) {
            "month-first dates (a second number above 12); set file_date_format = \"%m/%d/%Y\" to read them as dates"
        } else {
            "dates whose day and month cannot be told apart (no number above 12); set file_date_format (e.g. \"%d/%m/%Y\") to read them as dates"
        };
        return (Reading::Text, format!("text: {hint}"));
    }
    if values().all(|v| infer::parse_time(v).is_some()) {
        return (
            Reading::Time,
            "time: every value is a time of day (H:MM or H:MM:SS)".into(),
        );
    }
    match context.decimal {
        Some(DecimalMark::Comma) => {
            if values().all(|v| infer::parse_grouped_number(v, ',').is_some()) {
                return (
                    Reading::CommaDecimal,
                    "number: decimal = \",\" in the configuration".into(),
                );
            }
            if values().any(|v| infer::parse_grouped_number(v, ',').is_some()) {
                notes.push("decimal = \",\" but not every value is such a number");
            }
        }
        Some(DecimalMark::Dot) => {
            if values().all(|v| infer::parse_grouped_number(v, '.').is_some()) {
                return (
                    Reading::DotDecimal,
                    "number: decimal = \".\" in the configuration (commas group thousands)".into(),
                );
            }
            if values().any(|v| infer::parse_grouped_number(v, '.').is_some()) {
                notes.push("decimal = \".\" but not every value is such a number");
            }
        }
        None => {
            if values().any(|v| v.contains(','))
                && values().all(|v| infer::parse_grouped_number(v, ',').is_some())
            {
                if context.delimiter == Some(b';') {
                    return (
                        Reading::CommaDecimal,
                        "number: decimal commas (the file is ;-delimited)".into(),
                    );
                }
                if values().any(infer::comma_is_decimal) {
                    return (
                        Reading::CommaDecimal,
                        "number: decimal commas (every value is one, and some cannot be a thousands comma)"
                            .into(),
                    );
                }
            }
        }
    }
    (Reading::PerCell(notes), String::new())
}

fn kind_name(cell: &Cell) -> &'static str {
    match cell {
        Cell::Empty => "empty",
        Cell::Text(_) => "text",
        Cell::Int(_) => "int",
        Cell::Decimal(_) => "decimal",
        Cell::Bool(_) => "bool",
        Cell::Date(_) => "date",
        Cell::DateTime(_) => "datetime",
        Cell::Time(_) => "time",
    }
}
