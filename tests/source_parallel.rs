//! Parallel exports (`[browser] parallel = 3`) with real Chromium against the simulated
//! backend: four exports with different server delays land with the right bytes and exact
//! ranges and overlap in time; files with one suggested name land as the right exports; a
//! failing export, a dead button and a crashed tab disturb only their own export; a session
//! expiring while several tabs work is logged in again exactly once; the run's deadline; and no
//! process or temporary directory is left behind. Also the validation of `parallel`.
//!
//! Browser tests run one at a time (a static semaphore): this machine has two cores.

#[path = "support/browser.rs"]
mod browser;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use exportsync::config::{Config, ExportConfig};
use exportsync::secrets::Secret;
use exportsync::sim::backend::{BackendOptions, BackendSim, DEMO_EMAIL, Faults};
use exportsync::source::{
    BackendCredentials, DateWindow, ExportSource, SourceError, SourceEvent, SourceReport,
};
use tokio::sync::Semaphore;

use browser::{assert_file_matches_simulator, assert_nothing_left, served_name};

static ONE_BROWSER_AT_A_TIME: Semaphore = Semaphore::const_new(1);

const SIM_CONFIG: &str = include_str!("../examples/sim.toml");

const ALL: [&str; 4] = [
    "transactions",
    "point_transactions",
    "users",
    "coin_payments",
];

fn window() -> DateWindow {
    DateWindow {
        from: NaiveDate::from_ymd_opt(2024, 11, 20).unwrap(),
        to: NaiveDate::from_ymd_opt(2024, 11, 22).unwrap(),
    }
}

fn delays(pairs: &[(&str, u64)]) -> BTreeMap<String, Duration> {
    pairs
        .iter()
        .map(|(name, ms)| (name.to_string(), Duration::from_millis(*ms)))
        .collect()
}

/// When each observed event happened.
type Marks = Arc<Mutex<Vec<(String, Instant)>>>;

struct Harness {
    sim: BackendSim,
    work: tempfile::TempDir,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

impl Harness {
    async fn start(faults: Faults) -> Harness {
        let permit = ONE_BROWSER_AT_A_TIME.acquire().await.unwrap();
        let sim = BackendSim::start(BackendOptions {
            faults,
            ..BackendOptions::default()
        })
        .await
        .unwrap();
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(work.path().join("browser")).unwrap();
        Harness {
            sim,
            work,
            _permit: permit,
        }
    }

    /// examples/sim.toml pointed at the simulator with `parallel` tabs.
    fn config(&self, parallel: usize, download_timeout_secs: u64) -> Config {
        let text = SIM_CONFIG.replace(
            "download_timeout_secs = 20",
            &format!("download_timeout_secs = {download_timeout_secs}"),
        );
        let mut config = Config::from_str(&text, "examples/sim.toml").unwrap();
        config.backend.base_url = Some(self.sim.base_url());
        config.browser.parallel = parallel;
        config
    }

    fn out(&self) -> PathBuf {
        self.work.path().join("out")
    }

    fn temp_root(&self) -> PathBuf {
        self.work.path().join("browser")
    }

    /// The source with an observer that records "opened" and "<export>#<attempt> ok|failed".
    fn source(&self, config: &Config) -> (ExportSource, Marks) {
        let marks: Marks = Arc::default();
        let seen = marks.clone();
        let source = ExportSource::new(
            config,
            BackendCredentials {
                email: DEMO_EMAIL.into(),
                password: Secret::new("demo-password".into()),
            },
        )
        .unwrap()
        .with_temp_root(self.temp_root())
        .with_observer(move |event| {
            let mark = match event {
                SourceEvent::SessionOpened { .. } => "opened".to_owned(),
                SourceEvent::AttemptFinished {
                    export,
                    attempt,
                    error,
                } => format!(
                    "{export}#{attempt} {}",
                    if error.is_none() { "ok" } else { "failed" }
                ),
            };
            let now = Instant::now();
            if let SourceEvent::AttemptFinished {
                error: Some(e),
                export,
                ..
            } = event
            {
                seen.lock()
                    .unwrap()
                    .push((format!("{export} error: {e}"), now));
            }
            seen.lock().unwrap().push((mark, now));
        });
        (source, marks)
    }

