//! Validation of the `[[export]]` tables: every field of every export checked, problems
//! collected with the export's name (or `#N` when it has none).

use std::fmt::Write;

use chrono::NaiveDate;
use chrono::format::{Item, StrftimeItems};

use super::model::*;
use super::raw::RawExport;
use super::validate::{Checker, Place, check_base_url};

pub(super) fn exports(
    c: &mut Checker,
    value: Option<toml::Value>,
    defaults: &Defaults,
) -> Vec<ExportConfig> {
    let items = match value {
        Some(toml::Value::Array(items)) => items,
        Some(_) => {
            c.push(
                &Place::File,
                Some("export"),
                "must be an array of tables: write each export as [[export]]",
            );
            return Vec::new();
        }
        None => {
            c.push(
                &Place::File,
                Some("export"),
                "no [[export]] defined; add at least one",
            );
            return Vec::new();
        }
    };
    let mut out: Vec<ExportConfig> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let label = item
            .get("name")
            .and_then(|n| n.as_str())
            .filter(|n| !n.is_empty())
            .map_or_else(|| format!("#{}", i + 1), str::to_owned);
        let place = Place::Export(label);
        let raw: RawExport = c.section(place.clone(), Some(item));
        if let Some(export) = export(c, &place, raw, defaults) {
            if out.iter().any(|e| e.name == export.name) {
                c.push(
                    &place,
                    Some("name"),
                    "is used by an earlier export; names must be unique",
                );
            }
            out.push(export);
        }
    }
    out
}

