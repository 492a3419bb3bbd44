//! Selector diagnosis through a whole run: the simulated backend renders the users Export
//! button with another text and class, and the diagnosis (title, not the login page, the
//! nearest candidates with their selectors) reaches the run report's error, the Telegram
//! summary and the caption of the failure screenshot. Real Chromium, the Sheets emulator and
//! the Telegram fake, all on loopback.

use std::time::Duration;

use exportsync::config::Config;
use exportsync::report::{ExportStatus, RunStatus};
use exportsync::run::{self, Endpoints, RunRequest, Services};
use exportsync::sim::backend::{BackendOptions, BackendSim, Faults};
use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
use exportsync::sim::telegram::{TelegramSim, TelegramSimOptions};

const BOT_TOKEN: &str = "123456:diagnosis-test-token";

/// Telegram's HTML entities back to text.
fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_diagnosis_reaches_the_report_and_telegram_next_to_the_screenshot() {
    let backend = BackendSim::start(BackendOptions {
        faults: Faults {
            rename_button: Some(("users".into(), "Unduh Excel".into())),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut config =
        Config::from_str(include_str!("../examples/sim.toml"), "examples/sim.toml").unwrap();
    config.backend.base_url = Some(backend.base_url());
    config.defaults.page_timeout = Duration::from_secs(3);
    let sheets = SheetsSim::start(SheetsSimOptions {
        spreadsheets: vec!["sim-users".into()],
    })
    .await
    .unwrap();
    let telegram = TelegramSim::start(TelegramSimOptions {
        token: BOT_TOKEN.to_owned(),
        ..TelegramSimOptions::default()
    })
    .await
    .unwrap();
    let secrets = exportsync::sim::secrets(&sheets, BOT_TOKEN, "-100200300").unwrap();
    let services = Services::new(Endpoints {
        sheets: Some(sheets.base_url()),
        telegram: Some(telegram.base_url()),
    })
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut request = RunRequest::now(Duration::from_secs(300));
    request.only = vec!["users".into()];
    request.work_dir = Some(work.path().to_owned());

    let outcome = run::run(
        &config,
        &secrets,
        "the simulators' secrets",
        &services,
        request,
        &|_| {},
    )
    .await
    .unwrap();
    let report = outcome.report;
    assert_eq!(report.status, RunStatus::Failed);
    let users = &report.exports[0];
    assert_eq!(users.status, ExportStatus::Failed);
    let error = users.error.as_deref().expect("an error");
    assert!(
        error.starts_with(&format!(
            "export users: Export button `.btn.btn-success.m3.expot-pdf` did not appear on {}/user-front within 3s; \
             check the selector in the configuration. The page is \"User Front | ATK Admin\" \
             (not the login page); nearest: `button.unduh-data` \"Unduh Excel\"",
            backend.base_url()
        )),
        "{error}"
    );
    assert!(
        error.chars().count() <= 600 && !error.contains('\n'),
        "{error}"
    );
    assert!(users.screenshot.is_some(), "{users:?}");
    // The JSON report carries the same line.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["exports"][0]["error"], error);

    // Telegram: the summary quotes the error (cut to its own limit), the screenshot's caption
    // carries all of it.
    let messages = telegram.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let summary = &messages[0].plain;
    assert!(
        summary.contains("The page is \"User Front | ATK Admin\" (not the login page); nearest: `button.unduh-data`"),
        "{summary}"
    );
    let photos = telegram.photos();
    assert_eq!(photos.len(), 1, "the failure screenshot");
    assert!(photos[0].bytes.starts_with(b"\x89PNG"));
    let caption = unescape(&photos[0].caption);
    assert!(caption.contains(error), "{caption}");

    telegram.shutdown().await;
    sheets.shutdown().await;
    backend.shutdown().await;
}