    async fn run(&self, source: &ExportSource, config: &Config, names: &[&str]) -> SourceReport {
        let exports: Vec<&ExportConfig> = names
            .iter()
            .map(|n| config.exports.iter().find(|e| e.name == *n).unwrap())
            .collect();
        let report = source.export_all(window(), &exports, &self.out()).await;
        assert_nothing_left(&self.temp_root());
        report
    }

    async fn stop(self) {
        self.sim.shutdown().await;
    }
}

fn at(marks: &Marks, mark: &str) -> Instant {
    marks
        .lock()
        .unwrap()
        .iter()
        .find(|(m, _)| m == mark)
        .unwrap_or_else(|| panic!("no {mark} in {:?}", marks.lock().unwrap()))
        .1
}

fn assert_exact_ranges(sim: &BackendSim) {
    for r in sim.stats().exports.iter().filter(|r| r.status == 200) {
        assert_eq!((r.start, r.end), (Some(window().from), Some(window().to)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_exports_with_different_delays_overlap_and_land_with_the_right_bytes() {
    let delays_ms = [
        ("transactions", 3000),
        ("point_transactions", 1000),
        ("users", 800),
        ("coin_payments", 600),
    ];
    let h = Harness::start(Faults {
        export_delay: delays(&delays_ms),
        ..Faults::default()
    })
    .await;
    let config = h.config(3, 20);
    let (source, marks) = h.source(&config);
    let report = h.run(&source, &config, &ALL).await;

    for outcome in &report.exports {
        let d = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        assert_eq!(outcome.attempts, 1);
        assert_eq!(
            d.path,
            h.out().join(served_name(&outcome.name, window(), 5))
        );
        assert_file_matches_simulator(&d.path, &outcome.name, window(), 5);
    }
    let stats = h.sim.stats();
    assert_eq!((stats.login_attempts, stats.logins_ok), (1, 1), "one login");
    assert_eq!(report.sessions.len(), 1);
    assert_eq!(report.sessions[0].tabs, 3);
    assert_eq!(stats.exports.len(), 4);
    assert_exact_ranges(&h.sim);
    // The tabs overlap: while the server held transactions' request for 3 s, the other two
    // tabs' requests arrived (one after another, none could have).
    let slow = stats
        .exports
        .iter()
        .find(|r| r.export == "transactions")
        .unwrap()
        .received;
    let during = stats
        .exports
        .iter()
        .filter(|r| r.export != "transactions")
        .filter(|r| r.received > slow && r.received < slow + Duration::from_millis(3000))
        .count();
    assert!(during >= 2, "{:?}", stats.exports);
    // The other tabs open once the first export waits on the server, so no renderer start-up
    // competes with the page the first export drives: its request comes first.
    assert!(
        stats
            .exports
            .iter()
            .all(|r| r.export == "transactions" || r.received > slow),
        "{:?}",
        stats.exports
    );
    // Files are taken as they come, not in the order the exports started.
    assert!(at(&marks, "users#1 ok") < at(&marks, "transactions#1 ok"));
    assert!(at(&marks, "opened") < at(&marks, "users#1 ok"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_with_the_same_suggested_name_land_as_the_right_exports() {
    // Every file is offered as export.xlsx, and three finish at about the same moment.
    let h = Harness::start(Faults {
        fixed_file_name: Some("export.xlsx".into()),
        export_delay: delays(&[
            ("transactions", 400),
            ("point_transactions", 400),
            ("users", 400),
            ("coin_payments", 0),
        ]),
        ..Faults::default()
    })
    .await;
    let config = h.config(3, 20);
    let (source, _) = h.source(&config);
    let report = h.run(&source, &config, &ALL).await;

    let mut paths = Vec::new();
    for outcome in &report.exports {
        let d = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        assert_eq!(d.suggested_name, "export.xlsx");
        assert_file_matches_simulator(&d.path, &outcome.name, window(), 5);
        paths.push(d.path.file_name().unwrap().to_str().unwrap().to_owned());
    }
    paths.sort();
    assert_eq!(
        paths,
        [
            "export (1).xlsx",
            "export (2).xlsx",
            "export (3).xlsx",
            "export.xlsx"
        ]
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_export_does_not_disturb_the_others() {
    // point_transactions answers 500 in the tab its link opens, while the others download.
    let h = Harness::start(Faults {
        fail_export: Some("point_transactions".into()),
        export_delay: delays(&[
            ("transactions", 800),
            ("users", 600),
            ("coin_payments", 300),
        ]),
        ..Faults::default()
    })
    .await;
    let config = h.config(3, 20);
    let (source, _) = h.source(&config);
    let report = h.run(&source, &config, &ALL).await;

    for outcome in &report.exports {
        if outcome.name == "point_transactions" {
            assert!(
                matches!(
                    outcome.result,
                    Err(SourceError::ServerError { status: 500, .. })
                ),
                "{:?}",
                outcome.result
            );
            assert_eq!(outcome.attempts, 1);
            let png = std::fs::read(outcome.screenshot.as_ref().unwrap()).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            let url = outcome.page_url.as_deref().unwrap();
            assert!(
                url.contains("/point_transaction/export?start=2024-11-20"),
                "the screenshot shows the tab of this export, not another: {url}"
            );
        } else {
            let d = outcome
                .result
                .as_ref()
                .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
            assert_eq!(outcome.attempts, 1);
            assert_file_matches_simulator(&d.path, &outcome.name, window(), 5);
        }
    }
    assert_eq!(h.sim.stats().logins_ok, 1, "no retry session for a 500");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_expiring_while_tabs_work_is_logged_in_again_exactly_once() {
    // Four authenticated requests, then the session is dropped (once): it runs out while the
    // three tabs' exports are under way, and every tab finds the login page.
    let h = Harness::start(Faults {
        expire_session_after: Some(4),
        expire_at_most: Some(1),
        export_delay: delays(&[
            ("transactions", 500),
            ("point_transactions", 500),
            ("users", 500),
        ]),
        ..Faults::default()
    })
    .await;
    let config = h.config(3, 20);
    let (source, marks) = h.source(&config);
    let report = h.run(&source, &config, &ALL).await;

    for outcome in &report.exports {
        let d = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        assert_eq!(
            outcome.attempts,
            1,
            "{}: same browser session; {:?}",
            outcome.name,
            marks.lock().unwrap()
        );
        assert_file_matches_simulator(&d.path, &outcome.name, window(), 5);
    }
    let stats = h.sim.stats();
    assert_eq!(stats.sessions_expired, 1);
    assert_eq!(report.relogins, 1, "one re-login for all tabs");
    assert_eq!((stats.login_attempts, stats.logins_ok), (2, 2));
    assert_eq!(report.sessions.len(), 1);
    assert_exact_ranges(&h.sim);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_button_in_one_tab_lets_the_others_finish_first_at_their_own_pace() {
    let h = Harness::start(Faults {
        dead_button: Some("users".into()),
        export_delay: delays(&[
            ("transactions", 300),
            ("point_transactions", 200),
            ("coin_payments", 100),
        ]),
        ..Faults::default()
    })
    .await;
    let config = h.config(3, 4);
    let (source, marks) = h.source(&config);
    let report = h.run(&source, &config, &ALL).await;

    let dead = report.exports.iter().find(|o| o.name == "users").unwrap();
    assert!(
        matches!(dead.result, Err(SourceError::NoDownloadStarted { .. })),
        "{:?}",
        dead.result
    );
    assert_eq!(dead.attempts, 2, "retried once in a fresh session");
    assert!(dead.page_url.as_deref().unwrap().contains("/user-front"));
    let dead_failed = at(&marks, "users#1 failed");
    let opened = at(&marks, "opened");
    for name in ["transactions", "point_transactions", "coin_payments"] {
        let o = report.exports.iter().find(|o| o.name == name).unwrap();
        let d = o.result.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(o.attempts, 1);
        assert_file_matches_simulator(&d.path, name, window(), 5);
        let done = at(&marks, &format!("{name}#1 ok"));
        assert!(
            done < dead_failed,
            "{name} finished before the dead button's deadline"
        );
        assert!(
            done - opened < Duration::from_secs(4),
            "{name} was not held up by the dead button: {:?}",
            done - opened
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_tab_fails_only_its_export_which_is_retried() {
    let h = Harness::start(Faults::default()).await;
    let mut config = h.config(2, 20);
    let mut crashing = config
        .exports
        .iter()
        .find(|e| e.name == "users")
        .unwrap()
        .clone();
    crashing.name = "crashing".into();
    crashing.page = Some("chrome://crash".into());
    config.exports.push(crashing);
    let (source, _) = h.source(&config);
    let names = [
        "crashing",
        "transactions",
        "point_transactions",
        "users",
        "coin_payments",
    ];
    let report = h.run(&source, &config, &names).await;

    let crashed = &report.exports[0];
    assert!(
        matches!(crashed.result, Err(SourceError::TabCrashed { .. })),
        "{:?}",
        crashed.result
    );
    assert_eq!(crashed.attempts, 2, "retried once in a fresh session");
    assert!(crashed.screenshot.is_none());
    for outcome in &report.exports[1..] {
        let d = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        assert_eq!(outcome.attempts, 1);
        assert_file_matches_simulator(&d.path, &outcome.name, window(), 5);
    }
    assert_eq!(report.sessions.len(), 2);
    assert_eq!(report.sessions[0].tabs, 2);
    assert_eq!(report.sessions[1].exports, ["crashing"]);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_starts_after_the_run_deadline_and_waits_end_at_it() {
    // Transactions' server takes 30 s: the 5 s deadline cuts its wait; coin payments, queued
    // behind it in the one tab, never starts; no retry session follows.
    let h = Harness::start(Faults {
        export_delay: delays(&[("transactions", 30_000)]),
        ..Faults::default()
    })
    .await;
    let config = h.config(1, 20);
    let started = tokio::time::Instant::now();
    let (source, _) = h.source(&config);
    let source = source.with_deadline(started + Duration::from_secs(5));
    let report = h
        .run(&source, &config, &["transactions", "coin_payments"])
        .await;
    match &report.exports[0].result {
        Err(SourceError::NoDownloadStarted { waited, .. }) => {
            assert!(*waited < Duration::from_secs(5), "clipped: {waited:?}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.exports[0].attempts, 1, "no retry after the deadline");
    assert_eq!(
        report.exports[1].result.as_ref().unwrap_err(),
        &SourceError::DeadlineReached {
            export: "coin_payments".into()
        }
    );
    assert_eq!(report.sessions.len(), 1);

    // A deadline already past: nothing is launched, nobody logs in.
    let logins = h.sim.stats().login_attempts;
    let (source, _) = h.source(&config);
    let source = source.with_deadline(tokio::time::Instant::now());
    let report = h.run(&source, &config, &ALL).await;
    assert!(report.sessions.is_empty());
    for o in &report.exports {
        assert!(
            matches!(o.result, Err(SourceError::DeadlineReached { .. })),
            "{:?}",
            o.result
        );
        assert!(!o.result.as_ref().unwrap_err().is_retryable());
    }
    assert_eq!(h.sim.stats().login_attempts, logins);
    h.stop().await;
}

#[test]
fn parallel_is_validated_with_the_field_named() {
    let with = |value: &str| {
        Config::from_str(
            &SIM_CONFIG.replace(
                "mode = \"single_session\"",
                &format!("mode = \"single_session\"\nparallel = {value}"),
            ),
            "exports.toml",
        )
    };
    assert_eq!(with("4").unwrap().browser.parallel, 4);
    assert_eq!(
        Config::from_str(SIM_CONFIG, "x").unwrap().browser.parallel,
        1,
        "default"
    );
    for bad in ["0", "9", "-1"] {
        let err = with(bad).expect_err("refused").to_string();
        assert!(
            err.contains("[browser]: field \"parallel\"")
                && err.contains(&format!("{bad} is not between 1 and 8")),
            "{err}"
        );
    }
    let err = with("\"4\"").expect_err("refused").to_string();
    assert!(err.contains("field \"parallel\""), "{err}");
}

#[tokio::test]
async fn the_export_command_refuses_parallel_out_of_range() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .args([
            "export",
            "--config",
            "examples/sim.toml",
            "--secrets-file",
            "nope.json",
            "--out",
            "/nonexistent/out",
            "--parallel",
            "9",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("--parallel") && stderr.contains("1..=8"),
        "{stderr}"
    );
}
