//! Capturing a download through CDP: with `Browser.setDownloadBehavior(allowAndName)` (set at
//! launch) Chromium saves `<download dir>/<guid>` and reports `Browser.downloadWillBegin` and
//! `Browser.downloadProgress` on the BROWSER's event stream (also for downloads started in a
//! new tab). Subscribe before clicking, then wait for begin and completion with a deadline.
//!
//! Several exports may wait at once, each in its own tab: a download belongs to the tab whose
//! frame started it, or to a tab that tab opened (a `target=_blank` Export link, whose tab
//! Chromium closes as soon as the download begins), never to whichever tab waits first.

use std::path::{Path, PathBuf};

use chromiumoxide::cdp::browser_protocol::browser::{
    CancelDownloadParams, DownloadProgressState, EventDownloadProgress, EventDownloadWillBegin,
};
use chromiumoxide::cdp::browser_protocol::network::{EventResponseReceived, ResourceType};
use chromiumoxide::cdp::browser_protocol::page::FrameId;
use chromiumoxide::cdp::browser_protocol::target::{EventTargetCreated, TargetId};
use chromiumoxide::listeners::EventStream;
use chromiumoxide::{Browser, Page};
use futures::{FutureExt, StreamExt};
use serde::Deserialize;
use tokio::time::Instant;

use super::error::{SourceError, browser_error};

/// A download that finished, still under its guid name in the download directory.
#[derive(Debug)]
pub struct Finished {
    pub guid: String,
    pub suggested_name: String,
    pub file: PathBuf,
    pub bytes: u64,
}

/// What the page did instead of downloading.
#[derive(Debug, PartialEq, Eq)]
pub enum PageTurn {
    /// A document or script request failed with this status.
    ServerError { status: i64, url: String },
    /// The page was sent to the login form.
    LoggedOut { url: String },
}

impl PageTurn {
    fn into_error(self, export: &str) -> SourceError {
        match self {
            PageTurn::ServerError { status, url } => SourceError::ServerError {
                export: export.to_owned(),
                status,
                url,
            },
            PageTurn::LoggedOut { url } => SourceError::SessionExpired {
                export: export.to_owned(),
                url,
            },
        }
    }
}

/// How often tabs opened by the Export button are looked at while no download has begun.
const TAB_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(150);

/// Event subscriptions made before the click that should start a download.
pub struct DownloadWatch {
    will_begin: EventStream<EventDownloadWillBegin>,
    progress: EventStream<EventDownloadProgress>,
    responses: EventStream<EventResponseReceived>,
    tabs: TabFamily,
    login_path: String,
    main: Page,
}

/// The export's tab and every tab opened from it since the watch began, learnt from
/// `Target.targetCreated` (the opener of each new tab).
struct TabFamily {
    created: EventStream<EventTargetCreated>,
    members: Vec<TargetId>,
}

impl TabFamily {
    /// Takes in every tab-creation event already delivered. Chromium sends a tab's creation
    /// before any download from it, and chromiumoxide hands each event to every listener before
    /// the next: once a download's begin event is here, its tab's creation is queued too.
    fn absorb_created(&mut self) {
        while let Some(Some(ev)) = self.created.next().now_or_never() {
            if let Some(opener) = &ev.target_info.opener_id
                && self.members.contains(opener)
                && !self.members.contains(&ev.target_info.target_id)
            {
                self.members.push(ev.target_info.target_id.clone());
            }
        }
    }

    /// Whether a download started by `frame` belongs to this export: the main frame of one of
    /// its tabs (a tab's main frame id is its target id), or a frame inside its main tab.
    async fn owns(&mut self, frame: &FrameId, main: &Page) -> bool {
        self.absorb_created();
        if self.members.iter().any(|t| t.as_ref() == frame.as_ref()) {
            return true;
        }
        let frames = tokio::time::timeout(TAB_CHECK_INTERVAL * 5, main.frames()).await;
        matches!(frames, Ok(Ok(frames)) if frames.contains(frame))
    }
}