fn export(
    c: &mut Checker,
    place: &Place,
    raw: RawExport,
    defaults: &Defaults,
) -> Option<ExportConfig> {
    let name = c.required(
        place,
        "name",
        raw.name,
        "give the export a name such as \"users\"",
    );
    if !name.is_empty()
        && !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        c.push(
            place,
            Some("name"),
            format!("\"{name}\" may only use letters, digits, '_' and '-' (it names files)"),
        );
    }
    let enabled = raw.enabled.unwrap_or(true);
    let page = match raw.page {
        Some(p) => {
            if !(p.starts_with('/') || check_base_url(&p).is_ok()) {
                c.push(
                    place,
                    Some("page"),
                    format!("\"{p}\" must be a path starting with \"/\" or an http(s) URL"),
                );
            }
            Some(p)
        }
        None if enabled => {
            c.push(place, Some("page"), "missing; an enabled export needs the path of its export page (or set enabled = false)");
            None
        }
        None => None,
    };
    let start_selector = c.required(
        place,
        "start_selector",
        raw.start_selector,
        "give the CSS selector of the start-date input",
    );
    let end_selector = c.required(
        place,
        "end_selector",
        raw.end_selector,
        "give the CSS selector of the end-date input",
    );
    let date_format = match raw.date_format {
        None => {
            c.push(place, Some("date_format"), "missing; give \"html5\" for <input type=date> or a strftime pattern such as \"%d/%m/%Y\"");
            DateFormat::Html5
        }
        Some(f) => parse_date_format(&f).unwrap_or_else(|why| {
            c.push(place, Some("date_format"), format!("\"{f}\" {why}"));
            DateFormat::Html5
        }),
    };
    let fill = match raw.fill.as_deref() {
        None | Some("set_value") => FillMethod::SetValue,
        Some("type") => FillMethod::Type,
        Some(other) => {
            c.push(
                place,
                Some("fill"),
                format!("\"{other}\" is not one of \"set_value\", \"type\""),
            );
            FillMethod::SetValue
        }
    };
    let button = match raw.button {
        None => {
            c.push(
                place,
                Some("button"),
                "missing; give button = { selector = \".btn\", text = \"Export\" }",
            );
            ButtonConfig {
                selector: String::new(),
                text: None,
            }
        }
        Some(b) => {
            let selector = c.required(
                place,
                "button.selector",
                b.selector,
                "give the CSS selector of the Export button",
            );
            let text = match b.text {
                Some(t) if t.trim().is_empty() => {
                    c.push(
                        place,
                        Some("button.text"),
                        "is empty; leave it out to match on the selector alone",
                    );
                    None
                }
                t => t,
            };
            ButtonConfig { selector, text }
        }
    };
    let download_timeout = match raw.download_timeout_secs {
        Some(s) => c.seconds(place, "download_timeout_secs", Some(s), 0),
        None => defaults.download_timeout,
    };
    let spreadsheet_id = match raw.spreadsheet_id {
        Some(id) => {
            if id.is_empty()
                || !id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                c.push(
                    place,
                    Some("spreadsheet_id"),
                    format!(
                        "\"{id}\" is not a spreadsheet id (the part of the sheet's URL after /d/)"
                    ),
                );
            }
            Some(id)
        }
        None if enabled => {
            c.push(place, Some("spreadsheet_id"), "missing; an enabled export needs the id of its Google Sheet (or set enabled = false)");
            None
        }
        None => None,
    };
    let tab = raw.tab.unwrap_or_else(|| "Sheet1".to_owned());
    if tab.trim().is_empty() {
        c.push(place, Some("tab"), "is empty; give the sheet tab's name");
    }
    if raw.header_row == Some(0) {
        c.push(place, Some("header_row"), "rows are numbered from 1");
    }
    for (field, columns) in [
        ("key_columns", &raw.key_columns),
        ("text_columns", &raw.text_columns),
    ] {
        if columns.iter().any(|k| k.trim().is_empty()) {
            c.push(place, Some(field), "has an empty column name");
        }
        let mut seen = columns.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != columns.len() {
            c.push(place, Some(field), "names a column twice");
        }
    }
    let file_date_format = raw.file_date_format.filter(|f| {
        let valid = matches!(parse_date_format(f), Ok(DateFormat::Pattern(_)));
        if !valid {
            c.push(
                place,
                Some("file_date_format"),
                format!("\"{f}\" is not a strftime pattern of a full date such as \"%d/%m/%Y\" (day, month and year; a time after the date is read without being named)"),
            );
        }
        valid
    });
    let decimal = raw
        .decimal
        .and_then(|d| match d.parse::<crate::table::DecimalMark>() {
            Ok(mark) => Some(mark),
            Err(why) => {
                c.push(
                    place,
                    Some("decimal"),
                    format!("{why}; give \",\" for 1.234,56 or \".\" for 1,234.56"),
                );
                None
            }
        });
    let on_header_change = match raw.on_header_change.as_deref() {
        None | Some("warn") => OnHeaderChange::Warn,
        Some("fail") => OnHeaderChange::Fail,
        Some(other) => {
            c.push(
                place,
                Some("on_header_change"),
                format!(
                    "\"{other}\" is not one of \"warn\" (report a changed header and write as usual), \"fail\" (fail the export and write nothing)"
                ),
            );
            OnHeaderChange::Warn
        }
    };
    let min_rows = match raw.min_rows {
        Some(n) if n < 0 => {
            c.push(
                place,
                Some("min_rows"),
                format!("{n} is negative; give a row count such as 1"),
            );
            None
        }
        Some(n) => Some(n as usize),
        None => None,
    };
    Some(ExportConfig {
        name,
        enabled,
        page,
        start_selector,
        end_selector,
        date_format,
        fill,
        button,
        download_timeout,
        spreadsheet_id,
        tab,
        key_columns: raw.key_columns,
        text_columns: raw.text_columns,
        header_row: raw.header_row,
        footer_prefixes: raw.footer_prefixes,
        file_date_format,
        decimal,
        on_header_change,
        min_rows,
    })
}

/// `html5`, or a strftime pattern that writes a date it can read back unchanged.
pub fn parse_date_format(text: &str) -> Result<DateFormat, String> {
    if text.eq_ignore_ascii_case("html5") {
        return Ok(DateFormat::Html5);
    }
    if StrftimeItems::new(text).any(|item| matches!(item, Item::Error)) {
        return Err("is not a valid strftime pattern (use e.g. \"%d/%m/%Y\", or \"html5\")".into());
    }
    let probe = NaiveDate::from_ymd_opt(2024, 11, 23).expect("valid date");
    let mut written = String::new();
    if write!(written, "{}", probe.format(text)).is_err() {
        return Err("asks for a time or a time zone, which a date does not have (use only the day, the month and the year, e.g. \"%d/%m/%Y\")".into());
    }
    match NaiveDate::parse_from_str(&written, text) {
        Ok(back) if back == probe => Ok(DateFormat::Pattern(text.to_owned())),
        _ => Err("does not write a full date (it needs the day, the month and the year, e.g. \"%d/%m/%Y\")".into()),
    }
}
