//! The run store with real parts: the S3 backend through object_store's real client against
//! moto (`moto_server`, installed by `.ci/run`), the local backend in a temp dir; whole runs
//! (real Chromium, the simulated panel, the Sheets emulator, the Telegram fake) that store their
//! files and reports; replays that rebuild a sheet from the store alone; header drift and
//! row-count warnings from the stored history; stores that fail without failing the run.

#[path = "support/moto.rs"]
mod moto;

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use exportsync::config::{Config, OnHeaderChange};
use exportsync::report::{
    ExportReport, ExportStatus, HeaderChange, RunReport, RunStatus, StoreStatus, Window,
};
use exportsync::run::replay::{ReplayRequest, ReplaySelection};
use exportsync::run::{self, Budget, Endpoints, RunRequest, Services};
use exportsync::sim::backend::{BackendOptions, BackendSim, Faults};
use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
use exportsync::sim::telegram::{TelegramSim, TelegramSimOptions};
use exportsync::store::{AwsVars, RunId, RunStore, StoreError, StoreLocation};
use moto::Moto;

const TOKEN: &str = "1:store-test-token";
const SECRET_KEY: &str = "store-test-secret-key";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn moto_vars(endpoint: &str) -> AwsVars {
    AwsVars::from_pairs([
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_REGION", "us-east-1"),
    ])
}

fn report_of(started: chrono::DateTime<Utc>, rows: usize) -> RunReport {
    let mut line = ExportReport::new("users", Some("book".into()), "Users");
    line.status = ExportStatus::Ok;
    line.rows = Some(rows);
    line.header = vec!["ID".into(), "Nama".into()];
    line.archived = Some("somewhere".into());
    let mut report = RunReport::new(
        Window {
            from: started.date_naive(),
            to: started.date_naive(),
            timezone: "UTC".into(),
        },
        started,
        vec![line],
    );
    report.seconds = 1.0;
    report.finish();
    report
}