impl DownloadWatch {
    pub async fn subscribe(
        browser: &Browser,
        page: &Page,
        login_path: &str,
        export: &str,
    ) -> Result<Self, SourceError> {
        let err = |e| browser_error(export, "subscribing to download events", e);
        Ok(DownloadWatch {
            will_begin: browser
                .event_listener::<EventDownloadWillBegin>()
                .await
                .map_err(err)?,
            progress: browser
                .event_listener::<EventDownloadProgress>()
                .await
                .map_err(err)?,
            responses: page
                .event_listener::<EventResponseReceived>()
                .await
                .map_err(err)?,
            tabs: TabFamily {
                created: browser
                    .event_listener::<EventTargetCreated>()
                    .await
                    .map_err(err)?,
                members: vec![page.target_id().clone()],
            },
            login_path: login_path.trim_end_matches('/').to_owned(),
            main: page.clone(),
        })
    }

    /// Classifies a response of the export page: a failed document or script request, or a
    /// sign that the session expired (a redirect to the login form, or the 419 "Page Expired"
    /// and 401 "Unauthorized" that Laravel answers instead of a redirect to a form POST or a
    /// script's request).
    fn page_turn(&self, ev: &EventResponseReceived) -> Option<PageTurn> {
        let status = ev.response.status;
        let url = ev.response.url.clone();
        match ev.r#type {
            ResourceType::Document | ResourceType::Xhr | ResourceType::Fetch
                if session_expired_status(status) =>
            {
                Some(PageTurn::LoggedOut { url })
            }
            ResourceType::Document if status >= 400 => Some(PageTurn::ServerError { status, url }),
            ResourceType::Xhr | ResourceType::Fetch if status >= 500 => {
                Some(PageTurn::ServerError { status, url })
            }
            ResourceType::Document if is_login_url(&url, &self.login_path) => {
                Some(PageTurn::LoggedOut { url })
            }
            _ => None,
        }
    }

    /// A tab opened by the Export button (a `target=_blank` link) that shows an error page or
    /// the login form. Its network events cannot be subscribed before it exists, so its
    /// navigation entry is read instead.
    async fn extra_tab_turn(&self, browser: &Browser) -> Option<PageTurn> {
        #[derive(Deserialize)]
        struct Nav {
            status: i64,
            url: String,
        }
        for id in super::dom::opened_by(browser, &self.main).await {
            let Ok(Ok(page)) =
                tokio::time::timeout(TAB_CHECK_INTERVAL * 5, browser.get_page(id)).await
            else {
                continue;
            };
            let probe = "(() => { const n = performance.getEntriesByType('navigation')[0]; \
                         return { status: n ? (n.responseStatus || 0) : 0, url: location.href }; })()";
            let Ok(Some(nav)) = tokio::time::timeout(
                TAB_CHECK_INTERVAL * 5,
                super::dom::eval::<Nav>(&page, probe),
            )
            .await
            else {
                continue;
            };
            if session_expired_status(nav.status) {
                return Some(PageTurn::LoggedOut { url: nav.url });
            }
            if nav.status >= 400 {
                return Some(PageTurn::ServerError {
                    status: nav.status,
                    url: nav.url,
                });
            }
            if is_login_url(&nav.url, &self.login_path) {
                return Some(PageTurn::LoggedOut { url: nav.url });
            }
        }
        None
    }

    /// Waits until a download of this export's tabs begins and completes, or `deadline`.
    /// Downloads of other tabs are ignored.
    pub async fn wait(
        mut self,
        browser: &Browser,
        deadline: Instant,
        ctx: &WaitContext<'_>,
    ) -> Result<Finished, SourceError> {
        let mut responses_open = true;
        let mut tabs = tokio::time::interval(TAB_CHECK_INTERVAL);
        let begun = loop {
            tokio::select! {
                ev = self.will_begin.next() => match ev {
                    Some(ev) => {
                        if self.tabs.owns(&ev.frame_id, &self.main).await {
                            break ev;
                        }
                        tracing::debug!(export = ctx.export, guid = %ev.guid, file = %ev.suggested_filename, "a download of another tab");
                    }
                    None => return Err(browser_error(ctx.export, "waiting for the download", "the browser connection closed")),
                },
                ev = self.responses.next(), if responses_open => {
                    responses_open = ev.is_some();
                    if let Some(turn) = ev.as_deref().and_then(|ev| self.page_turn(ev)) {
                        return Err(turn.into_error(ctx.export));
                    }
                }
                _ = tabs.tick() => {
                    if let Some(turn) = self.extra_tab_turn(browser).await {
                        return Err(turn.into_error(ctx.export));
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(SourceError::NoDownloadStarted {
                        export: ctx.export.to_owned(),
                        button: ctx.button.to_owned(),
                        url: ctx.url.to_owned(),
                        waited: ctx.timeout,
                    });
                }
            }
        };
        tracing::debug!(export = ctx.export, guid = %begun.guid, file = %begun.suggested_filename, "download started");
        let mut received = 0u64;
        loop {
            tokio::select! {
                ev = self.progress.next() => match ev {
                    Some(ev) if ev.guid == begun.guid => {
                        received = ev.received_bytes.max(0.0) as u64;
                        match ev.state {
                            DownloadProgressState::Completed => {
                                let file = ctx.download_dir.join(&begun.guid);
                                let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(received);
                                return Ok(Finished { guid: begun.guid.clone(), suggested_name: begun.suggested_filename.clone(), file, bytes });
                            }
                            DownloadProgressState::Canceled => {
                                return Err(SourceError::DownloadCanceled { export: ctx.export.to_owned(), file: begun.suggested_filename.clone() });
                            }
                            _ => {}
                        }
                    }
                    Some(_) => {}
                    None => return Err(browser_error(ctx.export, "downloading", "the browser connection closed")),
                },
                _ = tokio::time::sleep_until(deadline) => {
                    let cancel = browser.execute(CancelDownloadParams::new(begun.guid.clone()));
                    let _ = tokio::time::timeout(TAB_CHECK_INTERVAL * 5, cancel).await;
                    return Err(SourceError::DownloadTimeout {
                        export: ctx.export.to_owned(),
                        file: begun.suggested_filename.clone(),
                        received,
                        waited: ctx.timeout,
                    });
                }
            }
        }
    }
}

