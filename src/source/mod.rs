//! The browser source: launch Chromium, log in once, run the export pages in that session (up
//! to `[browser] parallel` at once, each in its own tab) and capture the downloads. Failures
//! are per export; a browser-reason failure is retried once in a fresh session; an expired
//! session is logged in again once (for all tabs); wrong credentials stop at once.
//!
//! - [`launch`]: flags, CDP handler task, shutdown and reaping; [`profile`]: the session's
//!   directories, PDF-download preferences and a short TMPDIR for Chromium
//! - [`session`]: login and expiry detection; [`relogin`]: one re-login shared by all tabs
//! - `tabs`: the tabs of one session taking exports from a shared queue
//! - [`export`]: page automation (dates, Export button); [`diagnose`]: what the page offers
//!   when a configured element is missing
//! - [`download`]: CDP download events with deadlines, attributed to the tab that started them
//! - [`dom`]: polling helpers, tab families; [`procs`]: `/proc` reader used for reaping
//! - [`lambda_env`]: the extra Chromium flags and environment inside Lambda

pub mod diagnose;
pub mod dom;
pub mod download;
pub mod error;
pub mod export;
pub mod lambda_env;
pub mod launch;
mod outcome;
pub mod procs;
pub mod profile;
pub mod relogin;
pub mod session;
mod tabs;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chromiumoxide::Page;

pub use error::SourceError;
pub use launch::BrowserSession;
pub use outcome::{
    DateWindow, Downloaded, ExportOutcome, SessionTiming, SourceEvent, SourceReport,
};
pub use session::BackendCredentials;

use crate::config::{BrowserMode, Config, ExportConfig, LoginConfig};

type Observer = Arc<dyn Fn(&SourceEvent) + Send + Sync>;

/// One attempt's result with what was seen when it failed.
#[derive(Clone, Debug)]
struct Attempt {
    result: Result<Downloaded, SourceError>,
    screenshot: Option<Vec<u8>>,
    page_url: Option<String>,
}

impl Attempt {
    fn failed(error: SourceError, screenshot: Option<Vec<u8>>, page_url: Option<String>) -> Self {
        Attempt {
            result: Err(error),
            screenshot,
            page_url,
        }
    }
}

/// A logged-in browser and the tab that logged in.
struct LiveSession {
    browser: BrowserSession,
    /// The tab that logged in, the only one open.
    page: Page,
}

const SCREENSHOT_LIMIT: Duration = Duration::from_secs(10);

/// Downloads exports from the backend with one logged-in browser.
pub struct ExportSource {
    config: Config,
    base_url: String,
    credentials: BackendCredentials,
    observer: Option<Observer>,
    temp_root: Option<PathBuf>,
    deadline: Option<tokio::time::Instant>,
}

impl ExportSource {
    /// Needs `config.backend.base_url` (set it from `--backend-url` or the secrets first).
    pub fn new(config: &Config, credentials: BackendCredentials) -> Result<Self, SourceError> {
        let base_url = config
            .backend
            .base_url
            .clone()
            .ok_or_else(|| SourceError::NoBaseUrl {
                config: config.origin.clone(),
            })?;
        Ok(ExportSource {
            config: config.clone(),
            base_url,
            credentials,
            observer: None,
            temp_root: None,
            deadline: None,
        })
    }

    /// Calls `observer` (synchronously, in order) for each [`SourceEvent`]. With parallel
    /// tabs it is called from whichever tab finished, one call at a time per tab.
    pub fn with_observer(
        mut self,
        observer: impl Fn(&SourceEvent) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Creates each session's temporary directory (profile, downloads) under `dir` instead of
    /// the system's temporary directory (Lambda: somewhere under /tmp).
    pub fn with_temp_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_root = Some(dir.into());
        self
    }

