//! The file as written: serde structs with `deny_unknown_fields`. Everything a validation rule
//! checks is optional here, so that [`super::validate`] can report every missing value at once
//! instead of stopping at the first one.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackend {
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogin {
    pub path: Option<String>,
    pub email_selector: Option<String>,
    pub password_selector: Option<String>,
    pub submit_selector: Option<String>,
    pub success: Option<RawLoginSuccess>,
    pub error_selector: Option<String>,
    pub timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoginSuccess {
    pub url_not_contains: Option<String>,
    pub selector: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBrowser {
    pub chromium_path: Option<String>,
    pub headless: Option<bool>,
    pub launch_timeout_secs: Option<u64>,
    pub mode: Option<String>,
    pub parallel: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub download_timeout_secs: Option<u64>,
    pub page_timeout_secs: Option<u64>,
    pub lookback_days: Option<u32>,
    pub timezone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    pub notify: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExport {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub page: Option<String>,
    pub start_selector: Option<String>,
    pub end_selector: Option<String>,
    pub date_format: Option<String>,
    pub fill: Option<String>,
    pub button: Option<RawButton>,
    pub download_timeout_secs: Option<u64>,
    pub spreadsheet_id: Option<String>,
    pub tab: Option<String>,
    #[serde(default)]
    pub key_columns: Vec<String>,
    #[serde(default)]
    pub text_columns: Vec<String>,
    pub header_row: Option<usize>,
    #[serde(default)]
    pub footer_prefixes: Vec<String>,
    pub file_date_format: Option<String>,
    pub decimal: Option<String>,
    pub on_header_change: Option<String>,
    pub min_rows: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawButton {
    pub selector: Option<String>,
    pub text: Option<String>,
}
