//! PDF exports captured with real Chromium from the simulated backend serving them as the real
//! backend does: an attachment from a `target=_blank` link (point transactions), inline in a tab
//! the button opens with `window.open` (users), inline in the same tab with `filename*` (coin
//! payments). Each lands as the very bytes served, under the server's file name, beside the
//! unchanged xlsx export; in one tab and in parallel tabs; with the session expiring behind the
//! new tab; and no process, tab or temporary directory is left behind.
//!
//! Browser tests run one at a time (a static semaphore): this machine has two cores.

#[path = "support/browser.rs"]
mod browser;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use exportsync::config::Config;
use exportsync::secrets::Secret;
use exportsync::sim::backend::{
    BackendOptions, BackendSim, DEMO_EMAIL, ExportFormats, Faults, served_file,
};
use exportsync::source::download::{DownloadWatch, WaitContext};
use exportsync::source::{
    BackendCredentials, BrowserSession, DateWindow, ExportSource, SourceReport, dom, export,
    session,
};
use tokio::sync::Semaphore;

use browser::{assert_file_matches_simulator, assert_nothing_left};

static ONE_BROWSER_AT_A_TIME: Semaphore = Semaphore::const_new(1);

const SIM_CONFIG: &str = include_str!("../examples/sim.toml");

const ALL: [&str; 4] = [
    "transactions",
    "point_transactions",
    "users",
    "coin_payments",
];

/// Enough rows for the PDFs of point transactions and users to take several pages.
const ROWS_PER_DAY: usize = 12;

fn window() -> DateWindow {
    DateWindow {
        from: NaiveDate::from_ymd_opt(2024, 11, 20).unwrap(),
        to: NaiveDate::from_ymd_opt(2024, 11, 22).unwrap(),
    }
}

fn credentials() -> BackendCredentials {
    BackendCredentials {
        email: DEMO_EMAIL.into(),
        password: Secret::new("demo-password".into()),
    }
}