/// What error messages need to know about the export being waited for.
pub struct WaitContext<'a> {
    pub export: &'a str,
    pub button: &'a str,
    pub url: &'a str,
    pub timeout: std::time::Duration,
    pub download_dir: &'a Path,
}

/// 419 ("Page Expired": Laravel's answer to a form POST whose session and CSRF token are gone)
/// and 401 (its answer to a script's request without a session) mean the session expired.
fn session_expired_status(status: i64) -> bool {
    status == 419 || status == 401
}

fn is_login_url(url: &str, login_path: &str) -> bool {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    let path = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    !login_path.is_empty() && path == login_path
}

/// A file name safe on every platform, keeping the extension: no path separators, no control
/// or reserved characters, not empty, at most 150 bytes.
pub fn sanitize_file_name(suggested: &str, fallback: &str) -> String {
    let cleaned: String = suggested
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.').trim();
    let name = if trimmed.is_empty() {
        fallback
    } else {
        trimmed
    };
    if name.len() <= 150 {
        return name.to_owned();
    }
    let ext_at = name
        .rfind('.')
        .filter(|&i| i > 0 && name.len() - i <= 10)
        .unwrap_or(name.len());
    let (stem, ext) = name.split_at(ext_at);
    let mut end = 150 - ext.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", &stem[..end])
}

/// A PDF whose name has no extension (sent inline without a `filename`, which Chromium names
/// after the URL's last segment, e.g. `export`), or only the `.download` of a nameless file,
/// is named `.pdf`. Other names are kept.
fn with_pdf_extension(name: String, file: &Path) -> String {
    let stem = match name.strip_suffix(".download") {
        Some(stem) => stem,
        None if name.rfind('.').is_some_and(|i| i > 0) => return name,
        None => name.as_str(),
    };
    let mut head = [0u8; 5];
    let is_pdf = std::fs::File::open(file)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && &head == b"%PDF-";
    if is_pdf { format!("{stem}.pdf") } else { name }
}

