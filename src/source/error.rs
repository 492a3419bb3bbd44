//! Why an export could not be downloaded. Every message names the export or page and, where
//! there is one, the remedy; none ever contains the password.

use std::time::Duration;

/// A failure of the browser source. `Clone` so that one login failure can be reported for
/// every export it stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "Chromium not found ({tried}); install it (Debian: apt-get install chromium) or set CHROMIUM_PATH or [browser] chromium_path"
    )]
    ChromiumNotFound { tried: String },
    #[error("cannot launch Chromium {path}: {message}")]
    Launch { path: String, message: String },
    #[error(
        "no backend base URL: give --backend-url, [backend] base_url in {config}, or backend.base_url in the secrets file"
    )]
    NoBaseUrl { config: String },
    #[error(
        "login failed: the backend rejected the email {email}: {message}; check backend.email and backend.password in the secrets file"
    )]
    LoginRejected { email: String, message: String },
    #[error("login did not finish within {}s at {url}: {message}", .waited.as_secs())]
    LoginTimeout {
        url: String,
        waited: Duration,
        message: String,
    },
    #[error(
        "export {export}: the session expired again right after logging in again ({url}); not retrying"
    )]
    SessionLost { export: String, url: String },
    /// Internal signal: the page landed on the login form. Handled by logging in again.
    #[error("export {export}: the session expired ({url})")]
    SessionExpired { export: String, url: String },
    /// `hint` is the advice and the page's diagnosis ([`super::diagnose`]); empty, the
    /// message advises checking the selector. (A `Box<str>` keeps the error small.)
    #[error("export {export}: {what} `{selector}` did not appear on {url} within {}s; {}", .waited.as_secs(), advice(.hint))]
    ElementMissing {
        export: String,
        what: &'static str,
        selector: String,
        url: String,
        waited: Duration,
        hint: Box<str>,
    },
    #[error(
        "export {export}: the date input `{selector}` did not accept \"{value}\" (it holds \"{actual}\"); check date_format"
    )]
    DateRejected {
        export: String,
        selector: String,
        value: String,
        actual: String,
    },
    #[error("export {export}: the server answered HTTP {status} for {url}")]
    ServerError {
        export: String,
        status: i64,
        url: String,
    },
    #[error("export {export}: no download started within {}s of clicking `{button}` on {url}", .waited.as_secs())]
    NoDownloadStarted {
        export: String,
        button: String,
        url: String,
        waited: Duration,
    },
    #[error("export {export}: the download of {file} did not finish within {}s ({received} bytes received)", .waited.as_secs())]
    DownloadTimeout {
        export: String,
        file: String,
        received: u64,
        waited: Duration,
    },
    #[error("export {export}: the download of {file} was canceled by the browser")]
    DownloadCanceled { export: String, file: String },
    /// `context` is "export NAME", "login" or "session".
    #[error("{context}: the browser failed while {action}: {message}")]
    Browser {
        context: String,
        action: String,
        message: String,
    },
    #[error("cannot open {url}: {message}; check the base URL and that the backend is reachable")]
    Unreachable { url: String, message: String },
    #[error("export {export}: cannot save the download to {path}: {message}")]
    Save {
        export: String,
        path: String,
        message: String,
    },
    #[error("export {export}: not configured to run: {message}")]
    NotRunnable { export: String, message: String },
    #[error(
        "export {export}: its browser tab crashed ({status}); retried in a fresh browser session if it was the first attempt"
    )]
    TabCrashed { export: String, status: String },
    #[error(
        "export {export}: not started: the run's deadline was reached before its turn; the next run's date window covers it, or run it alone with --only {export}"
    )]
    DeadlineReached { export: String },
}

impl SourceError {
    /// Whether a fresh browser session may cure it: deadlines, crashes, a download that never
    /// started, a crashed tab. Wrong credentials, server errors, a lost session, the run's
    /// deadline and configuration mistakes are not retried (a server error is caught up by the next scheduled run, whose date
    /// window overlaps this one).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            SourceError::Launch { .. }
                | SourceError::LoginTimeout { .. }
                | SourceError::ElementMissing { .. }
                | SourceError::NoDownloadStarted { .. }
                | SourceError::DownloadTimeout { .. }
                | SourceError::DownloadCanceled { .. }
                | SourceError::Browser { .. }
                | SourceError::TabCrashed { .. }
                | SourceError::Unreachable { .. }
        )
    }

    /// A short machine-readable kind for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::ChromiumNotFound { .. } => "chromium_not_found",
            SourceError::Launch { .. } => "launch",
            SourceError::NoBaseUrl { .. } => "no_base_url",
            SourceError::LoginRejected { .. } => "login_failed",
            SourceError::LoginTimeout { .. } => "login_timeout",
            SourceError::SessionLost { .. } => "session_lost",
            SourceError::SessionExpired { .. } => "session_expired",
            SourceError::ElementMissing { .. } => "element_missing",
            SourceError::DateRejected { .. } => "date_rejected",
            SourceError::ServerError { .. } => "server_error",
            SourceError::NoDownloadStarted { .. } => "no_download",
            SourceError::DownloadTimeout { .. } => "download_timeout",
            SourceError::DownloadCanceled { .. } => "download_canceled",
            SourceError::Browser { .. } => "browser",
            SourceError::Unreachable { .. } => "unreachable",
            SourceError::Save { .. } => "save",
            SourceError::NotRunnable { .. } => "not_runnable",
            SourceError::TabCrashed { .. } => "tab_crashed",
            SourceError::DeadlineReached { .. } => "deadline_reached",
        }
    }
}

/// The end of an [`SourceError::ElementMissing`] message: its diagnosis, else the usual advice.
fn advice(hint: &str) -> &str {
    if hint.is_empty() {
        super::diagnose::CHECK_SELECTOR
    } else {
        hint
    }
}

/// Turns a chromiumoxide error into a [`SourceError::Browser`] for `export` while `action`.
pub(crate) fn browser_error(export: &str, action: &str, e: impl std::fmt::Display) -> SourceError {
    browser_failure(format!("export {export}"), action, e)
}

/// A [`SourceError::Browser`] outside any export (`context`: "login", "session").
pub(crate) fn browser_failure(
    context: impl Into<String>,
    action: &str,
    e: impl std::fmt::Display,
) -> SourceError {
    SourceError::Browser {
        context: context.into(),
        action: action.to_owned(),
        message: e.to_string(),
    }
}