/// What both backends must do: reports and files round-trip under time-sorted keys, runs are
/// listed by day and newest first, a missing run is named.
async fn exercise(store: &RunStore) {
    let times = [
        Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 13, 0, 0).unwrap(),
    ];
    let mut ids = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let id = RunId::new(*t);
        let mut report = report_of(*t, 10 + i);
        report.run_id = Some(id.to_string());
        store.put_report(&id, &report).await.unwrap();
        store
            .put(
                &id.file_key("users", "users.pdf"),
                format!("%PDF-{i}").into(),
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let keys = store.keys_under("runs").await.unwrap();
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert_eq!(
        keys[0],
        format!("runs/2026/11/30/{}/report.json", ids[0]),
        "{keys:?}"
    );
    assert!(keys.contains(&format!("runs/2026/12/01/{}/users/users.pdf", ids[2])));

    let recent = store
        .recent_runs(Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(recent, vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    let limited = store
        .recent_runs(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap(), 1)
        .await
        .unwrap();
    assert_eq!(limited, vec![ids[1].clone()], "before noon, newest first");
    let between = store
        .runs_between(day(30), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        .await
        .unwrap();
    assert_eq!(between, ids);

    let report = store.report(&ids[1]).await.unwrap();
    assert_eq!(report.exports[0].rows, Some(11));
    assert_eq!(report.run_id.as_deref(), Some(ids[1].as_str()));
    let file = store
        .get(&ids[2].file_key("users", "users.pdf"))
        .await
        .unwrap();
    assert_eq!(&file[..], b"%PDF-2");

    let baseline = store
        .baseline(Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap())
        .await
        .unwrap();
    let users = baseline.export("users").unwrap();
    assert_eq!(users.ok_rows, vec![12, 11, 10], "newest first");
    assert_eq!(
        users.header.as_deref(),
        Some(&["ID".to_string(), "Nama".into()][..])
    );

    let missing = RunId::new(Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap());
    let err = store.report(&missing).await.unwrap_err();
    assert!(matches!(err, StoreError::NoRun { .. }), "{err}");
    assert!(err.to_string().contains(missing.as_str()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_backend_round_trips_runs_through_moto_under_its_prefix() {
    let moto = Moto::start().await;
    moto.create_bucket("exportsync-runs").await;
    let location = StoreLocation::S3 {
        bucket: "exportsync-runs".into(),
        prefix: "team/exportsync".into(),
    };
    let store = RunStore::open_with(&location, &moto_vars(&moto.endpoint))
        .unwrap()
        .unwrap();
    exercise(&store).await;
    // The objects really are in the bucket, under the prefix (read without our client).
    let listing = reqwest::get(format!(
        "{}/exportsync-runs?list-type=2&prefix=team/exportsync/runs/2026/12/01/",
        moto.endpoint
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(listing.matches("<Key>").count(), 4, "{listing}");
    assert!(
        listing.contains("<Key>team/exportsync/runs/2026/12/01/"),
        "{listing}"
    );
}

#[tokio::test]
async fn the_local_backend_round_trips_runs_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = RunStore::open(&StoreLocation::Local(root.clone()))
        .unwrap()
        .unwrap();
    exercise(&store).await;
    let days: Vec<_> = std::fs::read_dir(root.join("runs/2026/12/01"))
        .unwrap()
        .collect();
    assert_eq!(days.len(), 2, "two runs on 1 Dec");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_s3_store_fails_fast_with_the_store_named_and_no_credential() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let location = StoreLocation::S3 {
        bucket: "exportsync-runs".into(),
        prefix: "p".into(),
    };
    let store = RunStore::open_with(&location, &moto_vars(&format!("http://127.0.0.1:{port}")))
        .unwrap()
        .unwrap();
    let started = std::time::Instant::now();
    let err = store.put("runs/x", "y".into()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("s3://exportsync-runs/p"), "{text}");
    assert!(!text.contains(SECRET_KEY), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// The panel, the Sheets emulator and the Telegram fake, and the config pointed at them.
struct World {
    backend: BackendSim,
    sheets: SheetsSim,
    telegram: TelegramSim,
    config: Config,
}

impl World {
    async fn start(rows_per_day: usize) -> World {
        let backend = BackendSim::start(BackendOptions {
            rows_per_day,
            ..BackendOptions::default()
        })
        .await
        .unwrap();
        let mut config =
            Config::from_str(include_str!("../examples/sim.toml"), "examples/sim.toml").unwrap();
        config.backend.base_url = Some(backend.base_url());
        let sheets = sheets_for(&config).await;
        let telegram = TelegramSim::start(TelegramSimOptions {
            token: TOKEN.into(),
            ..TelegramSimOptions::default()
        })
        .await
        .unwrap();
        World {
            backend,
            sheets,
            telegram,
            config,
        }
    }

    fn services(&self, sheets: &SheetsSim, store: Option<RunStore>) -> Services {
        Services::new(Endpoints {
            sheets: Some(sheets.base_url()),
            telegram: Some(self.telegram.base_url()),
        })
        .unwrap()
        .with_store(store)
    }

    async fn run(&self, services: &Services, on: NaiveDate, only: &[&str]) -> RunReport {
        let secrets = exportsync::sim::secrets(&self.sheets, TOKEN, "1").unwrap();
        let request = RunRequest {
            from: Some(on),
            to: Some(on),
            only: only.iter().map(|s| s.to_string()).collect(),
            ..RunRequest::now(Duration::from_secs(300))
        };
        run::run(&self.config, &secrets, "test", services, request, &|_| {})
            .await
            .unwrap()
            .report
    }

    fn last_message(&self) -> String {
        self.telegram
            .messages()
            .last()
            .expect("a summary")
            .plain
            .clone()
    }
}

async fn sheets_for(config: &Config) -> SheetsSim {
    SheetsSim::start(SheetsSimOptions {
        spreadsheets: config
            .exports
            .iter()
            .filter_map(|e| e.spreadsheet_id.clone())
            .collect(),
    })
    .await
    .unwrap()
}

fn local_store(dir: &tempfile::TempDir) -> RunStore {
    RunStore::open(&StoreLocation::Local(dir.path().join("store")))
        .unwrap()
        .unwrap()
}

/// Every tab of every spreadsheet, as values.
fn sheet_contents(
    sheets: &SheetsSim,
    config: &Config,
) -> Vec<(String, Vec<Vec<serde_json::Value>>)> {
    config
        .exports
        .iter()
        .filter_map(|e| {
            let state = sheets.state(e.spreadsheet_id.as_ref()?)?;
            let tab = state.tabs.iter().find(|t| t.title == e.tab)?;
            Some((e.name.clone(), tab.rows.clone()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_run_replays_into_the_same_sheet_and_a_second_replay_writes_nothing() {
    let world = World::start(4).await;
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let services = world.services(&world.sheets, Some(store.clone()));
    let report = world.run(&services, day(20), &[]).await;
    assert_eq!(report.status, RunStatus::Ok, "{:?}", report.not_ok());
    let outcome = report.store.clone().expect("the store is on");
    assert_eq!(
        (outcome.status, outcome.files),
        (StoreStatus::Ok, 4),
        "{outcome:?}"
    );
    let run_id: RunId = report.run_id.clone().unwrap().parse().unwrap();
    let stored = store.report(&run_id).await.unwrap();
    for line in &stored.exports {
        let key = line.archived.clone().expect("each file archived");
        let bytes = store.get(&key).await.unwrap();
        assert_eq!(Some(bytes.len() as u64), line.bytes, "{}", line.name);
        assert!(!line.header.is_empty(), "{}: the header is kept", line.name);
    }

    // A fresh, empty Sheets emulator: the replay rebuilds every tab from the store alone.
    let fresh = sheets_for(&world.config).await;
    let fresh_services = world.services(&fresh, Some(store.clone()));
    let secrets = exportsync::sim::secrets(&fresh, TOKEN, "1").unwrap();
    let downloads_before = world.backend.stats().exports.len();
    let replayed = run::replay::replay(
        &world.config,
        &secrets,
        "test",
        &fresh_services,
        ReplayRequest {
            selection: ReplaySelection::Run(run_id.clone()),
            only: Vec::new(),
            dry_run: false,
            budget: Budget::after(Duration::from_secs(120)),
            request_id: None,
        },
        &|_| {},
    )
    .await
    .unwrap()
    .report;
    assert_eq!(replayed.status, RunStatus::Ok, "{:?}", replayed.not_ok());
    assert_eq!(
        world.backend.stats().exports.len(),
        downloads_before,
        "no panel"
    );
    assert_eq!(
        replayed.replay.as_ref().unwrap().runs,
        vec![run_id.to_string()]
    );
    assert_eq!(replayed.totals.inserted, report.totals.inserted);
    assert_eq!(
        sheet_contents(&fresh, &world.config),
        sheet_contents(&world.sheets, &world.config),
        "the replay gives the same sheets as the run"
    );
    assert!(
        world.last_message().contains("REPLAY of 1 stored run"),
        "{}",
        world.last_message()
    );

    // Replaying into the original sheets (already up to date) writes nothing.
    world.sheets.reset_counts();
    let secrets = exportsync::sim::secrets(&world.sheets, TOKEN, "1").unwrap();
    let again = run::replay::replay(
        &world.config,
        &secrets,
        "test",
        &services,
        ReplayRequest {
            selection: ReplaySelection::Between {
                from: day(1),
                to: Utc::now().date_naive() + chrono::Duration::days(1),
            },
            only: vec!["users".into()],
            dry_run: false,
            budget: Budget::after(Duration::from_secs(120)),
            request_id: None,
        },
        &|_| {},
    )
    .await
    .unwrap()
    .report;
    assert_eq!(
        again.exports.len(),
        1,
        "only users, from the one stored run"
    );
    assert_eq!(again.totals.write_requests, 0);
    assert_eq!(world.sheets.counts().batch_update, 0);
    // The replays are stored too, and never replayed themselves.
    let runs = store
        .recent_runs(Utc::now() + chrono::Duration::seconds(5), 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 3, "{runs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_column_is_reported_and_fails_an_export_that_asks_for_it() {
    let mut world = World::start(3).await;
    let dir = tempfile::tempdir().unwrap();
    let services = world.services(&world.sheets, Some(local_store(&dir)));
    let first = world.run(&services, day(20), &["users"]).await;
    assert_eq!(first.status, RunStatus::Ok);
    assert!(first.exports[0].header_changes.is_empty());

    world.backend.set_faults(Faults {
        rename_column: Some(("users".into(), "No HP".into(), "Nomor HP".into())),
        ..Faults::default()
    });
    let second = world.run(&services, day(21), &["users"]).await;
    let users = &second.exports[0];
    assert_eq!(users.status, ExportStatus::Ok, "warn is the default");
    assert_eq!(
        users.header_changes,
        vec![HeaderChange::Renamed {
            from: "No HP".into(),
            to: "Nomor HP".into(),
            position: 4
        }]
    );
    let message = world.last_message();
    assert!(
        message.contains(
            "header changed since the last run: column 4 renamed \"No HP\" -> \"Nomor HP\""
        ),
        "{message}"
    );

    // `fail`: compared with the last run that wrote users (the second, with "Nomor HP"; the
    // fault below puts "No HP" back and renames "Kota").
    world.config.exports.iter_mut().for_each(|e| {
        if e.name == "users" {
            e.on_header_change = OnHeaderChange::Fail;
        }
    });
    world.backend.set_faults(Faults {
        rename_column: Some(("users".into(), "Kota".into(), "Kabupaten".into())),
        ..Faults::default()
    });
    let users_id = world
        .config
        .exports
        .iter()
        .find(|e| e.name == "users")
        .unwrap()
        .spreadsheet_id
        .clone()
        .unwrap();
    let before = world.sheets.state(&users_id).unwrap().tabs[0].rows.clone();
    world.sheets.reset_counts();
    let third = world.run(&services, day(22), &["users"]).await;
    let users = &third.exports[0];
    assert_eq!(users.status, ExportStatus::Failed);
    let error = users.error.as_deref().unwrap();
    assert!(
        error.contains("column 7 renamed \"Kota\" -> \"Kabupaten\"")
            && error.contains("nothing was written"),
        "{error}"
    );
    assert_eq!(world.sheets.counts().batch_update, 0, "nothing written");
    assert_eq!(world.sheets.state(&users_id).unwrap().tabs[0].rows, before);
    assert!(
        world.last_message().contains("Kabupaten"),
        "{}",
        world.last_message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_count_far_below_the_usual_warns_in_the_report_and_on_telegram() {
    let world = World::start(8).await;
    let dir = tempfile::tempdir().unwrap();
    let services = world.services(&world.sheets, Some(local_store(&dir)));
    for d in 20..23 {
        let report = world.run(&services, day(d), &["users"]).await;
        assert_eq!(report.exports[0].rows, Some(8));
        assert_eq!(report.exports[0].row_count_warning, None, "day {d}");
    }
    world.backend.set_faults(Faults {
        max_rows: [("users".to_string(), 1)].into(),
        ..Faults::default()
    });
    let report = world.run(&services, day(23), &["users"]).await;
    let users = &report.exports[0];
    assert_eq!(users.status, ExportStatus::Ok, "a warning, not a failure");
    let warning = users.row_count_warning.as_deref().expect("a warning");
    assert!(
        warning.contains("only 1 rows, far below the usual 8 (median of the last 3 ok runs)"),
        "{warning}"
    );
    assert!(
        world.last_message().contains("only 1 rows"),
        "{}",
        world.last_message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_fails_leaves_the_run_ok_with_a_warning() {
    let mut moto = Moto::start().await;
    moto.create_bucket("runs").await;
    let s3 = RunStore::open_with(
        &StoreLocation::S3 {
            bucket: "runs".into(),
            prefix: "x".into(),
        },
        &moto_vars(&moto.endpoint),
    )
    .unwrap()
    .unwrap();
    moto.stop(); // the store goes down before the run
    // A folder whose writes fail: `runs` is a file (root ignores permissions, not this).
    let dir = tempfile::tempdir().unwrap();
    let broken = local_store(&dir);
    std::fs::write(dir.path().join("store/runs"), "not a folder").unwrap();

    let world = World::start(2).await;
    for (name, store) in [("s3", s3), ("folder", broken)] {
        let services = world.services(&world.sheets, Some(store));
        let report = world.run(&services, day(20), &["users"]).await;
        assert_eq!(
            report.status,
            RunStatus::Ok,
            "{name}: {:?}",
            report.not_ok()
        );
        assert!(
            report.exports[0].inserted + report.exports[0].unchanged > 0,
            "{name}"
        );
        let outcome = report.store.clone().unwrap();
        assert_eq!(outcome.status, StoreStatus::Failed, "{name}");
        assert!(!outcome.errors.is_empty(), "{name}");
        let message = world.last_message();
        assert!(message.contains("run store"), "{name}: {message}");
        assert!(message.contains("exportsync OK"), "{name}: {message}");
        assert!(!message.contains(SECRET_KEY));
    }
}
