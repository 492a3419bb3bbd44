//! The validated configuration: what the rest of exportsync reads. Every value here has passed
//! [`super::validate`], so required fields are plain values and formats are parsed.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;

use crate::table::{DecimalMark, TableOptions};

/// The whole `exports.toml`, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the configuration came from (a file name), for messages.
    pub origin: String,
    pub backend: BackendConfig,
    pub login: LoginConfig,
    pub browser: BrowserConfig,
    pub defaults: Defaults,
    pub telegram: TelegramConfig,
    pub store: StoreConfig,
    pub exports: Vec<ExportConfig>,
}

/// `[store]`: where runs keep their raw files and reports.
#[derive(Clone, Debug, Default)]
pub struct StoreConfig {
    /// `url`, parsed (relative folders against the configuration file's folder); `None` leaves
    /// it to `--store`, `EXPORTSYNC_STORE` or the default.
    pub location: Option<crate::store::StoreLocation>,
}

/// What a header that changed since the last stored run does (`on_header_change`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnHeaderChange {
    /// Report it (run report, Telegram) and write as usual.
    #[default]
    Warn,
    /// Fail the export and write nothing, naming the change.
    Fail,
}

#[derive(Clone, Debug)]
pub struct BackendConfig {
    /// `None` when the file leaves it to the secrets document or `--backend-url`.
    pub base_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct LoginConfig {
    pub path: String,
    pub email_selector: String,
    pub password_selector: String,
    pub submit_selector: String,
    pub success: LoginSuccess,
    /// Where a failed login shows its message (e.g. `.alert-danger`), quoted in the error.
    pub error_selector: Option<String>,
    pub timeout: Duration,
}

/// How a successful login is recognised once the submitted form has loaded a new page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginSuccess {
    /// The new page's URL does not contain this text (usually the login path).
    UrlNotContains(String),
    /// The new page has an element matching this selector.
    Selector(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserMode {
    /// One browser and one login for every export (the default).
    SingleSession,
    /// One browser and one login per export, as the old tool's fallback did.
    Individual,
}

#[derive(Clone, Debug)]
pub struct BrowserConfig {
    /// `None`: `CHROMIUM_PATH` from the environment, else `chromium` on `PATH`.
    pub chromium_path: Option<PathBuf>,
    pub headless: bool,
    pub launch_timeout: Duration,
    pub mode: BrowserMode,
    /// In `single_session` mode: how many exports run at once, each in its own tab of the one
    /// browser and login (1 to [`MAX_PARALLEL`]). `--parallel N` overrides it.
    pub parallel: usize,
}

/// The most tabs `[browser] parallel` may ask for.
pub const MAX_PARALLEL: usize = 8;

#[derive(Clone, Debug)]
pub struct Defaults {
    pub download_timeout: Duration,
    pub page_timeout: Duration,
    pub lookback_days: u32,
    pub timezone: chrono_tz::Tz,
}

/// When the Telegram summary is sent (`[telegram] notify`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Notify {
    /// After every run (the default).
    #[default]
    Always,
    /// Only when an export failed or was skipped.
    Failures,
}

#[derive(Clone, Debug, Default)]
pub struct TelegramConfig {
    pub notify: Notify,
}

/// How a date is written into an export page's date inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// `<input type=date>`: the value is always `YYYY-MM-DD`.
    Html5,
    /// A strftime pattern such as `%d/%m/%Y` for text inputs.
    Pattern(String),
}

impl DateFormat {
    pub fn format(&self, date: NaiveDate) -> String {
        match self {
            DateFormat::Html5 => date.format("%Y-%m-%d").to_string(),
            DateFormat::Pattern(p) => date.format(p).to_string(),
        }
    }
}

/// How the date inputs are filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillMethod {
    /// Focus, set `value`, dispatch `input` and `change` (what Playwright's `fill` does).
    SetValue,
    /// Type the text key by key, for date pickers that only listen to keyboard events.
    Type,
}

/// The Export button: a CSS selector and, optionally, text its visible label must contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ButtonConfig {
    pub selector: String,
    pub text: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ExportConfig {
    pub name: String,
    pub enabled: bool,
    /// Path under the base URL (or an absolute URL). `None` only for disabled exports whose page
    /// nobody knows yet.
    pub page: Option<String>,
    pub start_selector: String,
    pub end_selector: String,
    pub date_format: DateFormat,
    pub fill: FillMethod,
    pub button: ButtonConfig,
    pub download_timeout: Duration,
    /// `None` only for disabled exports whose sheet nobody knows yet.
    pub spreadsheet_id: Option<String>,
    pub tab: String,
    /// Empty: the whole row is the key.
    pub key_columns: Vec<String>,
    pub text_columns: Vec<String>,
    pub header_row: Option<usize>,
    pub footer_prefixes: Vec<String>,
    /// The strftime pattern of the dates inside the export's text files (`%d/%m/%Y`).
    pub file_date_format: Option<String>,
    /// The decimal mark of the numbers inside the export's text files.
    pub decimal: Option<DecimalMark>,
    pub on_header_change: OnHeaderChange,
    /// Fewer data rows than this fails the export (nothing written).
    pub min_rows: Option<usize>,
}

impl ExportConfig {
    /// The options the table reader needs for this export's files.
    pub fn table_options(&self) -> TableOptions {
        TableOptions {
            export: self.name.clone(),
            header_row: self.header_row,
            footer_prefixes: self.footer_prefixes.clone(),
            text_columns: self.text_columns.clone(),
            file_date_format: self.file_date_format.clone(),
            decimal: self.decimal,
        }
    }
}
