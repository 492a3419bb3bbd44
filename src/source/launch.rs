//! Starting and stopping Chromium: the flags, a per-session temporary directory (profile,
//! downloads, HOME, a short TMPDIR: [`super::profile`]) deleted afterwards, the CDP handler task, and reaping so that no Chromium or
//! crashpad process outlives the session.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig as CdpConfig};
use chromiumoxide::cdp::browser_protocol::browser::{
    SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use futures::StreamExt;
use tokio::task::JoinHandle;

use super::error::SourceError;
use super::profile::SessionDirs;
use crate::config::BrowserConfig;

/// Flags for every launch, WITHOUT leading dashes (chromiumoxide 0.9.1 adds them; with them the
/// flag is silently ignored). The first ones stop Chromium from reaching out to Google's
/// services; the last three keep tabs that are not in front running at full speed (timers,
/// renderer priority), as Puppeteer does, since parallel exports work in several tabs at once.
const FLAGS: [&str; 11] = [
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "no-first-run",
    "disable-quic",
    "disable-gpu",
    "no-default-browser-check",
    "disable-crash-reporter",
    "disable-background-timer-throttling",
    "disable-renderer-backgrounding",
    "disable-backgrounding-occluded-windows",
];

const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// A running Chromium with its own temporary directory. Call [`BrowserSession::close`]; if it
/// is dropped instead, the process and its helpers are killed synchronously.
pub struct BrowserSession {
    pub browser: Browser,
    handler: Option<JoinHandle<()>>,
    dirs: Option<SessionDirs>,
    download_dir: PathBuf,
    profile_dir: PathBuf,
    chromium_tmp: PathBuf,
    pid: Option<u32>,
    pub launch_time: Duration,
}

/// Where the Chromium binary is: the configuration, `CHROMIUM_PATH`, else `PATH`.
pub fn chromium_path(config: &BrowserConfig) -> Result<PathBuf, SourceError> {
    let given = |path: PathBuf, from: &str| {
        if path.is_file() {
            Ok(path)
        } else {
            Err(SourceError::ChromiumNotFound {
                tried: format!("{from} is {}, which is not a file", path.display()),
            })
        }
    };
    if let Some(path) = &config.chromium_path {
        return given(path.clone(), "[browser] chromium_path");
    }
    if let Some(path) = std::env::var_os("CHROMIUM_PATH").filter(|p| !p.is_empty()) {
        return given(PathBuf::from(path), "CHROMIUM_PATH");
    }
    let names = ["chromium", "chromium-browser", "google-chrome", "chrome"];
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for name in names {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(SourceError::ChromiumNotFound {
        tried: format!(
            "[browser] chromium_path unset, CHROMIUM_PATH unset, none of {} on PATH",
            names.join(", ")
        ),
    })
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl BrowserSession {
    /// Launches Chromium with a fresh profile and downloads directed to a private folder,
    /// created under `temp_root` (the system's temporary directory when `None`).
    pub async fn launch(
        config: &BrowserConfig,
        temp_root: Option<&Path>,
    ) -> Result<BrowserSession, SourceError> {
        let started = Instant::now();
        let path = chromium_path(config)?;
        become_subreaper();
        let launch_err = |message: String| SourceError::Launch {
            path: path.display().to_string(),
            message,
        };
        let dirs = SessionDirs::create(temp_root).map_err(launch_err)?;
        let mut builder = CdpConfig::builder()
            .chrome_executable(&path)
            .user_data_dir(&dirs.profile)
            .env("HOME", dirs.home.display().to_string())
            // Chromium's own temporary files (`org.chromium.Chromium.*`, its singleton socket)
            // go to the session's own short TMPDIR, deleted with the session: a browser that
            // had to be killed leaves nothing in the shared /tmp (a warm Lambda container keeps
            // /tmp between runs).
            .env("TMPDIR", dirs.tmp.display().to_string())
            .launch_timeout(config.launch_timeout)
            .request_timeout(Duration::from_secs(30))
            .window_size(1280, 900)
            .viewport(None)
            .args(FLAGS);
        builder = if config.headless {
            builder.new_headless_mode()
        } else {
            builder.with_head()
        };
        if running_as_root() {
            builder = builder.no_sandbox();
        }
        // In Lambda (or without /dev/shm): its flags, and HOME/XDG dirs in the session dir.
        builder = super::lambda_env::apply_if_sandboxed(builder, dirs.root.path());
        let cdp_config = builder.build().map_err(launch_err)?;
        let (mut browser, mut handler) = match Browser::launch(cdp_config).await {
            Ok(launched) => launched,
            Err(e) => {
                // chromiumoxide kills the browser process it started, but not the helpers that
                // process had already spawned (zygote, crashpad): they would outlive the run.
                let reaped = tokio::task::spawn_blocking(move || remove_session_dir(dirs)).await;
                if let Err(join) = reaped {
                    tracing::warn!(error = %join, "reaping a failed launch failed");
                }
                return Err(launch_err(e.to_string()));
            }
        };
        let pid = browser.get_mut_child().and_then(|c| c.inner.id());
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if event.is_err() {
                    break;
                }
            }
        });
        let mut session = BrowserSession {
            browser,
            handler: Some(handler),
            download_dir: dirs.downloads.clone(),
            profile_dir: dirs.profile.clone(),
            chromium_tmp: dirs.tmp.clone(),
            dirs: Some(dirs),
            pid,
            launch_time: Duration::ZERO,
        };
        let behavior = SetDownloadBehaviorParams::builder()
            .behavior(SetDownloadBehaviorBehavior::AllowAndName)
            .download_path(session.download_dir.display().to_string())
            .events_enabled(true)
            .build()
            .map_err(launch_err)?;
        if let Err(e) = session.browser.execute(behavior).await {
            session.close().await;
            return Err(launch_err(format!("cannot enable download events: {e}")));
        }
        session.launch_time = started.elapsed();
        tracing::debug!(pid = ?session.pid, seconds = session.launch_time.as_secs_f64(), "chromium launched");
        Ok(session)
    }

    /// Where downloads land, as `<guid>` files.
    pub fn download_dir(&self) -> &Path {
        &self.download_dir
    }

    /// The profile directory; unique to this session, so it also identifies its processes.
    pub fn profile_dir(&self) -> &Path {
        &self.profile_dir
    }

    /// Chromium's TMPDIR: short whatever the system's temporary directory is.
    pub fn chromium_tmp_dir(&self) -> &Path {
        &self.chromium_tmp
    }

    /// Opens a new tab in a window of its own. Every tab that works at the same time as another
    /// needs its own window: in a window's background tab Chromium never acknowledges the
    /// mouse events of a click, and a screenshot of it never comes.
    pub async fn new_window_tab(&self) -> Result<Page, chromiumoxide::error::CdpError> {
        let params = CreateTargetParams::builder()
            .url("about:blank")
            .new_window(true)
            .build()
            .map_err(chromiumoxide::error::CdpError::msg)?;
        self.browser.new_page(params).await
    }

    /// Closes the browser, waits for it, kills and reaps any helper left, deletes the directory.
    /// Nothing here blocks the async worker thread: the reaping, which polls `/proc` for up to
    /// [`REAP_LIMIT`], runs on tokio's blocking pool.
    pub async fn close(mut self) {
        let closed = tokio::time::timeout(CLOSE_GRACE, self.browser.close()).await;
        let exited = match closed {
            Ok(Ok(_)) => tokio::time::timeout(CLOSE_GRACE, self.browser.wait())
                .await
                .is_ok(),
            _ => false,
        };
        if !exited {
            tracing::warn!(pid = ?self.pid, "chromium did not close in time; killing it");
            let _ = self.browser.kill().await;
        }
        if let Some(mut handler) = self.handler.take()
            && tokio::time::timeout(CLOSE_GRACE, &mut handler)
                .await
                .is_err()
        {
            tracing::warn!("CDP handler did not stop after close");
            handler.abort();
        }
        if let Some(dirs) = self.dirs.take() {
            let reaped = tokio::task::spawn_blocking(move || remove_session_dir(dirs)).await;
            if let Err(e) = reaped {
                tracing::warn!(error = %e, "reaping the browser's processes failed");
            }
        }
    }
}

