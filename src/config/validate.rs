//! Turns the text of a configuration file into a validated [`Config`], collecting every problem
//! instead of stopping at the first. Each problem names the file, the section or export and the
//! field, so a user can fix the whole file in one pass.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use chrono::format::{Item, StrftimeItems};
use serde::de::DeserializeOwned;

use super::model::*;
use super::raw::*;

/// Where in the file a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The file as a whole (syntax, unknown sections).
    File,
    /// A top-level table such as `[login]`.
    Section(&'static str),
    /// One `[[export]]`, by name (or `#N` when it has none).
    Export(String),
}

/// One thing wrong with the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub origin: String,
    pub place: Place,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.origin)?;
        match &self.place {
            Place::File => {}
            Place::Section(s) => write!(f, "[{s}]: ")?,
            Place::Export(name) => write!(f, "export \"{name}\": ")?,
        }
        if let Some(field) = &self.field {
            write!(f, "field \"{field}\": ")?;
        }
        f.write_str(&self.message)
    }
}

const SECTIONS: [&str; 5] = ["backend", "login", "browser", "defaults", "export"];

/// Collects problems for one place.
struct Checker<'a> {
    origin: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn push(&mut self, place: &Place, field: Option<&str>, message: impl Into<String>) {
        self.problems.push(Problem {
            origin: self.origin.to_owned(),
            place: place.clone(),
            field: field.map(str::to_owned),
            message: message.into(),
        });
    }

    /// A value that must be present and non-blank.
    fn required(
        &mut self,
        place: &Place,
        field: &str,
        value: Option<String>,
        hint: &str,
    ) -> String {
        match value {
            Some(v) if !v.trim().is_empty() => v,
            Some(_) => {
                self.push(place, Some(field), format!("is empty; {hint}"));
                String::new()
            }
            None => {
                self.push(place, Some(field), format!("missing; {hint}"));
                String::new()
            }
        }
    }

    fn seconds(
        &mut self,
        place: &Place,
        field: &str,
        value: Option<u64>,
        default: u64,
    ) -> Duration {
        let secs = value.unwrap_or(default);
        if secs == 0 {
            self.push(place, Some(field), "must be at least 1 second");
        }
        Duration::from_secs(secs)
    }

    /// Deserializes one table; a serde error becomes a problem naming the offending field.
    fn section<T: DeserializeOwned + Default>(
        &mut self,
        place: Place,
        value: Option<toml::Value>,
    ) -> T {
        let Some(value) = value else {
            return T::default();
        };
        match value.try_into::<T>() {
            Ok(v) => v,
            Err(e) => {
                let (field, message) = split_serde_message(e.message());
                self.push(&place, field.as_deref(), message);
                T::default()
            }
        }
    }
}

/// serde says "unknown field `x`, expected one of ..." or "missing field `x`": pull the field out.
fn split_serde_message(message: &str) -> (Option<String>, String) {
    for prefix in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(end) = rest.find('`')
        {
            let kind = prefix.trim_end_matches(" `").trim_end_matches(" field");
            let tail = rest[end + 1..].trim_start_matches(',').trim();
            let message = if tail.is_empty() {
                format!("{kind} field")
            } else {
                format!("{kind} field; {tail}")
            };
            return (Some(rest[..end].to_owned()), message);
        }
    }
    (None, message.trim().to_owned())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Validates the text of a configuration file named `origin`.
pub fn validate(origin: &str, text: &str) -> Result<Config, Vec<Problem>> {
    let mut c = Checker {
        origin,
        problems: Vec::new(),
    };
    let mut doc: toml::Table = match toml::from_str(text) {
        Ok(doc) => doc,
        Err(e) => {
            let at = e.span().map(|s| line_col(text, s.start));
            let message = match at {
                Some((line, col)) => format!("line {line}, column {col}: {}", e.message().trim()),
                None => e.message().trim().to_owned(),
            };
            c.push(&Place::File, None, format!("not valid TOML: {message}"));
            return Err(c.problems);
        }
    };
    let unknown: Vec<String> = doc
        .keys()
        .filter(|k| !SECTIONS.contains(&k.as_str()))
        .cloned()
        .collect();
    for key in unknown {
        c.push(
            &Place::File,
            Some(&key),
            format!("unknown section; expected one of {}", SECTIONS.join(", ")),
        );
    }

    let raw_backend = c.section(Place::Section("backend"), doc.remove("backend"));
    let backend = backend(&mut c, raw_backend);
    let raw_login = c.section(Place::Section("login"), doc.remove("login"));
    let login = login(&mut c, raw_login);
    let raw_browser = c.section(Place::Section("browser"), doc.remove("browser"));
    let browser = browser(&mut c, raw_browser);
    let raw_defaults = c.section(Place::Section("defaults"), doc.remove("defaults"));
    let defaults = defaults(&mut c, raw_defaults);
    let exports = exports(&mut c, doc.remove("export"), &defaults);

    if c.problems.is_empty() {
        Ok(Config {
            origin: origin.to_owned(),
            backend,
            login,
            browser,
            defaults,
            exports,
        })
    } else {
        Err(c.problems)
    }
}