/// Moves a finished download to `out_dir` under its sanitised suggested name, never
/// overwriting: `name (1).ext`, `name (2).ext`, ... when taken. Safe when several exports save
/// at once: a name is claimed by creating it exclusively before the file is moved onto it.
pub fn save(finished: &Finished, out_dir: &Path, export: &str) -> Result<PathBuf, SourceError> {
    let name = sanitize_file_name(&finished.suggested_name, &format!("{export}.download"));
    let name = with_pdf_extension(name, &finished.file);
    let save_err = |path: &Path, e: std::io::Error| SourceError::Save {
        export: export.to_owned(),
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(out_dir).map_err(|e| save_err(out_dir, e))?;
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name.as_str(), ""),
    };
    let mut target = out_dir.join(&name);
    let mut n = 1;
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
        {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                target = out_dir.join(format!("{stem} ({n}){ext}"));
                n += 1;
            }
            Err(e) => return Err(save_err(&target, e)),
        }
    }
    if std::fs::rename(&finished.file, &target).is_err() {
        // Another file system: copy onto the claimed name, then remove the original.
        if let Err(e) = std::fs::copy(&finished.file, &target) {
            let _ = std::fs::remove_file(&target);
            return Err(save_err(&target, e));
        }
        let _ = std::fs::remove_file(&finished.file);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_extension_and_strips_separators() {
        assert_eq!(
            sanitize_file_name("../../etc/passwd", "x"),
            "_.._etc_passwd"
        );
        assert_eq!(
            sanitize_file_name("Laporan: 01/11.xlsx", "x"),
            "Laporan_ 01_11.xlsx"
        );
        assert_eq!(
            sanitize_file_name("  ..  ", "users.download"),
            "users.download"
        );
        let long = format!("{}.xlsx", "a".repeat(300));
        let s = sanitize_file_name(&long, "x");
        assert!(s.len() <= 150 && s.ends_with(".xlsx"), "{s}");
    }

    #[test]
    fn a_pdf_without_an_extension_is_named_pdf() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("guid-pdf");
        std::fs::write(&pdf, b"%PDF-1.7\n...").unwrap();
        let other = dir.path().join("guid-other");
        std::fs::write(&other, b"PK\x03\x04").unwrap();
        assert_eq!(with_pdf_extension("export".into(), &pdf), "export.pdf");
        assert_eq!(
            with_pdf_extension("users.download".into(), &pdf),
            "users.pdf"
        );
        assert_eq!(
            with_pdf_extension("users.download".into(), &other),
            "users.download"
        );
        assert_eq!(with_pdf_extension("export".into(), &other), "export");
        assert_eq!(
            with_pdf_extension("laporan.PDF".into(), &pdf),
            "laporan.PDF"
        );
        let finished = Finished {
            guid: "guid-pdf".into(),
            suggested_name: "".into(),
            file: pdf,
            bytes: 12,
        };
        let saved = save(&finished, &dir.path().join("out"), "coin_payments").unwrap();
        assert_eq!(saved.file_name().unwrap(), "coin_payments.pdf");
    }

    #[test]
    fn saves_made_at_once_under_one_name_never_overwrite_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let downloads = dir.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let out = dir.path().join("out");
        let finished: Vec<Finished> = (0..8)
            .map(|i| {
                let file = downloads.join(format!("guid-{i}"));
                std::fs::write(&file, format!("file {i}")).unwrap();
                Finished {
                    guid: format!("guid-{i}"),
                    suggested_name: "export.xlsx".into(),
                    file,
                    bytes: 6,
                }
            })
            .collect();
        let saved: Vec<PathBuf> = std::thread::scope(|scope| {
            let handles: Vec<_> = finished
                .iter()
                .map(|f| scope.spawn(|| save(f, &out, "users").unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, path) in saved.iter().enumerate() {
            assert_eq!(std::fs::read_to_string(path).unwrap(), format!("file {i}"));
        }
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut want = vec!["export.xlsx".to_owned()];
        want.extend((1..8).map(|n| format!("export ({n}).xlsx")));
        want.sort();
        assert_eq!(names, want);
    }

    #[test]
    fn expiry_statuses_are_419_and_401_only() {
        assert!(session_expired_status(419) && session_expired_status(401));
        assert!(!session_expired_status(403) && !session_expired_status(500));
    }

    #[test]
    fn login_url_matches_path_only() {
        assert!(is_login_url("http://127.0.0.1:8080/login", "/login"));
        assert!(is_login_url("https://x.com/login/?next=/a", "/login"));
        assert!(!is_login_url("https://x.com/login-help", "/login"));
        assert!(!is_login_url("https://x.com/user-front", "/login"));
    }
}