struct Harness {
    sim: BackendSim,
    work: tempfile::TempDir,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

impl Harness {
    async fn start(faults: Faults) -> Harness {
        let permit = ONE_BROWSER_AT_A_TIME.acquire().await.unwrap();
        let sim = BackendSim::start(BackendOptions {
            rows_per_day: ROWS_PER_DAY,
            formats: ExportFormats::Pdf,
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

    fn config(&self, parallel: usize) -> Config {
        let mut config = Config::from_str(SIM_CONFIG, "examples/sim.toml").unwrap();
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

    /// Runs the exports, then proves the browser left nothing behind.
    async fn run(&self, config: &Config, names: &[&str]) -> SourceReport {
        let source = ExportSource::new(config, credentials())
            .unwrap()
            .with_temp_root(self.temp_root());
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

/// Every export landed as the served bytes under the served name, and nothing else landed.
fn assert_all_served(h: &Harness, report: &SourceReport, names: &[&str]) {
    let mut expected = Vec::new();
    for outcome in &report.exports {
        let downloaded = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        let served = served_file(
            &outcome.name,
            ExportFormats::Pdf,
            window().from,
            window().to,
            ROWS_PER_DAY,
        );
        assert_eq!(
            downloaded.suggested_name, served.file_name,
            "{}",
            outcome.name
        );
        assert_eq!(downloaded.path, h.out().join(&served.file_name));
        let bytes = std::fs::read(&downloaded.path).unwrap();
        assert_eq!(downloaded.bytes, bytes.len() as u64);
        assert!(
            bytes == served.bytes,
            "{}: the saved file is the served file",
            outcome.name
        );
        assert_file_matches_simulator(&downloaded.path, &outcome.name, window(), ROWS_PER_DAY);
        expected.push(served.file_name);
    }
    assert_eq!(report.exports.len(), names.len());
    expected.sort();
    assert_eq!(files_in(&h.out()), expected, "only the exports' files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pdf_delivery_lands_as_the_served_bytes_under_the_servers_name() {
    let h = Harness::start(Faults::default()).await;
    let config = h.config(1);
    let report = h.run(&config, &ALL).await;
    assert_all_served(&h, &report, &ALL);
    let names: Vec<String> = report
        .exports
        .iter()
        .map(|e| e.result.as_ref().unwrap().suggested_name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "transactions_2024-11-20_2024-11-22.xlsx",
            // attachment, from a target=_blank link
            "point_transactions_2024-11-20_2024-11-22.pdf",
            // inline in a window.open tab
            "users.pdf",
            // inline in the same tab: filename* wins over filename="coin_payments.pdf"
            "coin_payments_2024-11-20_2024-11-22.pdf",
        ]
    );
    for outcome in &report.exports {
        assert_eq!(outcome.attempts, 1, "{}", outcome.name);
        assert!(outcome.screenshot.is_none());
    }
    let stats = h.sim.stats();
    assert_eq!(stats.logins_ok, 1, "one login for the four exports");
    assert_eq!(stats.exports.len(), 4, "each export requested once");
    h.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdfs_downloaded_in_parallel_tabs_land_as_their_own_exports() {
    // Every file is offered under one name, so only the tab a download came from tells which
    // export it is; delays make the three PDFs finish at about the same moment.
    let h = Harness::start(Faults {
        fixed_file_name: Some("laporan.pdf".into()),
        export_delay: [("point_transactions", 600), ("users", 300)]
            .into_iter()
            .map(|(n, ms)| (n.to_owned(), std::time::Duration::from_millis(ms)))
            .collect(),
        ..Faults::default()
    })
    .await;
    let names = ["point_transactions", "users", "coin_payments"];
    let report = h.run(&h.config(3), &names).await;
    let mut saved = Vec::new();
    for outcome in &report.exports {
        let d = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", outcome.name));
        assert_eq!(d.suggested_name, "laporan.pdf");
        assert_file_matches_simulator(&d.path, &outcome.name, window(), ROWS_PER_DAY);
        saved.push(d.path.file_name().unwrap().to_string_lossy().into_owned());
    }
    saved.sort();
    assert_eq!(saved, ["laporan (1).pdf", "laporan (2).pdf", "laporan.pdf"]);
    assert_eq!(h.sim.stats().logins_ok, 1);
    h.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_expires_behind_the_new_tab_is_logged_in_again() {
    // Two authenticated requests per session: the users page, then its export request, which
    // the window.open tab sends and which lands on the login form.
    let h = Harness::start(Faults {
        expire_session_after: Some(1),
        expire_at_most: Some(1),
        ..Faults::default()
    })
    .await;
    let report = h.run(&h.config(1), &["users"]).await;
    assert_all_served(&h, &report, &["users"]);
    assert_eq!(report.relogins, 1);
    assert_eq!(
        report.exports[0].attempts, 1,
        "recovered in the same session"
    );
    h.sim.shutdown().await;
}

/// The page tabs of the browser (`Target.getTargets`) once it has as many as `wanted`, or
/// after 5 s: a closed tab leaves the list shortly after `Target.closeTarget` answers.
async fn page_tabs(browser: &chromiumoxide::Browser, wanted: usize) -> usize {
    use chromiumoxide::cdp::browser_protocol::target::GetTargetsParams;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let targets = browser.execute(GetTargetsParams::default()).await.unwrap();
        let pages = targets
            .result
            .target_infos
            .iter()
            .filter(|t| t.r#type == "page")
            .count();
        if pages == wanted || std::time::Instant::now() >= deadline {
            return pages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tab_an_export_opened_is_closed_after_its_download_and_no_tab_stays_open() {
    // The steps of one export in one tab, as the session runs them, with the tabs counted.
    let h = Harness::start(Faults::default()).await;
    let config = h.config(1);
    let base = h.sim.base_url();
    let session = BrowserSession::launch(&config.browser, Some(&h.temp_root()))
        .await
        .unwrap();
    let browser = &session.browser;
    let page = browser.new_page("about:blank").await.unwrap();
    session::log_in(&page, &config.login, &base, &credentials())
        .await
        .unwrap();
    dom::close_other_pages(browser, &[page.target_id()]).await;
    assert_eq!(page_tabs(browser, 1).await, 1);
    let timeout = std::time::Duration::from_secs(20);
    let mut left_by_chromium = Vec::new();
    for name in ["users", "point_transactions", "coin_payments"] {
        let export = config.exports.iter().find(|e| e.name == name).unwrap();
        let deadline = tokio::time::Instant::now() + timeout;
        let url = dom::page_url(&base, export.page.as_deref().unwrap());
        export::open(&page, name, &url, deadline, timeout)
            .await
            .unwrap();
        export::fill_dates(&page, export, window().from, window().to, deadline, timeout)
            .await
            .unwrap();
        let button = export::find_button(&page, name, &export.button, deadline, timeout)
            .await
            .unwrap();
        let watch = DownloadWatch::subscribe(browser, &page, &config.login.path, name)
            .await
            .unwrap();
        button.click().await.unwrap();
        let context = WaitContext {
            export: name,
            button: &export.button.selector,
            url: &url,
            timeout,
            download_dir: session.download_dir(),
        };
        let finished = watch.wait(browser, deadline, &context).await.unwrap();
        let served = served_file(
            name,
            ExportFormats::Pdf,
            window().from,
            window().to,
            ROWS_PER_DAY,
        );
        assert_eq!(finished.suggested_name, served.file_name);
        assert!(
            std::fs::read(&finished.file).unwrap() == served.bytes,
            "{name}"
        );
        left_by_chromium.push((name, dom::opened_by(browser, &page).await.len()));
        dom::close_opened_tabs(browser, &page).await;
        assert!(dom::opened_by(browser, &page).await.is_empty(), "{name}");
        assert_eq!(
            page_tabs(browser, 1).await,
            1,
            "{name}: only the export's own tab is open"
        );
    }
    eprintln!("tabs the Export button opened and Chromium left open: {left_by_chromium:?}");
    session.close().await;
    assert_nothing_left(&h.temp_root());
    h.sim.shutdown().await;
}
