//! The whole job with every real part over loopback: Chromium logs into the simulated backend
//! and downloads the four exports (one xlsx, three PDFs sent as the real backend sends them),
//! `table::parse` reads them, and the real google-sheets4 +
//! yup-oauth2 client upserts them into the Sheets API emulator. A later run with an
//! overlapping window adds only the new day, and a repeated run writes nothing: history
//! accumulates with no row lost or duplicated.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;
use exportsync::config::Config;
use exportsync::secrets::{GoogleSecrets, Secret};
use exportsync::sheet::{SheetClient, SheetClientOptions, SheetTarget, UpsertReport};
use exportsync::sim::backend::{
    BackendOptions, BackendSim, DEMO_EMAIL, DEMO_PASSWORD, export_rows,
};
use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
use exportsync::source::{BackendCredentials, DateWindow, ExportSource};
use exportsync::table;

const ROWS_PER_DAY: usize = 4;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// One scheduled run: download every export of `window`, then upsert each into its sheet.
async fn run_once(
    config: &Config,
    sheets: &SheetClient,
    window: DateWindow,
    out: &Path,
) -> Vec<(String, UpsertReport)> {
    let credentials = BackendCredentials {
        email: DEMO_EMAIL.to_owned(),
        password: Secret::new(DEMO_PASSWORD.to_owned()),
    };
    let source = ExportSource::new(config, credentials).unwrap();
    let exports: Vec<_> = config.exports.iter().filter(|e| e.enabled).collect();
    let downloaded = source.export_all(window, &exports, out).await;
    assert_eq!(
        downloaded.sessions.len(),
        1,
        "one browser session, one login"
    );
    let mut reports = Vec::new();
    for (export, outcome) in exports.iter().zip(&downloaded.exports) {
        let file = outcome.result.as_ref().expect("download succeeded");
        let bytes = std::fs::read(&file.path).unwrap();
        let parsed = table::parse(&bytes, &export.table_options()).unwrap();
        let target = SheetTarget {
            spreadsheet_id: export.spreadsheet_id.clone().unwrap(),
            tab: export.tab.clone(),
            key_columns: export.key_columns.clone(),
        };
        let report = sheets.upsert(&target, &parsed, false).await.unwrap();
        reports.push((export.name.clone(), report));
    }
    reports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_runs_accumulate_history_without_loss_or_duplicates() {
    // The real backend's formats: transactions an xlsx, the other three PDFs sent as an
    // attachment in a new tab, inline in a `window.open` tab and inline in the same tab.
    let backend = BackendSim::start(BackendOptions {
        rows_per_day: ROWS_PER_DAY,
        formats: exportsync::sim::backend::ExportFormats::Pdf,
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut config = Config::from_str(include_str!("../examples/sim.toml"), "examples/sim.toml")
        .expect("examples/sim.toml is valid");
    config.backend.base_url = Some(backend.base_url());
    let spreadsheets: Vec<String> = config
        .exports
        .iter()
        .map(|e| e.spreadsheet_id.clone().unwrap())
        .collect();
    let sheets_sim = SheetsSim::start(SheetsSimOptions {
        spreadsheets: spreadsheets.clone(),
    })
    .await
    .unwrap();
    let google = GoogleSecrets::new(sheets_sim.service_account_key());
    let sheets = SheetClient::new(
        &google,
        SheetClientOptions {
            base_url: Some(sheets_sim.base_url()),
            ..SheetClientOptions::default()
        },
    )
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();

    // Morning run: yesterday and today.
    let first = DateWindow {
        from: day(20),
        to: day(21),
    };
    let reports = run_once(&config, &sheets, first, &work.path().join("1")).await;
    for (name, report) in &reports {
        let (_, rows) = export_rows(name, first.from, first.to, ROWS_PER_DAY);
        assert_eq!(report.inserted, rows.len(), "{name}: {report:?}");
        assert_eq!((report.updated, report.duplicates), (0, 0), "{name}");
    }

    // Next day's run: the window overlaps the first on the 21st.
    let second = DateWindow {
        from: day(21),
        to: day(22),
    };
    let reports = run_once(&config, &sheets, second, &work.path().join("2")).await;
    for (name, report) in &reports {
        let (_, overlap) = export_rows(name, day(21), day(21), ROWS_PER_DAY);
        let (_, new) = export_rows(name, day(22), day(22), ROWS_PER_DAY);
        assert_eq!(report.unchanged, overlap.len(), "{name}: {report:?}");
        assert_eq!(report.inserted, new.len(), "{name}: {report:?}");
        assert_eq!(report.updated, 0, "{name}");
    }

    // The same run again: nothing to write anywhere.
    sheets_sim.reset_counts();
    let reports = run_once(&config, &sheets, second, &work.path().join("3")).await;
    for (name, report) in &reports {
        assert_eq!((report.inserted, report.updated), (0, 0), "{name}");
        assert_eq!(report.write_requests, 0, "{name}");
    }
    assert_eq!(sheets_sim.counts().batch_update, 0);

    // Each sheet holds exactly the three days, every row once, in the export's column order.
    for (export, id) in config.exports.iter().zip(&spreadsheets) {
        let (header, expected) = export_rows(&export.name, day(20), day(22), ROWS_PER_DAY);
        let state = sheets_sim.state(id).unwrap();
        let tab = state.tabs.iter().find(|t| t.title == export.tab).unwrap();
        let sheet_header: Vec<&str> = tab.rows[0].iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(sheet_header, header, "{}", export.name);
        let data = &tab.rows[1..];
        assert_eq!(
            data.len(),
            expected.len(),
            "{}: rows in the sheet",
            export.name
        );
        let distinct: HashSet<String> = data.iter().map(|r| format!("{r:?}")).collect();
        assert_eq!(
            distinct.len(),
            data.len(),
            "{}: duplicated rows",
            export.name
        );
    }

    sheets_sim.shutdown().await;
    backend.shutdown().await;
}
