//! The run report: serde types shared by the job ([`crate::run`]), the CLI, the Lambda handler
//! and the Telegram summary. Pure data; no secret ever goes in here (errors are one line and
//! come from error types that never carry one).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::HeaderChange;

/// The dates a run covered, both inclusive, and the zone "today" was computed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
}

/// How the whole run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Every selected export is `ok`.
    Ok,
    /// At least one export failed or was skipped.
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Ok,
    Failed,
    /// Not started because the run's deadline was near (or an earlier step made it pointless).
    Skipped,
}

/// Where a failed export stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailedStage {
    /// Launch, login, the export page or the download.
    Download,
    /// The file could not be read into a table.
    Parse,
    /// Reading or writing the Google Sheet.
    Upsert,
    /// The run's deadline arrived.
    Deadline,
}

/// The failure screenshot of an export. The PNG itself travels in memory (to Telegram); the
/// report says how large it was and where it was kept, if anywhere. `Debug` shows the PNG's
/// size, never its bytes (a debug-printed report must stay a short log line).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screenshot {
    pub bytes: usize,
    /// Where the CLI saved it (`None` in Lambda, where the run directory is deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
    /// The page the screenshot shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(skip)]
    pub png: Vec<u8>,
}

impl std::fmt::Debug for Screenshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screenshot")
            .field("bytes", &self.bytes)
            .field("saved_to", &self.saved_to)
            .field("page_url", &self.page_url)
            .field("png", &format_args!("<{} bytes>", self.png.len()))
            .finish()
    }
}

/// One export's line in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportReport {
    pub name: String,
    pub status: ExportStatus,
    /// The spreadsheet and tab it goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spreadsheet_id: Option<String>,
    pub tab: String,
    /// The downloaded file's name (not a path: the run directory is gone after the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Data rows read from the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub duplicates: usize,
    pub empty_keys: usize,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub added_columns: Vec<String>,
    pub read_requests: u32,
    pub write_requests: u32,
    /// Browser sessions the download took (2 after a fresh-session retry).
    pub attempts: u32,
    /// Download + parse + upsert.
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<FailedStage>,
    /// One line, no secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<Screenshot>,
    /// Things a user should know that did not fail the export (renamed headers, dropped
    /// footers, a row count far below the usual, header drift).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    /// The file's header as read (what the next run compares its header with).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub header: Vec<String>,
    /// Columns added, removed or renamed since the last stored run that wrote this export.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub header_changes: Vec<HeaderChange>,
    /// The row count is far below the usual (zero, or under a fifth of the median of the last
    /// stored ok runs): a warning, also sent to Telegram.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub row_count_warning: Option<String>,
    /// The raw file's key in the run store, once stored.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub archived: Option<String>,
    /// In a replay: the stored run whose file this line re-read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub replayed_from: Option<String>,
}

impl ExportReport {
    /// A report line for an export that has not run yet.
    pub fn new(name: &str, spreadsheet_id: Option<String>, tab: &str) -> Self {
        ExportReport {
            name: name.to_owned(),
            status: ExportStatus::Skipped,
            spreadsheet_id,
            tab: tab.to_owned(),
            file: None,
            bytes: None,
            rows: None,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            duplicates: 0,
            empty_keys: 0,
            added_columns: Vec::new(),
            read_requests: 0,
            write_requests: 0,
            attempts: 0,
            seconds: 0.0,
            stage: None,
            error: None,
            screenshot: None,
            warnings: Vec::new(),
            header: Vec::new(),
            header_changes: Vec::new(),
            row_count_warning: None,
            archived: None,
            replayed_from: None,
        }
    }
}

/// Sums over the exports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub exports: usize,
    pub ok: usize,
    pub failed: usize,
    pub skipped: usize,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub duplicates: usize,
    pub empty_keys: usize,
    pub read_requests: u32,
    pub write_requests: u32,
}