/// Kills and reaps what is left of the session's processes, then deletes its directories.
/// Blocking: polls `/proc` for up to [`REAP_LIMIT`].
fn remove_session_dir(dirs: SessionDirs) {
    reap_leftovers(dirs.root.path());
    dirs.remove();
}

impl Drop for BrowserSession {
    /// A session dropped without [`BrowserSession::close`] (its run was cancelled): the browser
    /// is killed at once, and the reaping, which polls `/proc` for up to [`REAP_LIMIT`], goes to
    /// tokio's blocking pool so that it never stalls an async worker. Outside a runtime it runs
    /// here. Should the runtime be shutting down and drop the task unrun, the directories are
    /// still deleted (the task owns them) and the processes were already sent SIGKILL.
    fn drop(&mut self) {
        let Some(dirs) = self.dirs.take() else {
            return;
        };
        if let Some(handler) = self.handler.take() {
            handler.abort();
        }
        if let Some(child) = self.browser.get_mut_child() {
            let _ = child.inner.start_kill();
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                drop(runtime.spawn_blocking(move || remove_session_dir(dirs)));
            }
            Err(_) => remove_session_dir(dirs),
        }
    }
}

/// Makes this process adopt orphaned descendants (Linux), so that Chromium helpers that outlive
/// the browser become our children and can be reaped instead of lingering as zombies.
fn become_subreaper() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Kills every process whose command line mentions `session_dir` (the browser, its zygotes,
/// renderers and `chrome_crashpad_handler`, whose database lives under the session's HOME) and
/// reaps the Chromium zombies adopted through [`become_subreaper`]. Helpers die and are
/// re-parented asynchronously (and a dying process has no command line before it is a zombie),
/// so this repeats until a pass finds nothing (at most [`REAP_LIMIT`]). Live browsers of other
/// sessions are left alone.
pub fn reap_leftovers(session_dir: &Path) {
    let needle = session_dir.display().to_string();
    let me = std::process::id();
    let deadline = Instant::now() + REAP_LIMIT;
    loop {
        let mut found = false;
        for proc in super::procs::list() {
            let ours = proc.state != 'Z' && proc.cmdline.contains(&needle);
            let adopted_zombie = proc.state == 'Z' && proc.ppid == me && proc.is_chromium();
            // A process in the middle of exiting has already lost its command line but is not
            // a zombie yet: wait for it to become one, so it can be reaped in a later pass.
            let exiting = proc.state != 'Z' && proc.cmdline.is_empty() && proc.is_chromium();
            if ours {
                tracing::debug!(pid = proc.pid, name = %proc.name, "killing a leftover chromium process");
                // SAFETY: kill(2) with a pid read from /proc; a stale pid only yields ESRCH.
                unsafe {
                    libc::kill(proc.pid as i32, libc::SIGKILL);
                }
            }
            if adopted_zombie {
                tracing::debug!(pid = proc.pid, name = %proc.name, "reaping a chromium zombie");
                let mut status = 0;
                // SAFETY: waitpid on a zombie child of ours returns at once; a pid already
                // reaped elsewhere only yields ECHILD.
                unsafe {
                    libc::waitpid(proc.pid as i32, &mut status, libc::WNOHANG);
                }
            }
            found |= ours || adopted_zombie || exiting;
        }
        if !found {
            return;
        }
        if Instant::now() >= deadline {
            tracing::warn!(dir = %needle, "chromium processes still running after the reaping deadline");
            return;
        }
        std::thread::sleep(REAP_POLL);
    }
}

/// How long [`reap_leftovers`] keeps killing and reaping.
pub const REAP_LIMIT: Duration = Duration::from_secs(3);
const REAP_POLL: Duration = Duration::from_millis(5);
