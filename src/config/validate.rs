//! Turns the text of a configuration file into a validated [`Config`], collecting every problem
//! instead of stopping at the first. Each problem names the file, the section or export and the
//! field, so a user can fix the whole file in one pass.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

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

/// The longest deadline accepted: deadlines are added to the current instant, and nothing in a
/// run should wait longer than a day.
const MAX_SECONDS: u64 = 86_400;

const SECTIONS: [&str; 7] = [
    "backend", "login", "browser", "defaults", "telegram", "store", "export",
];

/// Collects problems for one place.
pub(super) struct Checker<'a> {
    origin: &'a str,
    problems: Vec<Problem>,
    /// Fields already reported as unreadable (wrong type, unknown): the rules that run on the
    /// readable rest stay quiet about them instead of calling them "missing".
    unreadable: Vec<(Place, String)>,
}

impl Checker<'_> {
    pub(super) fn push(&mut self, place: &Place, field: Option<&str>, message: impl Into<String>) {
        if let Some(root) = field.and_then(|f| f.split('.').next())
            && self
                .unreadable
                .iter()
                .any(|(p, key)| p == place && key == root)
        {
            return;
        }
        self.problems.push(Problem {
            origin: self.origin.to_owned(),
            place: place.clone(),
            field: field.map(str::to_owned),
            message: message.into(),
        });
    }

    /// A value that must be present and non-blank.
    pub(super) fn required(
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

    pub(super) fn seconds(
        &mut self,
        place: &Place,
        field: &str,
        value: Option<u64>,
        default: u64,
    ) -> Duration {
        let secs = value.unwrap_or(default);
        if secs == 0 {
            self.push(place, Some(field), "must be at least 1 second");
        } else if secs > MAX_SECONDS {
            self.push(
                place,
                Some(field),
                format!("must be at most {MAX_SECONDS} seconds (one day)"),
            );
            return Duration::from_secs(MAX_SECONDS);
        }
        Duration::from_secs(secs)
    }

    /// Deserializes one table. When that fails, each field is tried on its own: every field
    /// that cannot be read becomes one problem naming it, and the table is read from the
    /// fields that can, so the other rules still check them (and do not call the unreadable
    /// ones "missing").
    pub(super) fn section<T: DeserializeOwned + Default>(
        &mut self,
        place: Place,
        value: Option<toml::Value>,
    ) -> T {
        let Some(value) = value else {
            return T::default();
        };
        let whole = match value.clone().try_into::<T>() {
            Ok(v) => return v,
            Err(e) => e,
        };
        let toml::Value::Table(table) = value else {
            let (field, message) = split_serde_message(whole.message());
            self.push(&place, field.as_deref(), message);
            return T::default();
        };
        let mut readable = toml::Table::new();
        let mut found = false;
        for (key, item) in table {
            let alone = toml::Table::from_iter([(key.clone(), item.clone())]);
            match toml::Value::Table(alone).try_into::<T>() {
                Ok(_) => {
                    readable.insert(key, item);
                }
                Err(e) => {
                    found = true;
                    let (field, message) = split_serde_message(e.message());
                    let field = match field {
                        Some(inner) if inner != key => format!("{key}.{inner}"),
                        _ => key.clone(),
                    };
                    self.push(&place, Some(&field), message);
                    self.unreadable.push((place.clone(), key));
                }
            }
        }
        if !found {
            let (field, message) = split_serde_message(whole.message());
            self.push(&place, field.as_deref(), message);
            return T::default();
        }
        toml::Value::Table(readable)
            .try_into::<T>()
            .unwrap_or_default()
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
        unreadable: Vec::new(),
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
    let raw_telegram = c.section(Place::Section("telegram"), doc.remove("telegram"));
    let telegram = telegram(&mut c, raw_telegram);
    let raw_store = c.section(Place::Section("store"), doc.remove("store"));
    let store = store(&mut c, raw_store);
    let exports = super::export_rules::exports(&mut c, doc.remove("export"), &defaults);

    if c.problems.is_empty() {
        Ok(Config {
            origin: origin.to_owned(),
            backend,
            login,
            browser,
            defaults,
            telegram,
            store,
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
        parallel: parallel(c, &place, raw.parallel),
    }
}

/// `[browser] parallel`: 1 (the default) to [`MAX_PARALLEL`] tabs at once.
fn parallel(c: &mut Checker, place: &Place, value: Option<i64>) -> usize {
    match value {
        None => 1,
        Some(n) if (1..=MAX_PARALLEL as i64).contains(&n) => n as usize,
        Some(n) => {
            c.push(
                place,
                Some("parallel"),
                format!(
                    "{n} is not between 1 and {MAX_PARALLEL}; give how many exports may run at \
                     once, each in its own tab (1 runs them one after another)"
                ),
            );
            1
        }
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

fn store(c: &mut Checker, raw: RawStore) -> StoreConfig {
    let Some(url) = raw.url else {
        return StoreConfig::default();
    };
    // Relative folders are relative to the configuration file.
    let base = std::path::Path::new(c.origin)
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    match crate::store::StoreLocation::parse(&url, &base) {
        Ok(location) => StoreConfig {
            location: Some(location),
        },
        Err(why) => {
            c.push(&Place::Section("store"), Some("url"), why);
            StoreConfig::default()
        }
    }
}

fn telegram(c: &mut Checker, raw: RawTelegram) -> TelegramConfig {
    let notify = match raw.notify.as_deref() {
        None | Some("always") => Notify::Always,
        Some("failures") => Notify::Failures,
        Some(other) => {
            c.push(
                &Place::Section("telegram"),
                Some("notify"),
                format!(
                    "\"{other}\" is not one of \"always\" (a summary after every run), \"failures\" (only when an export failed or was skipped)"
                ),
            );
            Notify::Always
        }
    };
    TelegramConfig { notify }
}
