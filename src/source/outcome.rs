//! What the browser source returns: per-export outcomes, per-session timings, progress events.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::SourceError;

/// The dates to export, both inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A file captured from the backend.
#[derive(Clone, Debug)]
pub struct Downloaded {
    pub path: PathBuf,
    pub suggested_name: String,
    pub bytes: u64,
    /// From opening the export page to the saved file, for the attempt that succeeded.
    pub seconds: f64,
}

/// The result of one export after all its attempts.
#[derive(Clone, Debug)]
pub struct ExportOutcome {
    pub name: String,
    pub result: Result<Downloaded, SourceError>,
    /// Browser sessions in which the export was tried (1, or 2 after a retry).
    pub attempts: u32,
    /// PNG of the page that showed the problem, saved next to the downloads.
    pub screenshot: Option<PathBuf>,
    /// The URL of that page.
    pub page_url: Option<String>,
}

/// Timings of one browser session.
#[derive(Clone, Debug)]
pub struct SessionTiming {
    /// Starting Chromium until its first tab is ready.
    pub launch_seconds: f64,
    pub login_seconds: f64,
    /// Closing the browser and reaping its processes.
    pub close_seconds: f64,
    pub exports: Vec<String>,
    /// Tabs that ran exports at once (at most `[browser] parallel`).
    pub tabs: usize,
}

/// Everything [`ExportSource::export_all`] did.
#[derive(Clone, Debug, Default)]
pub struct SourceReport {
    /// Launch and login of the first browser (0 when it never got that far).
    pub launch_seconds: f64,
    pub login_seconds: f64,
    pub sessions: Vec<SessionTiming>,
    /// Logins repeated because a session expired.
    pub relogins: u32,
    pub exports: Vec<ExportOutcome>,
}

impl SourceReport {
    pub fn all_ok(&self) -> bool {
        self.exports.iter().all(|e| e.result.is_ok())
    }
}

/// Progress notifications, for logs, progress output and tests.
#[derive(Clone, Debug)]
pub enum SourceEvent {
    SessionOpened {
        launch_seconds: f64,
        login_seconds: f64,
    },
    AttemptFinished {
        export: String,
        attempt: u32,
        error: Option<SourceError>,
    },
}
