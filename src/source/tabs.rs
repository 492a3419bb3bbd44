//! Running the exports of one logged-in browser session, up to `[browser] parallel` at once,
//! each in its own tab (a window of its own) of the one browser, sharing its one login. The
//! login tab starts at once and the other tabs join as they open; tabs take the next export
//! from a shared queue; an expired session is logged in again once for all tabs
//! ([`ReloginGate`]); a tab that crashes fails only its own export and is replaced by a new tab
//! for the exports still queued.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::target::EventTargetCrashed;
use chromiumoxide::listeners::EventStream;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::relogin::{Relogin, ReloginGate};
use super::{
    Attempt, BrowserSession, DateWindow, Downloaded, ExportSource, SCREENSHOT_LIMIT, SourceError,
    SourceEvent, diagnose, dom, download, error, export, session,
};
use crate::config::ExportConfig;

/// A tab that runs exports one after another, and the browser's crash reports about it.
pub(super) struct Tab {
    page: Page,
    crashes: EventStream<EventTargetCrashed>,
    /// Set once Chromium reported this tab's renderer crashed: the tab is then replaced.
    crashed: bool,
}

impl Tab {
    pub(super) async fn new(browser: &BrowserSession, page: Page) -> Result<Tab, SourceError> {
        let crashes = browser
            .browser
            .event_listener::<EventTargetCrashed>()
            .await
            .map_err(|e| error::browser_failure("session", "watching tabs for crashes", e))?;
        Ok(Tab {
            page,
            crashes,
            crashed: false,
        })
    }

    /// Takes in crash reports already delivered; true when this tab crashed.
    fn crashed_already(&mut self) -> bool {
        while let Some(Some(ev)) = self.crashes.next().now_or_never() {
            self.crashed |= &ev.target_id == self.page.target_id();
        }
        self.crashed
    }
}

/// Waits until Chromium reports that `page`'s renderer crashed; returns its termination status.
async fn crash_of(crashes: &mut EventStream<EventTargetCrashed>, page: &Page) -> String {
    while let Some(ev) = crashes.next().await {
        if &ev.target_id == page.target_id() {
            return format!("{} (code {})", ev.status, ev.error_code);
        }
    }
    // The browser connection closed: the export's own steps report that.
    std::future::pending().await
}

/// What the tabs of one session share.
pub(super) struct SessionWork<'a> {
    pub source: &'a ExportSource,
    pub browser: &'a BrowserSession,
    pub window: DateWindow,
    pub out_dir: &'a Path,
    pub round: u32,
    pub gate: ReloginGate,
    pub relogins: AtomicU32,
    /// Signalled when an export's button was clicked or its attempt ended: the browser is idle
    /// while the server works, and more tabs can open.
    pub waiting_on_server: Notify,
}

