//! The browser source with real Chromium against the simulated backend: one login for four
//! exports, every download mechanism captured byte for byte, the date formats, session expiry,
//! wrong credentials, per-export failures with screenshots, the fresh-session retry, the
//! individual mode, no process left behind, and the `export` command end to end.
//!
//! Browser tests run one at a time (a static semaphore): this machine has two cores.

#[path = "support/browser.rs"]
mod browser;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use exportsync::config::{BrowserMode, Config, FillMethod};
use exportsync::secrets::Secret;
use exportsync::sim::backend::{BackendOptions, BackendSim, DEMO_EMAIL, Faults};
use exportsync::source::{
    BackendCredentials, BrowserSession, DateWindow, ExportSource, SourceError, SourceEvent,
    SourceReport, procs,
};
use tokio::sync::Semaphore;

use browser::{assert_file_matches_simulator, assert_nothing_left, served_name};

static ONE_BROWSER_AT_A_TIME: Semaphore = Semaphore::const_new(1);

const SIM_CONFIG: &str = include_str!("../examples/sim.toml");

fn window() -> DateWindow {
    DateWindow {
        from: NaiveDate::from_ymd_opt(2024, 11, 20).unwrap(),
        to: NaiveDate::from_ymd_opt(2024, 11, 22).unwrap(),
    }
}

fn credentials(password: &str) -> BackendCredentials {
    BackendCredentials {
        email: DEMO_EMAIL.to_owned(),
        password: Secret::new(password.to_owned()),
    }
}

/// examples/sim.toml pointed at `sim`, with test-sized deadlines.
fn sim_config(sim: &BackendSim, download_timeout_secs: u64) -> Config {
    let text = SIM_CONFIG.replace(
        "download_timeout_secs = 20",
        &format!("download_timeout_secs = {download_timeout_secs}"),
    );
    let mut config =
        Config::from_str(&text, "examples/sim.toml").expect("examples/sim.toml is valid");
    config.backend.base_url = Some(sim.base_url());
    config
}

/// Everything a browser test needs: the simulator, a folder for downloads and a private root
/// for the browser's temporary directories (so its processes can be recognised).
struct Harness {
    sim: Arc<BackendSim>,
    work: tempfile::TempDir,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

impl Harness {
    async fn start(options: BackendOptions) -> Harness {
        let permit = ONE_BROWSER_AT_A_TIME
            .acquire()
            .await
            .expect("semaphore open");
        let sim = BackendSim::start(options).await.expect("simulator starts");
        let work = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(work.path().join("browser")).unwrap();
        Harness {
            sim: Arc::new(sim),
            work,
            _permit: permit,
        }
    }

    async fn stop(self) {
        let sim = Arc::try_unwrap(self.sim)
            .ok()
            .expect("no other owner of the simulator");
        sim.shutdown().await;
    }

    fn out(&self) -> PathBuf {
        self.work.path().join("out")
    }

    fn temp_root(&self) -> PathBuf {
        self.work.path().join("browser")
    }

    fn source(&self, config: &Config, password: &str) -> ExportSource {
        ExportSource::new(config, credentials(password))
            .unwrap()
            .with_temp_root(self.temp_root())
    }