fn backend(c: &mut Checker, raw: RawBackend) -> BackendConfig {
    let place = Place::Section("backend");
    let base_url = raw.base_url.map(|url| {
        if let Err(why) = check_base_url(&url) {
            c.push(&place, Some("base_url"), format!("\"{url}\" {why}"));
        }
        url.trim_end_matches('/').to_owned()
    });
    BackendConfig { base_url }
}

/// A base URL must be `http(s)://host[:port][/prefix]`.
pub fn check_base_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("is not an http:// or https:// URL")?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("has no host name");
    }
    if rest.contains('?') || rest.contains('#') {
        return Err("must not have a query or fragment");
    }
    Ok(())
}

fn login(c: &mut Checker, raw: RawLogin) -> LoginConfig {
    let place = Place::Section("login");
    let path = raw.path.unwrap_or_else(|| "/login".to_owned());
    if !path.starts_with('/') {
        c.push(
            &place,
            Some("path"),
            format!("\"{path}\" must start with \"/\""),
        );
    }
    let success = match raw.success {
        None => LoginSuccess::UrlNotContains(path.clone()),
        Some(RawLoginSuccess {
            url_not_contains: Some(u),
            selector: None,
        }) if !u.is_empty() => LoginSuccess::UrlNotContains(u),
        Some(RawLoginSuccess {
            url_not_contains: None,
            selector: Some(s),
        }) if !s.is_empty() => LoginSuccess::Selector(s),
        Some(_) => {
            c.push(
                &place,
                Some("success"),
                "give exactly one of { url_not_contains = \"...\" } or { selector = \"...\" }",
            );
            LoginSuccess::UrlNotContains(path.clone())
        }
    };
    let mut selector = |field: &str, value: Option<String>, default: &str| {
        let v = value.unwrap_or_else(|| default.to_owned());
        if v.trim().is_empty() {
            c.push(
                &place,
                Some(field),
                "is empty; give the CSS selector of the login form's element",
            );
        }
        v
    };
    let email_selector = selector("email_selector", raw.email_selector, r#"[name="email"]"#);
    let password_selector = selector(
        "password_selector",
        raw.password_selector,
        r#"[name="password"]"#,
    );
    let submit_selector = selector("submit_selector", raw.submit_selector, r#"[type="submit"]"#);
    let timeout = c.seconds(&place, "timeout_secs", raw.timeout_secs, 30);
    LoginConfig {
        path,
        email_selector,
        password_selector,
        submit_selector,
        success,
        error_selector: raw.error_selector.filter(|s| !s.trim().is_empty()),
        timeout,
    }
}

fn browser(c: &mut Checker, raw: RawBrowser) -> BrowserConfig {
    let place = Place::Section("browser");
    let mode = match raw.mode.as_deref() {
        None | Some("single_session") => BrowserMode::SingleSession,
        Some("individual") => BrowserMode::Individual,
        Some(other) => {
            c.push(
                &place,
                Some("mode"),
                format!("\"{other}\" is not one of \"single_session\", \"individual\""),
            );
            BrowserMode::SingleSession
        }
    };
    BrowserConfig {
        chromium_path: raw
            .chromium_path
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
        headless: raw.headless.unwrap_or(true),
        launch_timeout: c.seconds(&place, "launch_timeout_secs", raw.launch_timeout_secs, 20),
        mode,
    }
}

fn defaults(c: &mut Checker, raw: RawDefaults) -> Defaults {
    let place = Place::Section("defaults");
    let tz_name = raw.timezone.unwrap_or_else(|| "Asia/Jakarta".to_owned());
    let timezone = tz_name.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
        c.push(
            &place,
            Some("timezone"),
            format!("\"{tz_name}\" is not an IANA time zone name such as \"Asia/Jakarta\""),
        );
        chrono_tz::Asia::Jakarta
    });
    Defaults {
        download_timeout: c.seconds(
            &place,
            "download_timeout_secs",
            raw.download_timeout_secs,
            60,
        ),
        page_timeout: c.seconds(&place, "page_timeout_secs", raw.page_timeout_secs, 30),
        lookback_days: raw.lookback_days.unwrap_or(1),
        timezone,
    }
}

fn exports(c: &mut Checker, value: Option<toml::Value>, defaults: &Defaults) -> Vec<ExportConfig> {
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
    let written = probe.format(text).to_string();
    match NaiveDate::parse_from_str(&written, text) {
        Ok(back) if back == probe => Ok(DateFormat::Pattern(text.to_owned())),
        _ => Err("does not write a full date (it needs the day, the month and the year, e.g. \"%d/%m/%Y\")".into()),
    }
}