impl SessionWork<'_> {
    /// Runs the queued exports in the login tab at once, and in up to `wanted - 1` more tabs.
    /// Each new tab is a window of its own (Chromium acknowledges a click only in a window's
    /// front tab) and costs a renderer's start-up, which on Lambda's one or two vCPUs would slow
    /// the page the first export is driving; so the other tabs are opened once the first export
    /// waits on the server (its button clicked, or its attempt over), and join as they open. A
    /// tab that opens after the queue ran dry is closed unused. Returns each export's attempt
    /// and how many tabs worked.
    pub(super) async fn run_tabs(
        &self,
        first: Page,
        wanted: usize,
        queue: &Mutex<VecDeque<usize>>,
        exports: &[&ExportConfig],
    ) -> (Vec<(usize, Attempt)>, usize) {
        let queued = || !queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
        let mut running = FuturesUnordered::new();
        let mut tabs = 0;
        match Tab::new(self.browser, first).await {
            Ok(tab) => {
                running.push(self.work(tab, queue, exports));
                tabs += 1;
            }
            Err(e) => tracing::warn!(error = %e, "cannot use the login tab"),
        }
        let mut to_open = wanted.saturating_sub(1);
        let mut opening = FuturesUnordered::new();
        let first_waits = self.waiting_on_server.notified();
        tokio::pin!(first_waits);
        let mut done = Vec::with_capacity(exports.len());
        loop {
            if to_open > 0 && running.is_empty() {
                // No tab works (the login tab could not be used): nothing to wait for.
                opening.extend((0..to_open).map(|_| self.browser.new_window_tab()));
                to_open = 0;
            }
            tokio::select! {
                () = &mut first_waits, if to_open > 0 => {
                    if queued() {
                        opening.extend((0..to_open).map(|_| self.browser.new_window_tab()));
                    }
                    to_open = 0;
                }
                Some(opened) = opening.next() => match opened {
                    Ok(page) if queued() => match Tab::new(self.browser, page).await {
                        Ok(tab) => {
                            running.push(self.work(tab, queue, exports));
                            tabs += 1;
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot use a new tab"),
                    },
                    Ok(page) => dom::close_target(&self.browser.browser, page.target_id().clone()).await,
                    Err(e) => tracing::warn!(error = %e, tabs, "cannot open another tab; going on with fewer"),
                },
                Some(finished) = running.next() => {
                    done.extend(finished);
                    if running.is_empty() && !queued() {
                        // Tabs still opening would find nothing to do.
                        break;
                    }
                }
                else => break,
            }
        }
        (done, tabs)
    }

    /// Runs the queued exports (indexes into `exports`) in `tab` until the queue is empty.
    /// A crashed tab is closed and replaced; when no new tab can be opened this tab stops and
    /// leaves the rest of the queue to the others.
    pub(super) async fn work(
        &self,
        mut tab: Tab,
        queue: &Mutex<VecDeque<usize>>,
        exports: &[&ExportConfig],
    ) -> Vec<(usize, Attempt)> {
        let mut done = Vec::new();
        let pop = || queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        let queued = || !queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
        loop {
            if queued() && tab.crashed_already() {
                match self.replace(tab).await {
                    Some(fresh) => tab = fresh,
                    None => break,
                }
            }
            let Some(index) = pop() else {
                break;
            };
            let export = exports[index];
            let attempt = if self.source.deadline_reached() {
                Attempt::failed(
                    SourceError::DeadlineReached {
                        export: export.name.clone(),
                    },
                    None,
                    None,
                )
            } else {
                self.run_export(&mut tab, export).await
            };
            match &attempt.result {
                Ok(d) => {
                    tracing::info!(export = %export.name, attempt = self.round, file = %d.path.display(), bytes = d.bytes, seconds = d.seconds, "export downloaded")
                }
                Err(e) => {
                    tracing::warn!(export = %export.name, attempt = self.round, error = %e, "export failed")
                }
            }
            self.source.notify(SourceEvent::AttemptFinished {
                export: export.name.clone(),
                attempt: self.round,
                error: attempt.result.clone().err(),
            });
            done.push((index, attempt));
            self.waiting_on_server.notify_one();
        }
        done
    }

    /// Closes a crashed tab and opens a new one in its place.
    async fn replace(&self, tab: Tab) -> Option<Tab> {
        let crashed = tab.page.target_id().clone();
        dom::close_target(&self.browser.browser, crashed).await;
        let page = match self.browser.new_window_tab().await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a tab to replace a crashed one");
                return None;
            }
        };
        match Tab::new(self.browser, page).await {
            Ok(tab) => Some(tab),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the replacement tab");
                None
            }
        }
    }

    /// One export in `tab`; an expired session is logged in again (once for all tabs) and the
    /// export tried once more.
    async fn run_export(&self, tab: &mut Tab, export: &ExportConfig) -> Attempt {
        let seen = self.gate.generation().await;
        let mut result = self.attempt(tab, export).await;
        if let Err(SourceError::SessionExpired { url, .. }) = &result {
            tracing::info!(export = %export.name, url = %url, "session expired; logging in again");
            // A tab the Export link opened (now showing the login form) would otherwise stay in
            // front of this one, and a background tab never acknowledges a click.
            dom::close_opened_tabs(&self.browser.browser, &tab.page).await;
            let login = self.source.login_config();
            let source = self.source;
            let page = &tab.page;
            let relogin = self
                .gate
                .relogin(seen, || {
                    session::log_in(page, &login, &source.base_url, &source.credentials)
                })
                .await;
            result = match relogin {
                Ok(done) => {
                    if done == Relogin::LoggedIn {
                        self.relogins.fetch_add(1, Ordering::SeqCst);
                    } else {
                        tracing::info!(export = %export.name, "another tab logged in again; going on");
                    }
                    match self.attempt(tab, export).await {
                        Err(SourceError::SessionExpired { url, .. }) => {
                            Err(SourceError::SessionLost {
                                export: export.name.clone(),
                                url,
                            })
                        }
                        other => other,
                    }
                }
                Err(e) => Err(e),
            };
        }
        let browser = &self.browser.browser;
        let attempt = match result {
            Ok(downloaded) => Attempt {
                result: Ok(downloaded),
                screenshot: None,
                page_url: None,
            },
            // A crashed tab shows nothing and answers nothing: no screenshot to wait for.
            Err(e @ SourceError::TabCrashed { .. }) => Attempt::failed(e, None, None),
            Err(e) => {
                let page = dom::problem_page(browser, &tab.page).await;
                let screenshot = dom::screenshot(&page, SCREENSHOT_LIMIT).await;
                Attempt::failed(e, screenshot, Some(dom::url(&page).await))
            }
        };
        if !tab.crashed {
            dom::close_opened_tabs(browser, &tab.page).await;
        }
        attempt
    }

    /// [`Self::try_export`], cut short when the tab's renderer crashes.
    async fn attempt(
        &self,
        tab: &mut Tab,
        export: &ExportConfig,
    ) -> Result<Downloaded, SourceError> {
        let Tab { page, crashes, .. } = tab;
        let crash = tokio::select! {
            result = self.try_export(page, export) => return result,
            status = crash_of(crashes, page) => status,
        };
        tab.crashed = true;
        tracing::warn!(export = %export.name, status = %crash, "the export's tab crashed");
        Err(SourceError::TabCrashed {
            export: export.name.clone(),
            status: crash,
        })
    }

    async fn try_export(
        &self,
        page: &Page,
        export: &ExportConfig,
    ) -> Result<Downloaded, SourceError> {
        let started = std::time::Instant::now();
        let Some(page_path) = &export.page else {
            return Err(SourceError::NotRunnable {
                export: export.name.clone(),
                message: "it has no `page`".into(),
            });
        };
        let config = &self.source.config;
        let (page_deadline, page_timeout) =
            self.source.deadline_after(config.defaults.page_timeout);
        let url = dom::page_url(&self.source.base_url, page_path);
        export::open(page, &export.name, &url, page_deadline, page_timeout).await?;
        if session::on_login_page(page, &config.login, page_deadline).await {
            return Err(SourceError::SessionExpired {
                export: export.name.clone(),
                url: dom::url(page).await,
            });
        }
        let filled = export::fill_dates(
            page,
            export,
            self.window.from,
            self.window.to,
            page_deadline,
            page_timeout,
        )
        .await;
        self.diagnosed(page, export, filled).await?;
        let button = export::find_button(
            page,
            &export.name,
            &export.button,
            page_deadline,
            page_timeout,
        )
        .await;
        let button = self.diagnosed(page, export, button).await?;
        let browser = &self.browser.browser;
        let watch =
            download::DownloadWatch::subscribe(browser, page, &config.login.path, &export.name)
                .await?;
        // The download deadline runs from the click (which itself may not outlast it).
        let (deadline, download_timeout) = self.source.deadline_after(export.download_timeout);
        // Chromium acknowledges a click only in the front tab of a window; a tab opened by an
        // earlier Export link may still be in front of this one.
        let _ = tokio::time::timeout_at(deadline, page.bring_to_front()).await;
        tokio::time::timeout_at(deadline, button.click())
            .await
            .map_err(|_| {
                error::browser_error(
                    &export.name,
                    "clicking the Export button",
                    format!(
                        "the page did not answer within {}s",
                        download_timeout.as_secs()
                    ),
                )
            })?
            .map_err(|e| error::browser_error(&export.name, "clicking the Export button", e))?;
        self.waiting_on_server.notify_one();
        let context = download::WaitContext {
            export: &export.name,
            button: &export.button.selector,
            url: &url,
            timeout: download_timeout,
            download_dir: self.browser.download_dir(),
        };
        let finished = watch.wait(browser, deadline, &context).await?;
        let path = download::save(&finished, self.out_dir, &export.name)?;
        Ok(Downloaded {
            path,
            suggested_name: finished.suggested_name,
            bytes: finished.bytes,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

impl SessionWork<'_> {
    /// `result`, its missing element diagnosed: the page's wait used up the page deadline, so
    /// the diagnosis has its own short one (never past the run's deadline).
    async fn diagnosed<T>(
        &self,
        page: &Page,
        export: &ExportConfig,
        result: Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        match result {
            Err(e @ SourceError::ElementMissing { .. }) => {
                let (deadline, _) = self.source.deadline_after(diagnose::DIAGNOSIS_LIMIT);
                let login = &self.source.config.login;
                Err(diagnose::diagnose(page, e, export, login, deadline).await)
            }
            other => other,
        }
    }
}

/// The deadline `timeout` from now, clipped to the run's deadline, and the time it allows.
pub(super) fn clipped(
    run_deadline: Option<Instant>,
    timeout: std::time::Duration,
) -> (Instant, std::time::Duration) {
    let now = Instant::now();
    let deadline = match run_deadline {
        Some(run) => (now + timeout).min(run),
        None => now + timeout,
    };
    (deadline, deadline.saturating_duration_since(now))
}
