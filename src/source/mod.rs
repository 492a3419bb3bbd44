//! The browser source: launch Chromium, log in once, run each export page in that session and
//! capture the downloads. Failures are per export; a browser-reason failure is retried once in
//! a fresh session; an expired session is logged in again once; wrong credentials stop at once.
//!
//! - [`launch`]: flags, per-session temp dir, CDP handler task, shutdown and reaping
//! - [`session`]: login and expiry detection
//! - [`export`]: page automation (dates, Export button)
//! - [`download`]: CDP download events with deadlines, saving under the suggested name
//! - [`dom`]: polling helpers; [`procs`]: `/proc` reader used for reaping
//! - [`lambda_env`]: the extra Chromium flags and environment inside Lambda

pub mod dom;
pub mod download;
pub mod error;
pub mod export;
pub mod lambda_env;
pub mod launch;
pub mod procs;
mod report;
pub mod session;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chromiumoxide::Page;

pub use error::SourceError;
pub use launch::BrowserSession;
pub use report::{DateWindow, Downloaded, ExportOutcome, SessionTiming, SourceEvent, SourceReport};
pub use session::BackendCredentials;

use crate::config::{BrowserMode, Config, ExportConfig};

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

/// A logged-in browser.
struct LiveSession {
    browser: BrowserSession,
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
        })
    }

    /// Calls `observer` (synchronously, in order) for each [`SourceEvent`].
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

    fn notify(&self, event: SourceEvent) {
        if let Some(observer) = &self.observer {
            observer(&event);
        }
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
        if !retry.is_empty() {
            let again: Vec<&ExportConfig> = retry.iter().map(|&i| exports[i]).collect();
            tracing::warn!(exports = ?again.iter().map(|e| &e.name).collect::<Vec<_>>(), "retrying in a fresh browser session");
            let second = self
                .run_round(window, &again, out_dir, 2, &mut report)
                .await;
            for (i, attempt) in retry.into_iter().zip(second) {
                attempts[i] = (attempt, 2);
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

    async fn run_session(
        &self,
        window: DateWindow,
        exports: &[&ExportConfig],
        out_dir: &Path,
        round: u32,
        report: &mut SourceReport,
    ) -> Vec<Attempt> {
        let mut live = match self.open_session(report, exports).await {
            Ok(live) => live,
            Err(failure) => {
                for export in exports {
                    self.notify(SourceEvent::AttemptFinished {
                        export: export.name.clone(),
                        attempt: round,
                        error: failure.result.clone().err(),
                    });
                }
                return exports.iter().map(|_| failure.clone()).collect();
            }
        };
        let mut results = Vec::with_capacity(exports.len());
        for export in exports {
            let attempt = self
                .run_export(&mut live, export, window, out_dir, report)
                .await;
            match &attempt.result {
                Ok(d) => {
                    tracing::info!(export = %export.name, attempt = round, file = %d.path.display(), bytes = d.bytes, seconds = d.seconds, "export downloaded")
                }
                Err(e) => {
                    tracing::warn!(export = %export.name, attempt = round, error = %e, "export failed")
                }
            }
            self.notify(SourceEvent::AttemptFinished {
                export: export.name.clone(),
                attempt: round,
                error: attempt.result.clone().err(),
            });
            results.push(attempt);
        }
        let closing = Instant::now();
        live.browser.close().await;
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
        let launch_seconds = browser.launch_time.as_secs_f64();
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
        let started = Instant::now();
        let login =
            session::log_in(&page, &self.config.login, &self.base_url, &self.credentials).await;
        let login_seconds = started.elapsed().as_secs_f64();
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
        });
        tracing::info!(launch_seconds, login_seconds, "browser session ready");
        self.notify(SourceEvent::SessionOpened {
            launch_seconds,
            login_seconds,
        });
        Ok(LiveSession { browser, page })
    }

    /// One export in a live session, logging in again once if the session expired.
    async fn run_export(
        &self,
        live: &mut LiveSession,
        export: &ExportConfig,
        window: DateWindow,
        out_dir: &Path,
        report: &mut SourceReport,
    ) -> Attempt {
        let mut result = self.try_export(live, export, window, out_dir).await;
        if let Err(SourceError::SessionExpired { url, .. }) = &result {
            tracing::info!(export = %export.name, url = %url, "session expired; logging in again");
            report.relogins += 1;
            result = match session::log_in(
                &live.page,
                &self.config.login,
                &self.base_url,
                &self.credentials,
            )
            .await
            {
                Ok(()) => match self.try_export(live, export, window, out_dir).await {
                    Err(SourceError::SessionExpired { url, .. }) => Err(SourceError::SessionLost {
                        export: export.name.clone(),
                        url,
                    }),
                    other => other,
                },
                Err(e) => Err(e),
            };
        }
        let attempt = match result {
            Ok(downloaded) => Attempt {
                result: Ok(downloaded),
                screenshot: None,
                page_url: None,
            },
            Err(e) => {
                let page = dom::problem_page(&live.browser.browser, &live.page).await;
                let screenshot = dom::screenshot(&page, SCREENSHOT_LIMIT).await;
                Attempt::failed(e, screenshot, Some(dom::url(&page).await))
            }
        };
        dom::close_extra_tabs(&live.browser.browser, &live.page).await;
        attempt
    }

    async fn try_export(
        &self,
        live: &LiveSession,
        export: &ExportConfig,
        window: DateWindow,
        out_dir: &Path,
    ) -> Result<Downloaded, SourceError> {
        let started = Instant::now();
        let Some(page_path) = &export.page else {
            return Err(SourceError::NotRunnable {
                export: export.name.clone(),
                message: "it has no `page`".into(),
            });
        };
        let page_timeout = self.config.defaults.page_timeout;
        let page_deadline = tokio::time::Instant::now() + page_timeout;
        let url = dom::page_url(&self.base_url, page_path);
        let page = &live.page;
        export::open(page, &export.name, &url, page_deadline, page_timeout).await?;
        if session::on_login_page(page, &self.config.login, page_deadline).await {
            return Err(SourceError::SessionExpired {
                export: export.name.clone(),
                url: dom::url(page).await,
            });
        }
        export::fill_dates(
            page,
            export,
            window.from,
            window.to,
            page_deadline,
            page_timeout,
        )
        .await?;
        let button = export::find_button(
            page,
            &export.name,
            &export.button,
            page_deadline,
            page_timeout,
        )
        .await?;
        let watch = download::DownloadWatch::subscribe(
            &live.browser.browser,
            page,
            &self.config.login.path,
            &export.name,
        )
        .await?;
        // The download deadline runs from the click (which itself may not outlast it).
        let deadline = tokio::time::Instant::now() + export.download_timeout;
        tokio::time::timeout_at(deadline, button.click())
            .await
            .map_err(|_| {
                error::browser_error(
                    &export.name,
                    "clicking the Export button",
                    format!(
                        "the page did not answer within {}s",
                        export.download_timeout.as_secs()
                    ),
                )
            })?
            .map_err(|e| error::browser_error(&export.name, "clicking the Export button", e))?;
        let context = download::WaitContext {
            export: &export.name,
            button: &export.button.selector,
            url: &url,
            timeout: export.download_timeout,
            download_dir: live.browser.download_dir(),
        };
        let finished = watch
            .wait(&live.browser.browser, deadline, &context)
            .await?;
        let path = download::save(&finished, out_dir, &export.name)?;
        Ok(Downloaded {
            path,
            suggested_name: finished.suggested_name,
            bytes: finished.bytes,
            seconds: started.elapsed().as_secs_f64(),
        })
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