    /// Runs the exports and then proves the browser left nothing behind.
    async fn run(&self, source: &ExportSource, config: &Config, names: &[&str]) -> SourceReport {
        let exports: Vec<_> = names
            .iter()
            .map(|n| config.exports.iter().find(|e| e.name == *n).unwrap())
            .collect();
        let report = source.export_all(window(), &exports, &self.out()).await;
        assert_nothing_left(&self.temp_root());
        report
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

const ALL: [&str; 4] = [
    "transactions",
    "point_transactions",
    "users",
    "coin_payments",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_four_exports_every_mechanism_exact_bytes_names_and_ranges() {
    let h = Harness::start(BackendOptions::default()).await;
    let config = sim_config(&h.sim, 20);
    let report = h
        .run(&h.source(&config, "demo-password"), &config, &ALL)
        .await;

    for outcome in &report.exports {
        let downloaded = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        assert_eq!(outcome.attempts, 1);
        assert!(outcome.screenshot.is_none());
        let name = served_name(&outcome.name, window(), 5);
        assert_eq!(downloaded.suggested_name, name);
        assert_eq!(downloaded.path, h.out().join(&name));
        assert_eq!(
            downloaded.bytes,
            std::fs::metadata(&downloaded.path).unwrap().len()
        );
        assert_file_matches_simulator(&downloaded.path, &outcome.name, window(), 5);
    }
    let mut expected: Vec<String> = ALL.iter().map(|n| served_name(n, window(), 5)).collect();
    expected.sort();
    assert_eq!(
        files_in(&h.out()),
        expected,
        "only the four files, no guid leftovers"
    );

    let stats = h.sim.stats();
    assert_eq!(
        (stats.login_attempts, stats.logins_ok),
        (1, 1),
        "one login for four exports"
    );
    assert_eq!(report.sessions.len(), 1);
    assert!(report.launch_seconds > 0.0 && report.login_seconds > 0.0);
    let requested: Vec<(&str, &str, &str)> = stats
        .exports
        .iter()
        .map(|r| (r.export.as_str(), r.start_raw.as_str(), r.end_raw.as_str()))
        .collect();
    assert_eq!(
        requested,
        [
            ("transactions", "20/11/2024", "22/11/2024"),
            ("point_transactions", "2024-11-20", "2024-11-22"),
            ("users", "2024-11-20", "2024-11-22"),
            ("coin_payments", "2024-11-20", "2024-11-22"),
        ],
        "DD/MM/YYYY and HTML5 inputs filled with exactly the window"
    );
    for r in &stats.exports {
        assert_eq!(
            (r.start, r.end, r.status),
            (Some(window().from), Some(window().to), 200)
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_logged_in_again_and_the_export_retried() {
    // Three authenticated requests per session: the session drops both between pages (the
    // next page lands on /login) and in the middle of an export (the download request does).
    let faults = Faults {
        expire_session_after: Some(3),
        ..Faults::default()
    };
    let h = Harness::start(BackendOptions {
        faults,
        ..BackendOptions::default()
    })
    .await;
    let config = sim_config(&h.sim, 20);
    let report = h
        .run(&h.source(&config, "demo-password"), &config, &ALL)
        .await;

    for outcome in &report.exports {
        let downloaded = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        assert_eq!(outcome.attempts, 1, "recovered in the same browser session");
        assert_file_matches_simulator(&downloaded.path, &outcome.name, window(), 5);
    }
    let stats = h.sim.stats();
    assert!(stats.sessions_expired >= 2, "{stats:?}");
    assert!(report.relogins >= 2, "{report:?}");
    assert_eq!(stats.logins_ok as u32, 1 + report.relogins);
    assert_eq!(stats.login_attempts, stats.logins_ok);
    assert_eq!(report.sessions.len(), 1, "no fresh browser needed");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_fails_at_once_with_a_screenshot_and_one_attempt() {
    let h = Harness::start(BackendOptions::default()).await;
    let config = sim_config(&h.sim, 20);
    let report = h
        .run(&h.source(&config, "not-the-password-xyz"), &config, &ALL)
        .await;

    let stats = h.sim.stats();
    assert_eq!(
        (stats.login_attempts, stats.logins_ok),
        (1, 0),
        "exactly one login attempt"
    );
    assert!(stats.exports.is_empty(), "no export attempted");
    assert_eq!(report.sessions.len(), 0);
    for outcome in &report.exports {
        let err = outcome.result.as_ref().unwrap_err();
        assert!(matches!(err, SourceError::LoginRejected { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.starts_with("login failed"), "{message}");
        assert!(
            message.contains("These credentials do not match our records."),
            "{message}"
        );
        assert!(
            !message.contains("not-the-password-xyz")
                && !format!("{outcome:?}").contains("not-the-password-xyz")
        );
        assert_eq!(outcome.attempts, 1, "not retried");
        let png = std::fs::read(outcome.screenshot.as_ref().expect("a screenshot")).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000,
            "a real PNG"
        );
        assert!(outcome.page_url.as_deref().unwrap().ends_with("/login"));
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_in_individual_mode_is_tried_once_not_once_per_export() {
    let h = Harness::start(BackendOptions::default()).await;
    let mut config = sim_config(&h.sim, 20);
    config.browser.mode = BrowserMode::Individual;
    let report = h
        .run(&h.source(&config, "not-the-password-xyz"), &config, &ALL)
        .await;
    let stats = h.sim.stats();
    assert_eq!(
        (stats.login_attempts, stats.logins_ok),
        (1, 0),
        "one login attempt for the whole run, not one per export"
    );
    assert_eq!(report.exports.len(), ALL.len());
    for outcome in &report.exports {
        let err = outcome.result.as_ref().unwrap_err();
        assert!(matches!(err, SourceError::LoginRejected { .. }), "{err:?}");
        assert_eq!(outcome.attempts, 1, "not retried");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_and_a_dead_button_fail_only_their_own_export() {
    // The 500 comes in the new tab of point_transactions' link; users' button does nothing.
    let faults = Faults {
        fail_export: Some("point_transactions".into()),
        dead_button: Some("users".into()),
        ..Faults::default()
    };
    let h = Harness::start(BackendOptions {
        faults,
        ..BackendOptions::default()
    })
    .await;
    let config = sim_config(&h.sim, 3);
    let report = h
        .run(&h.source(&config, "demo-password"), &config, &ALL)
        .await;

    let by_name = |n: &str| report.exports.iter().find(|o| o.name == n).unwrap();
    for ok in ["transactions", "coin_payments"] {
        let o = by_name(ok);
        assert!(o.result.is_ok(), "{ok}: {:?}", o.result);
        assert_eq!(o.attempts, 1);
    }
    let failed = by_name("point_transactions");
    match failed.result.as_ref().unwrap_err() {
        SourceError::ServerError { status, url, .. } => {
            assert_eq!(*status, 500);
            assert!(
                url.contains("/point_transaction/export?start=2024-11-20&end=2024-11-22"),
                "{url}"
            );
        }
        other => panic!("expected a server error, got {other:?}"),
    }
    assert_eq!(
        failed.attempts, 1,
        "a server error is not retried in a fresh browser"
    );
    let dead = by_name("users");
    assert!(
        matches!(
            dead.result.as_ref().unwrap_err(),
            SourceError::NoDownloadStarted { .. }
        ),
        "{:?}",
        dead.result
    );
    assert_eq!(
        dead.attempts, 2,
        "no download started: retried once in a fresh session"
    );
    for o in [failed, dead] {
        let png = std::fs::read(o.screenshot.as_ref().expect("a screenshot")).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(o.page_url.is_some());
    }
    assert!(
        failed
            .page_url
            .as_deref()
            .unwrap()
            .contains("/point_transaction/export"),
        "screenshot of the tab that shows the error"
    );
    assert_eq!(
        h.sim.stats().logins_ok,
        2,
        "the first session and the retry session"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_failure_is_retried_once_in_a_fresh_session() {
    // The transactions button is dead in the first session only; coin payments answer 500.
    let faults = Faults {
        dead_button: Some("transactions".into()),
        fail_export: Some("coin_payments".into()),
        ..Faults::default()
    };
    let h = Harness::start(BackendOptions {
        faults,
        ..BackendOptions::default()
    })
    .await;
    let config = sim_config(&h.sim, 3);
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    let sim = h.sim.clone();
    // The observer runs before the retry session starts: the button works from then on.
    let source = h
        .source(&config, "demo-password")
        .with_observer(move |event| {
            if let SourceEvent::AttemptFinished {
                export,
                attempt: 1,
                error: Some(_),
            } = event
                && export == "transactions"
            {
                sim.set_faults(Faults {
                    fail_export: Some("coin_payments".into()),
                    ..Faults::default()
                });
            }
            seen.lock().unwrap().push(format!("{event:?}"));
        });
    let report = h.run(&source, &config, &ALL).await;
    drop(source);

    let by_name = |n: &str| report.exports.iter().find(|o| o.name == n).unwrap();
    let retried = by_name("transactions");
    assert!(
        retried.result.is_ok(),
        "{:?} / events {:?}",
        retried.result,
        events.lock().unwrap()
    );
    assert_eq!(retried.attempts, 2);
    assert!(
        retried.screenshot.is_none(),
        "a success carries no screenshot"
    );
    assert_file_matches_simulator(
        &retried.result.as_ref().unwrap().path,
        "transactions",
        window(),
        5,
    );
    let coin = by_name("coin_payments");
    assert!(
        matches!(
            coin.result,
            Err(SourceError::ServerError { status: 500, .. })
        ),
        "{:?}",
        coin.result
    );
    assert_eq!(coin.attempts, 1);
    assert!(coin.screenshot.is_some());
    assert!(
        coin.page_url
            .as_deref()
            .unwrap()
            .contains("/koin_pay/export"),
        "{:?}",
        coin.page_url
    );
    for ok in ["point_transactions", "users"] {
        assert!(by_name(ok).result.is_ok() && by_name(ok).attempts == 1);
    }
    assert_eq!(report.sessions.len(), 2);
    assert_eq!(
        report.sessions[1].exports,
        ["transactions"],
        "only the failed export is retried"
    );
    assert_eq!(h.sim.stats().logins_ok, 2);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn individual_mode_uses_one_session_per_export_and_typing_fills_text_dates() {
    let h = Harness::start(BackendOptions::default()).await;
    let mut config = sim_config(&h.sim, 20);
    config.browser.mode = BrowserMode::Individual;
    let transactions = config
        .exports
        .iter_mut()
        .find(|e| e.name == "transactions")
        .unwrap();
    transactions.fill = FillMethod::Type;
    let report = h
        .run(
            &h.source(&config, "demo-password"),
            &config,
            &["transactions", "coin_payments"],
        )
        .await;
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(report.sessions.len(), 2);
    assert_eq!(report.sessions[0].exports, ["transactions"]);
    assert_eq!(report.sessions[1].exports, ["coin_payments"]);
    let stats = h.sim.stats();
    assert_eq!(stats.logins_ok, 2);
    let typed = &stats.exports[0];
    assert_eq!(
        (typed.start_raw.as_str(), typed.end_raw.as_str()),
        ("20/11/2024", "22/11/2024")
    );
    h.stop().await;
}

fn write_secrets(dir: &Path, password: &str) -> PathBuf {
    let path = dir.join("secrets.json");
    let doc = serde_json::json!({ "backend": { "email": DEMO_EMAIL, "password": password } });
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

async fn run_cli(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .kill_on_drop(true)
        .output()
        .await
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_export_command_leaves_no_browser_and_no_temporary_files() {
    let h = Harness::start(BackendOptions {
        faults: Faults {
            slow_export: Some(("transactions".into(), std::time::Duration::from_secs(60))),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await;
    let secrets = write_secrets(h.work.path(), "demo-password");
    let out = h.out();
    let base = h.sim.base_url();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .args([
            "export",
            "--config",
            "examples/sim.toml",
            "--backend-url",
            &base,
        ])
        .args(["--secrets-file", secrets.to_str().unwrap()])
        .args([
            "--from",
            "2024-11-20",
            "--to",
            "2024-11-20",
            "--only",
            "transactions",
        ])
        .args(["--out", out.to_str().unwrap()])
        .env("TMPDIR", h.temp_root())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary runs");

    // Wait until the (slow) download has been requested: the browser is then mid-export.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while h.sim.stats().exports.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the export never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id().unwrap() as i32, libc::SIGINT);
    }
    let output = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the command stops soon after Ctrl-C")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: stopped"), "{stderr}");
    assert_nothing_left(&h.temp_root());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_command_downloads_and_reports_json() {
    let h = Harness::start(BackendOptions::default()).await;
    let secrets = write_secrets(h.work.path(), "demo-password");
    let out = h.out();
    let base = h.sim.base_url();
    let output = run_cli(&[
        "export",
        "--config",
        "examples/sim.toml",
        "--backend-url",
        &base,
        "--secrets-file",
        secrets.to_str().unwrap(),
        "--from",
        "2024-11-20",
        "--to",
        "2024-11-22",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ])
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("demo-password"), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let exports = json["exports"].as_array().unwrap();
    assert_eq!(exports.len(), 4);
    for (e, name) in exports.iter().zip(ALL) {
        assert_eq!(e["name"], name);
        assert_eq!(e["status"], "ok");
        assert_eq!(e["attempts"], 1);
        assert!(e["error"].is_null());
        let file = PathBuf::from(e["file"].as_str().unwrap());
        assert_eq!(file, out.join(served_name(name, window(), 5)));
        assert_eq!(
            e["bytes"].as_u64().unwrap(),
            std::fs::metadata(&file).unwrap().len()
        );
        assert!(e["seconds"].as_f64().unwrap() > 0.0);
        assert_file_matches_simulator(&file, name, window(), 5);
    }
    assert!(json["launch_seconds"].as_f64().unwrap() > 0.0);
    assert!(json["login_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(h.sim.stats().logins_ok, 1);

    // A failure: wrong password, one export; the exit status says so and the line is readable.
    let bad = write_secrets(&h.work.path().join("out"), "wrong-password-123");
    let output = run_cli(&[
        "export",
        "--config",
        "examples/sim.toml",
        "--backend-url",
        &base,
        "--secrets-file",
        bad.to_str().unwrap(),
        "--from",
        "2024-11-20",
        "--to",
        "2024-11-20",
        "--only",
        "users",
        "--out",
        out.to_str().unwrap(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("users") && stdout.contains("FAILED") && stdout.contains("login failed"),
        "{stdout}"
    );
    assert!(!stdout.contains("wrong-password-123"));
    assert!(out.join("users.failure.png").exists());

    // Unknown --only names are refused before any browser starts.
    let output = run_cli(&[
        "export",
        "--config",
        "examples/sim.toml",
        "--secrets-file",
        secrets.to_str().unwrap(),
        "--only",
        "nope",
        "--out",
        out.to_str().unwrap(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("export \"nope\"")
            && stderr
                .contains("known exports: transactions, point_transactions, users, coin_payments"),
        "{stderr}"
    );
    assert_eq!(h.sim.stats().login_attempts, 2);
    assert_nothing_left(&h.temp_root());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_that_times_out_leaves_no_helper_process_and_no_directory() {
    // A "Chromium" that never opens its DevTools socket but has started a helper that carries
    // the session's directories on its command line, as Chromium's zygote and crashpad do.
    let h = Harness::start(BackendOptions::default()).await;
    let fake = h.work.path().join("fake-chromium");
    std::fs::write(
        &fake,
        "#!/bin/sh\nsh -c 'while :; do sleep 1; done' helper \"$@\" &\nexec sleep 60\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).unwrap();
    let mut config = sim_config(&h.sim, 20).browser;
    config.chromium_path = Some(fake);
    config.launch_timeout = std::time::Duration::from_secs(1);
    let result = BrowserSession::launch(&config, Some(&h.temp_root())).await;
    assert!(
        matches!(result, Err(SourceError::Launch { .. })),
        "{:?}",
        result.err()
    );
    assert_nothing_left(&h.temp_root());
    h.stop().await;
}

/// Serves one page on 127.0.0.1 whose script, once loaded, never returns: the renderer stops
/// answering DevTools requests.
async fn serve_hanging_page() -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hang", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let body = "<!doctype html><html><body><p>busy</p><script>\
                    addEventListener('load', () => setTimeout(() => { for (;;) {} }, 50));\
                    </script></body></html>";
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_stops_answering_fails_at_the_page_deadline() {
    // Every DevTools request to a busy renderer hangs until chromiumoxide's own 30 s request
    // timeout; the configured page deadline (2 s here) must bound the wait instead.
    let h = Harness::start(BackendOptions::default()).await;
    let (url, server) = serve_hanging_page().await;
    let mut config = sim_config(&h.sim, 3);
    config.defaults.page_timeout = std::time::Duration::from_secs(2);
    config.exports.retain(|e| e.name == "users");
    config.exports[0].page = Some(url);
    let marks = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = marks.clone();
    let source = h
        .source(&config, "demo-password")
        .with_observer(move |event| {
            let at = std::time::Instant::now();
            match event {
                SourceEvent::SessionOpened { .. } => seen.lock().unwrap().push(("open", at)),
                SourceEvent::AttemptFinished { .. } => seen.lock().unwrap().push(("done", at)),
            }
        });
    let report = h.run(&source, &config, &["users"]).await;
    server.abort();
    let outcome = &report.exports[0];
    assert!(
        matches!(
            outcome.result,
            Err(SourceError::ElementMissing { waited, .. }) if waited.as_secs() == 2
        ),
        "{:?}",
        outcome.result
    );
    let message = outcome.result.as_ref().unwrap_err().to_string();
    assert!(
        message.ends_with(
            "check the selector in the configuration (the page did not answer a diagnosis)"
        ),
        "{message}"
    );
    let marks = marks.lock().unwrap().clone();
    assert_eq!(marks[0].0, "open");
    assert_eq!(marks[1].0, "done");
    let first_attempt = marks[1].1 - marks[0].1;
    // The page deadline (2 s) plus the screenshot's own limit (at most 15 s on a dead page).
    assert!(
        first_attempt < std::time::Duration::from_secs(22),
        "the first attempt took {first_attempt:?}"
    );
    h.stop().await;
}

#[tokio::test]
async fn the_export_command_refuses_a_range_that_ends_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = write_secrets(dir.path(), "demo-password");
    let out = dir.path().join("out");
    let common = [
        "export",
        "--config",
        "examples/sim.toml",
        "--secrets-file",
        secrets.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let output =
        run_cli(&[&common[..], &["--from", "2024-11-22", "--to", "2024-11-20"]].concat()).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--from 2024-11-22 is after --to 2024-11-20"),
        "{stderr}"
    );
    // Without --to, the end is today: the message must not blame a --to nobody gave.
    let output = run_cli(&[&common[..], &["--from", "2999-01-01"]].concat()).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--from 2999-01-01 is after today (")
            && stderr.contains("Asia/Jakarta")
            && !stderr.contains("--to"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is created for a refused range");
}

#[tokio::test]
async fn the_export_command_checks_a_base_url_from_the_secrets_file() {
    // The shipped config names its base URL; this one leaves it to the secrets file.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exports.toml");
    std::fs::write(
        &config,
        SIM_CONFIG.replace("base_url = \"http://127.0.0.1:8080\"", ""),
    )
    .unwrap();
    let secrets = dir.path().join("secrets.json");
    let doc = serde_json::json!({ "backend": {
        "base_url": "backend.example.com", "email": DEMO_EMAIL, "password": "pw-123" } });
    std::fs::write(&secrets, doc.to_string()).unwrap();
    let out = dir.path().join("out");
    let output = run_cli(&[
        "export",
        "--config",
        config.to_str().unwrap(),
        "--secrets-file",
        secrets.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("secrets file {}", secrets.display()))
            && stderr.contains("\"backend.base_url\": \"backend.example.com\" is not an http")
            && !stderr.contains("pw-123"),
        "{stderr}"
    );
    assert!(!out.exists(), "no browser started, nothing created");
}

#[tokio::test]
async fn a_configured_chromium_that_does_not_exist_is_named_and_not_retried() {
    let config = Config::from_str(SIM_CONFIG, "examples/sim.toml").unwrap();
    let mut browser = config.browser.clone();
    browser.chromium_path = Some(PathBuf::from("/nonexistent/chromium"));
    let err = BrowserSession::launch(&browser, None)
        .await
        .err()
        .expect("no browser");
    assert!(
        matches!(err, SourceError::ChromiumNotFound { .. }) && !err.is_retryable(),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("[browser] chromium_path is /nonexistent/chromium"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_answered_419_or_401_logs_in_again_and_retries_once() {
    // The session is dropped at the export request itself, which Laravel then answers 419
    // "Page Expired" (a form POST, whose CSRF token died with the session) or 401 (a script's
    // request) instead of redirecting to the login page.
    let h = Harness::start(BackendOptions {
        faults: Faults {
            expire_session_after: Some(2),
            expire_at_most: Some(1),
            expired_status: Some(419),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await;
    let config = sim_config(&h.sim, 20);
    let report = h
        .run(
            &h.source(&config, "demo-password"),
            &config,
            &["transactions"],
        )
        .await;
    let outcome = &report.exports[0];
    let downloaded = outcome
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("419: {e}"));
    assert_eq!(outcome.attempts, 1, "recovered in the same browser session");
    assert_eq!(report.relogins, 1);
    assert_file_matches_simulator(&downloaded.path, "transactions", window(), 5);
    let stats = h.sim.stats();
    assert_eq!((stats.sessions_expired, stats.logins_ok), (1, 2));

    // users fetches its file from a script: the expired session answers 401.
    h.sim.set_faults(Faults {
        expire_session_after: Some(2),
        expire_at_most: Some(2),
        expired_status: Some(401),
        ..Faults::default()
    });
    let report = h
        .run(&h.source(&config, "demo-password"), &config, &["users"])
        .await;
    let outcome = &report.exports[0];
    let downloaded = outcome
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("401: {e}"));
    assert_eq!(outcome.attempts, 1, "recovered in the same browser session");
    assert_eq!(report.relogins, 1);
    assert_file_matches_simulator(&downloaded.path, "users", window(), 5);
    let stats = h.sim.stats();
    assert_eq!((stats.sessions_expired, stats.logins_ok), (2, 4));
    h.stop().await;
}

#[test]
fn closing_the_browser_never_blocks_the_async_thread() {
    // One thread for every task: anything that blocks it stops the ticker below.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let _permit = ONE_BROWSER_AT_A_TIME.acquire().await.unwrap();
        let work = tempfile::tempdir().unwrap();
        let root = work.path().join("browser");
        std::fs::create_dir_all(&root).unwrap();
        let config = Config::from_str(SIM_CONFIG, "examples/sim.toml").unwrap();
        let session = BrowserSession::launch(&config.browser, Some(&root))
            .await
            .expect("chromium launches");
        let session_dir = session.profile_dir().parent().unwrap().to_owned();
        // Helpers that name the session's directory keep appearing (started by a loop whose
        // own command line does not): closing kills them for its whole reaping limit.
        let mut respawner = std::process::Command::new("sh")
            .arg("-c")
            .arg("while :; do python3 -c 'import time; time.sleep(5)' \"$D\" & sleep 0.01; done")
            .env("D", &session_dir)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !procs::list().iter().any(|p| {
            p.cmdline.contains(session_dir.to_str().unwrap()) && p.name.starts_with("python")
        }) {
            assert!(Instant::now() < deadline, "no helper started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let longest_gap = Arc::new(std::sync::Mutex::new(Duration::ZERO));
        let gap = longest_gap.clone();
        let ticker = tokio::spawn(async move {
            loop {
                let before = Instant::now();
                tokio::time::sleep(Duration::from_millis(10)).await;
                let waited = before.elapsed();
                let mut longest = gap.lock().unwrap();
                *longest = (*longest).max(waited);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let closing = Instant::now();
        session.close().await;
        let took = closing.elapsed();
        // Let the ticker see the end of a gap that closing may have caused.
        tokio::time::sleep(Duration::from_millis(50)).await;
        ticker.abort();

        // SAFETY: kill(2) and waitpid(2) on our own child.
        unsafe {
            libc::kill(respawner.id() as i32, libc::SIGKILL);
        }
        let _ = respawner.wait();
        let me = std::process::id();
        for p in procs::list() {
            if p.cmdline.contains(session_dir.to_str().unwrap()) {
                // SAFETY: kill(2) on a helper this test started.
                unsafe {
                    libc::kill(p.pid as i32, libc::SIGKILL);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        for p in procs::list() {
            if p.ppid == me && p.state == 'Z' && p.name.starts_with("python") {
                let mut status = 0;
                // SAFETY: waitpid on a zombie child of ours (adopted as subreaper).
                unsafe {
                    libc::waitpid(p.pid as i32, &mut status, libc::WNOHANG);
                }
            }
        }

        let longest = *longest_gap.lock().unwrap();
        assert!(
            took >= Duration::from_millis(300),
            "the reaping was kept busy (took {took:?})"
        );
        // A blocking close stalls the thread for the whole close (gap ~= took); scheduler
        // noise on a loaded machine stays well below three quarters of it.
        assert!(
            longest * 4 < took * 3,
            "the async thread was blocked for {longest:?} while closing took {took:?}"
        );
        assert!(!session_dir.exists(), "the session directory is deleted");
    });
}

/// The selectors a diagnosed [`SourceError::ElementMissing`] offers, best first.
fn offered_selectors(message: &str) -> Vec<String> {
    let Some((_, nearest)) = message.split_once("; nearest: ") else {
        return Vec::new();
    };
    nearest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// One export of examples/sim.toml with a short page deadline (the missing element is waited
/// for that long, twice: the failure is retried in a fresh session).
fn short_page_config(sim: &BackendSim, export: &str) -> Config {
    let mut config = sim_config(sim, 20);
    config.defaults.page_timeout = Duration::from_secs(3);
    config.exports.retain(|e| e.name == export);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_button_is_diagnosed_with_a_selector_that_finds_it() {
    let h = Harness::start(BackendOptions {
        faults: Faults {
            rename_button: Some(("users".into(), "Unduh Excel".into())),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await;
    let mut config = short_page_config(&h.sim, "users");
    let report = h
        .run(&h.source(&config, "demo-password"), &config, &["users"])
        .await;
    let outcome = &report.exports[0];
    let error = outcome.result.as_ref().unwrap_err();
    assert!(
        matches!(
            error,
            SourceError::ElementMissing {
                what: "Export button",
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.chars().count() <= 600, "{message}");
    assert!(
        message.contains(
            "check the selector in the configuration. The page is \"User Front | ATK Admin\" \
             (not the login page); nearest: "
        ),
        "{message}"
    );
    let offered = offered_selectors(&message);
    assert!(
        message.contains(&format!("`{}` \"Unduh Excel\"", offered[0])),
        "the renamed button comes first: {message}"
    );
    assert!(
        outcome.screenshot.is_some(),
        "the diagnosis goes with the screenshot"
    );

    // The offered selector is real: configured, it finds the button and the export works.
    config.exports[0].button.selector = offered[0].clone();
    let report = h
        .run(&h.source(&config, "demo-password"), &config, &["users"])
        .await;
    let downloaded = report.exports[0]
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("with `{}`: {e}", offered[0]));
    assert_file_matches_simulator(&downloaded.path, "users", window(), 5);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamed_date_inputs_are_diagnosed_with_date_like_candidates() {
    let h = Harness::start(BackendOptions {
        faults: Faults {
            rename_date_inputs: Some("coin_payments".into()),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await;
    let mut config = short_page_config(&h.sim, "coin_payments");
    let report = h
        .run(
            &h.source(&config, "demo-password"),
            &config,
            &["coin_payments"],
        )
        .await;
    let error = report.exports[0].result.as_ref().unwrap_err();
    assert!(
        matches!(
            error,
            SourceError::ElementMissing {
                what: "start-date input",
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("The page is \"Koin Pay | ATK Admin\" (not the login page); nearest: "),
        "{message}"
    );
    let offered = offered_selectors(&message);
    assert_eq!(
        offered.len(),
        2,
        "the two date inputs, nothing else: {message}"
    );
    assert!(
        message.contains(&format!("`{}` \"Dari\"", offered[0]))
            && message.contains(&format!("`{}` \"Sampai\"", offered[1])),
        "the start of the range first, each with its label: {message}"
    );

    // Both offered selectors are real: configured, the dates are filled and the export works.
    config.exports[0].start_selector = offered[0].clone();
    config.exports[0].end_selector = offered[1].clone();
    let report = h
        .run(
            &h.source(&config, "demo-password"),
            &config,
            &["coin_payments"],
        )
        .await;
    let downloaded = report.exports[0]
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("with {offered:?}: {e}"));
    assert_file_matches_simulator(&downloaded.path, "coin_payments", window(), 5);
    let last = h.sim.stats().exports.last().cloned().unwrap();
    assert_eq!(
        (last.start, last.end),
        (Some(window().from), Some(window().to))
    );
    h.stop().await;
}

/// Serves on 127.0.0.1 a page (`/report`) whose script sends the browser to `/login` a moment
/// after it loaded, as a panel does whose script checks the session; `/login` is a login form.
async fn serve_page_that_moves_to_a_login_form() -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let body = if request.starts_with("GET /login") {
                    "<!doctype html><html><head><title>Masuk</title></head><body><form>\
                     <input name=\"email\" type=\"email\"><input name=\"password\" \
                     type=\"password\" value=\"must-never-be-quoted\">\
                     <button type=\"submit\">Masuk</button></form></body></html>"
                } else {
                    "<!doctype html><html><head><title>Laporan</title></head><body>\
                     <p>Memuat...</p><script>setTimeout(() => { location.href = '/login'; }, 300);\
                     </script></body></html>"
                };
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (base, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_turned_into_the_login_page_is_reported_as_such() {
    let h = Harness::start(BackendOptions::default()).await;
    let (base, server) = serve_page_that_moves_to_a_login_form().await;
    let mut config = short_page_config(&h.sim, "users");
    config.exports[0].page = Some(format!("{base}/report"));
    let report = h
        .run(&h.source(&config, "demo-password"), &config, &["users"])
        .await;
    server.abort();
    let error = report.exports[0].result.as_ref().unwrap_err();
    assert!(
        matches!(error, SourceError::ElementMissing { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.ends_with(&format!(
            "did not appear on {base}/login within 3s; the page is the login page \"Masuk\": \
             the session was lost or the login did not stick, so the selectors are not the problem"
        )),
        "{message}"
    );
    assert!(!message.contains("nearest"), "{message}");
    assert!(!message.contains("must-never-be-quoted"), "{message}");
    h.stop().await;
}