    /// Starts no export (and no browser) at or after `deadline`: such exports end as
    /// [`SourceError::DeadlineReached`]. Every wait of a started export (login, page,
    /// download) ends by `deadline` at the latest, and no retry session starts after it.
    pub fn with_deadline(mut self, deadline: tokio::time::Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    fn notify(&self, event: SourceEvent) {
        if let Some(observer) = &self.observer {
            observer(&event);
        }
    }

    fn deadline_reached(&self) -> bool {
        self.deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
    }

    /// The deadline `timeout` from now, clipped to the run's deadline, and the time it allows.
    fn deadline_after(&self, timeout: Duration) -> (tokio::time::Instant, Duration) {
        tabs::clipped(self.deadline, timeout)
    }

    /// The login settings with the login deadline clipped to the run's deadline.
    fn login_config(&self) -> LoginConfig {
        let mut login = self.config.login.clone();
        login.timeout = self.deadline_after(login.timeout).1;
        login
    }

    /// Downloads `exports` for `window` into `out_dir`, in the configured mode. Never fails as
    /// a whole: each export carries its own result.
    pub async fn export_all(
        &self,
        window: DateWindow,
        exports: &[&ExportConfig],
        out_dir: &Path,
    ) -> SourceReport {
        let mut report = SourceReport::default();
        if exports.is_empty() {
            return report;
        }
        let mut attempts: Vec<(Attempt, u32)> = self
            .run_round(window, exports, out_dir, 1, &mut report)
            .await
            .into_iter()
            .map(|a| (a, 1))
            .collect();
        let retry: Vec<usize> = attempts
            .iter()
            .enumerate()
            .filter(|(_, (a, _))| {
                a.result
                    .as_ref()
                    .err()
                    .is_some_and(SourceError::is_retryable)
            })
            .map(|(i, _)| i)
            .collect();
        if !retry.is_empty() && self.deadline_reached() {
            // The first failure says more than "deadline reached" would.
            tracing::warn!(exports = ?retry.iter().map(|&i| &exports[i].name).collect::<Vec<_>>(), "not retrying: the run's deadline was reached");
        } else if !retry.is_empty() {
            let again: Vec<&ExportConfig> = retry.iter().map(|&i| exports[i]).collect();
            tracing::warn!(exports = ?again.iter().map(|e| &e.name).collect::<Vec<_>>(), "retrying in a fresh browser session");
            let second = self
                .run_round(window, &again, out_dir, 2, &mut report)
                .await;
            for (i, attempt) in retry.into_iter().zip(second) {
                // An export whose retry could not start before the deadline keeps its failure.
                if !matches!(attempt.result, Err(SourceError::DeadlineReached { .. })) {
                    attempts[i] = (attempt, 2);
                }
            }
        }
        report.exports = exports
            .iter()
            .zip(attempts)
            .map(|(export, (attempt, tries))| finish_outcome(export, attempt, tries, out_dir))
            .collect();
        report
    }

    /// One pass over `exports`: one session for all, or one each in `individual` mode.
    async fn run_round(
        &self,
        window: DateWindow,
        exports: &[&ExportConfig],
        out_dir: &Path,
        round: u32,
        report: &mut SourceReport,
    ) -> Vec<Attempt> {
        match self.config.browser.mode {
            BrowserMode::SingleSession => {
                self.run_session(window, exports, out_dir, round, report)
                    .await
            }
            BrowserMode::Individual => {
                let mut all = Vec::with_capacity(exports.len());
                for (i, export) in exports.iter().enumerate() {
                    let attempts = self
                        .run_session(window, std::slice::from_ref(export), out_dir, round, report)
                        .await;
                    let rejected = attempts
                        .iter()
                        .find(|a| matches!(a.result, Err(SourceError::LoginRejected { .. })))
                        .cloned();
                    all.extend(attempts);
                    if let Some(rejected) = rejected {
                        // Wrong credentials: the remaining exports' sessions would only repeat
                        // the rejected login. They all fail with the same cause.
                        for skipped in &exports[i + 1..] {
                            self.notify(SourceEvent::AttemptFinished {
                                export: skipped.name.clone(),
                                attempt: round,
                                error: rejected.result.clone().err(),
                            });
                            all.push(rejected.clone());
                        }
                        break;
                    }
                }
                all
            }
        }
    }

    /// Every export of `exports` fails with the same attempt (a failed launch or login, the
    /// deadline).
    fn all_fail(
        &self,
        exports: &[&ExportConfig],
        round: u32,
        failure: impl Fn(&ExportConfig) -> Attempt,
    ) -> Vec<Attempt> {
        exports
            .iter()
            .map(|export| {
                let attempt = failure(export);
                self.notify(SourceEvent::AttemptFinished {
                    export: export.name.clone(),
                    attempt: round,
                    error: attempt.result.clone().err(),
                });
                attempt
            })
            .collect()
    }

    /// One browser and one login for `exports`, run by up to `[browser] parallel` tabs.
    async fn run_session(
        &self,
        window: DateWindow,
        exports: &[&ExportConfig],
        out_dir: &Path,
        round: u32,
        report: &mut SourceReport,
    ) -> Vec<Attempt> {
        let not_started = |export: &ExportConfig| {
            Attempt::failed(
                SourceError::DeadlineReached {
                    export: export.name.clone(),
                },
                None,
                None,
            )
        };
        if self.deadline_reached() {
            return self.all_fail(exports, round, not_started);
        }
        let wanted = self.config.browser.parallel.clamp(1, exports.len().max(1));
        let live = match self.open_session(report, exports).await {
            Ok(live) => live,
            Err(_) if self.deadline_reached() => {
                return self.all_fail(exports, round, not_started);
            }
            Err(failure) => return self.all_fail(exports, round, |_| failure.clone()),
        };
        let LiveSession { browser, page } = live;
        let work = tabs::SessionWork {
            source: self,
            browser: &browser,
            window,
            out_dir,
            round,
            gate: relogin::ReloginGate::default(),
            relogins: Default::default(),
            waiting_on_server: Default::default(),
        };
        let queue = std::sync::Mutex::new((0..exports.len()).collect::<VecDeque<_>>());
        let (done, tabs) = work.run_tabs(page, wanted, &queue, exports).await;
        if let Some(timing) = report.sessions.last_mut() {
            timing.tabs = tabs;
        }
        report.relogins += work.relogins.load(std::sync::atomic::Ordering::SeqCst);
        let mut results: Vec<Option<Attempt>> = vec![None; exports.len()];
        for (index, attempt) in done {
            results[index] = Some(attempt);
        }
        let results = results
            .into_iter()
            .zip(exports)
            .map(|(attempt, export)| {
                attempt.unwrap_or_else(|| {
                    // Every tab crashed and none could be replaced.
                    let failure = Attempt::failed(
                        error::browser_error(
                            &export.name,
                            "waiting for a tab",
                            "no browser tab was left to run it",
                        ),
                        None,
                        None,
                    );
                    self.notify(SourceEvent::AttemptFinished {
                        export: export.name.clone(),
                        attempt: round,
                        error: failure.result.clone().err(),
                    });
                    failure
                })
            })
            .collect();
        drop(work);
        let closing = Instant::now();
        browser.close().await;
        if let Some(timing) = report.sessions.last_mut() {
            timing.close_seconds = closing.elapsed().as_secs_f64();
        }
        results
    }

    /// Launches a browser and logs in; on failure returns the attempt every export gets.
    async fn open_session(
        &self,
        report: &mut SourceReport,
        exports: &[&ExportConfig],
    ) -> Result<LiveSession, Attempt> {
        let browser = BrowserSession::launch(&self.config.browser, self.temp_root.as_deref())
            .await
            .map_err(|e| Attempt::failed(e, None, None))?;
        let opening = Instant::now();
        let page = match browser.browser.new_page("about:blank").await {
            Ok(page) => page,
            Err(e) => {
                browser.close().await;
                return Err(Attempt::failed(
                    error::browser_failure("session", "opening a tab", e),
                    None,
                    None,
                ));
            }
        };
        // Launching ends when the first tab is ready: a renderer's start-up, about 0.2 s.
        let launch_seconds = (browser.launch_time + opening.elapsed()).as_secs_f64();
        let login = async {
            let started = Instant::now();
            let login = session::log_in(
                &page,
                &self.login_config(),
                &self.base_url,
                &self.credentials,
            )
            .await;
            (login, started.elapsed().as_secs_f64())
        };
        // Chromium's initial blank tab is closed meanwhile; no export runs yet.
        let keep = [page.target_id()];
        let ((login, login_seconds), ()) =
            tokio::join!(login, dom::close_other_pages(&browser.browser, &keep));
        if report.launch_seconds == 0.0 {
            report.launch_seconds = launch_seconds;
            report.login_seconds = login_seconds;
        }
        if let Err(e) = login {
            let screenshot = dom::screenshot(&page, SCREENSHOT_LIMIT).await;
            let url = dom::url(&page).await;
            tracing::error!(error = %e, url = %url, "login failed");
            browser.close().await;
            return Err(Attempt::failed(e, screenshot, Some(url)));
        }
        report.sessions.push(SessionTiming {
            launch_seconds,
            login_seconds,
            close_seconds: 0.0,
            exports: exports.iter().map(|e| e.name.clone()).collect(),
            tabs: 1,
        });
        tracing::info!(launch_seconds, login_seconds, "browser session ready");
        self.notify(SourceEvent::SessionOpened {
            launch_seconds,
            login_seconds,
        });
        Ok(LiveSession { browser, page })
    }
}

/// Saves the failure screenshot next to the downloads and builds the outcome.
fn finish_outcome(
    export: &ExportConfig,
    attempt: Attempt,
    attempts: u32,
    out_dir: &Path,
) -> ExportOutcome {
    let screenshot = match (&attempt.result, attempt.screenshot) {
        (Err(_), Some(png)) => {
            let path = out_dir.join(format!("{}.failure.png", export.name));
            match std::fs::create_dir_all(out_dir).and_then(|_| std::fs::write(&path, png)) {
                Ok(()) => Some(path),
                Err(e) => {
                    tracing::warn!(export = %export.name, path = %path.display(), error = %e, "cannot save the failure screenshot");
                    None
                }
            }
        }
        _ => None,
    };
    ExportOutcome {
        name: export.name.clone(),
        result: attempt.result,
        attempts,
        screenshot,
        page_url: attempt.page_url,
    }
}