/// How the Telegram summary went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelegramStatus {
    /// Every message and photo was delivered.
    Sent,
    /// `notify = "failures"` and nothing failed (dry runs are sent like any run, marked
    /// `DRY RUN`).
    NotNeeded,
    /// The secrets have no `telegram` section.
    NotConfigured,
    /// Telegram could not be reached or refused; the run itself is not failed for it.
    Failed,
    /// Not attempted yet (the report is being built).
    Pending,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramOutcome {
    pub status: TelegramStatus,
    pub messages: usize,
    pub photos: usize,
    /// Why it failed, one line, never the bot token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Default for TelegramOutcome {
    fn default() -> Self {
        TelegramOutcome {
            status: TelegramStatus::Pending,
            messages: 0,
            photos: 0,
            error: None,
        }
    }
}

/// Everything one run did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub status: RunStatus,
    pub window: Window,
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub seconds: f64,
    /// Browser launch and login of the first session.
    pub launch_seconds: f64,
    pub login_seconds: f64,
    pub exports: Vec<ExportReport>,
    pub totals: Totals,
    pub telegram: TelegramOutcome,
    /// The Lambda request id, when run by Lambda.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The run's id in the run store (`20261203T053012Z-3fa9c1`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_id: Option<String>,
    /// Set when this run re-read stored files instead of the panel.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub replay: Option<ReplayInfo>,
    /// How storing the run's files and report went (`None`: the store is off).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub store: Option<StoreOutcome>,
}

/// What a replay re-read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayInfo {
    /// The stored runs it re-read, oldest first.
    pub runs: Vec<String>,
}

/// How the run store did in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreStatus {
    /// Every file and the report were stored, and the history was read.
    Ok,
    /// Something was not stored or not read; the run itself went on (see `errors`).
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOutcome {
    /// The store's URL (never a credential).
    pub url: String,
    pub status: StoreStatus,
    /// Raw files stored.
    pub files: usize,
    /// One line each, never a credential.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<String>,
}

impl RunReport {
    /// A report of `exports` over `window`, started at `started_at`, before anything is known:
    /// not ok yet (see [`RunReport::finish`]), no time spent, Telegram pending, no store.
    pub fn new(window: Window, started_at: DateTime<Utc>, exports: Vec<ExportReport>) -> Self {
        RunReport {
            status: RunStatus::Failed,
            window,
            dry_run: false,
            started_at,
            seconds: 0.0,
            launch_seconds: 0.0,
            login_seconds: 0.0,
            exports,
            totals: Totals::default(),
            telegram: TelegramOutcome::default(),
            request_id: None,
            run_id: None,
            replay: None,
            store: None,
        }
    }

    /// Recomputes `totals` and `status` from `exports`.
    pub fn finish(&mut self) {
        let mut t = Totals {
            exports: self.exports.len(),
            ..Totals::default()
        };
        for e in &self.exports {
            match e.status {
                ExportStatus::Ok => t.ok += 1,
                ExportStatus::Failed => t.failed += 1,
                ExportStatus::Skipped => t.skipped += 1,
            }
            t.rows += e.rows.unwrap_or(0);
            t.inserted += e.inserted;
            t.updated += e.updated;
            t.unchanged += e.unchanged;
            t.duplicates += e.duplicates;
            t.empty_keys += e.empty_keys;
            t.read_requests += e.read_requests;
            t.write_requests += e.write_requests;
        }
        self.status = if t.failed == 0 && t.skipped == 0 {
            RunStatus::Ok
        } else {
            RunStatus::Failed
        };
        self.totals = t;
    }

    /// The exports that did not end `ok`, by name.
    pub fn not_ok(&self) -> Vec<&str> {
        self.exports
            .iter()
            .filter(|e| e.status != ExportStatus::Ok)
            .map(|e| e.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screenshots_debug_shows_its_size_not_its_bytes() {
        let shot = Screenshot {
            bytes: 50_000,
            png: vec![137; 50_000],
            ..Screenshot::default()
        };
        let text = format!("{shot:?}");
        assert!(text.contains("<50000 bytes>"), "{text}");
        assert!(text.len() < 200, "{text}");
        let mut line = ExportReport::new("users", None, "Sheet1");
        line.screenshot = Some(shot);
        assert!(format!("{line:?}").len() < 1000);
    }
}
