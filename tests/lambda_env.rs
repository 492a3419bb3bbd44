//! Chromium launched as inside Lambda (`AWS_LAMBDA_FUNCTION_NAME` set): the real browser gets the
//! sandbox flags (no zygote, no sandbox, no /dev/shm use) and its HOME, XDG and crash-dump
//! directories inside the session directory, renders a page and a screenshot without a zygote,
//! and leaves no process and no file behind. One test in its own binary: it sets a process-wide
//! environment variable before any thread starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use exportsync::config::{BrowserConfig, BrowserMode};
use exportsync::source::{BrowserSession, procs};

const CHROMIUM: &str = "/usr/lib/chromium/chromium";

fn environ(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).expect("the browser's environment");
    raw.split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn processes_mentioning(dir: &Path) -> Vec<procs::Proc> {
    let needle = dir.display().to_string();
    procs::list()
        .into_iter()
        .filter(|p| p.cmdline.contains(&needle))
        .collect()
}

#[test]
fn chromium_in_lambda_gets_the_sandbox_flags_and_leaves_nothing_behind() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's chromium (README, Installing Chromium)"
    );
    // SAFETY: no other thread exists yet (the runtime is built below, and this binary holds
    // only this test).
    unsafe { std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", "exportsync-test") };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let root = tempfile::tempdir().expect("temp dir");
        let config = BrowserConfig {
            chromium_path: Some(PathBuf::from(CHROMIUM)),
            headless: true,
            launch_timeout: Duration::from_secs(30),
            mode: BrowserMode::SingleSession,
            parallel: 1,
        };
        let session = BrowserSession::launch(&config, Some(root.path()))
            .await
            .expect("Chromium launches with the Lambda flags");
        let session_dir = session
            .profile_dir()
            .parent()
            .expect("the profile is inside the session directory")
            .to_owned();

        let ours = processes_mentioning(&session_dir);
        let browser = ours
            .iter()
            .find(|p| !p.cmdline.contains("--type="))
            .unwrap_or_else(|| panic!("no browser process among {ours:#?}"));
        for flag in [
            "--no-zygote",
            "--no-sandbox",
            "--disable-setuid-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
        ] {
            assert!(
                browser.cmdline.split(' ').any(|a| a == flag),
                "{flag} missing from {}",
                browser.cmdline
            );
        }
        assert!(!browser.cmdline.contains("----"), "{}", browser.cmdline);
        let crash = format!("--crash-dumps-dir={}", session_dir.join("crash").display());
        assert!(browser.cmdline.contains(&crash), "{}", browser.cmdline);
        assert!(
            !ours.iter().any(|p| p.cmdline.contains("--type=zygote")),
            "a zygote runs: {ours:#?}"
        );

        let env = environ(browser.pid);
        let home = session_dir.join("home");
        for (name, path) in [
            ("HOME", home.clone()),
            ("XDG_CONFIG_HOME", home.join(".config")),
            ("XDG_CACHE_HOME", home.join(".cache")),
        ] {
            let expected = format!("{name}={}", path.display());
            assert!(env.contains(&expected), "{expected} not in {env:?}");
        }

        // Renderers start without a zygote: a page renders, and so does a screenshot.
        let page = session
            .browser
            .new_page("data:text/html,<h1 id=t>Selamat pagi</h1>")
            .await
            .expect("a page opens");
        let text = page
            .find_element("#t")
            .await
            .expect("the heading")
            .inner_text()
            .await
            .expect("its text");
        assert_eq!(text.as_deref(), Some("Selamat pagi"));
        let png = page
            .screenshot(chromiumoxide::page::ScreenshotParams::builder().build())
            .await
            .expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");

        session.close().await;
        let left = processes_mentioning(&session_dir);
        assert!(left.is_empty(), "processes outlived the session: {left:#?}");
        assert!(
            !session_dir.exists(),
            "{} was not deleted",
            session_dir.display()
        );
        let remaining: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert!(
            remaining.is_empty(),
            "files left in the temp root: {remaining:?}"
        );
    });
}
