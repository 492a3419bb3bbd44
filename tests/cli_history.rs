//! `exportsync history` driven as a user runs it: the real binary against a local-folder run
//! store that the test fills with reports through `RunStore::put_report`.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use exportsync::report::{ExportReport, ExportStatus, FailedStage, ReplayInfo, RunReport, Window};
use exportsync::store::{AwsVars, RunId, RunStore, StoreLocation};

#[path = "support/moto.rs"]
mod moto;

/// `exportsync history ARGS` in `dir` (no exports.toml there unless the test wrote one), with
/// no store in the environment.
fn history(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .arg("history")
        .args(args)
        .current_dir(dir)
        .env_remove("EXPORTSYNC_STORE")
        .env_remove("RUST_LOG")
        .output()
        .expect("run exportsync")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok_export(name: &str, rows: usize) -> ExportReport {
    let mut e = ExportReport::new(name, Some("sheet-id".into()), "Sheet1");
    e.status = ExportStatus::Ok;
    e.rows = Some(rows);
    e.inserted = 2;
    e.updated = 1;
    e.unchanged = rows.saturating_sub(3);
    e.seconds = 3.5;
    e
}

fn failed_export(name: &str, error: &str) -> ExportReport {
    let mut e = ExportReport::new(name, Some("sheet-id".into()), "Sheet1");
    e.status = ExportStatus::Failed;
    e.stage = Some(FailedStage::Download);
    e.error = Some(error.to_owned());
    e.seconds = 30.2;
    e
}

fn report(started: DateTime<Utc>, exports: Vec<ExportReport>) -> RunReport {
    let mut r = RunReport::new(
        Window {
            from: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            timezone: "Asia/Jakarta".into(),
        },
        started,
        exports,
    );
    r.seconds = 12.34;
    r.launch_seconds = 1.0;
    r.login_seconds = 2.0;
    r.finish();
    r
}

/// The four stored runs, oldest first: a year-old one (beyond any look-back), two ok runs in
/// November, a failed run and a replay in December. Returns their ids, oldest first.
fn fill(store_dir: &Path) -> Vec<RunId> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = RunStore::open(&StoreLocation::Local(store_dir.to_path_buf()))
        .unwrap()
        .unwrap();
    let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
    let mut replay = report(at(2026, 12, 3, 1), vec![ok_export("users", 118)]);
    replay.replay = Some(ReplayInfo {
        runs: vec!["20261130T010000Z-000001".into()],
    });
    let runs = [
        (
            "20251201T010000Z-000000",
            report(
                at(2025, 12, 1, 1),
                vec![ok_export("users", 90), ok_export("orders", 7)],
            ),
        ),
        (
            "20261130T010000Z-000001",
            report(
                at(2026, 11, 30, 1),
                vec![ok_export("users", 120), ok_export("orders", 8)],
            ),
        ),
        (
            "20261202T010000Z-000002",
            report(
                at(2026, 12, 2, 1),
                vec![
                    failed_export("users", "download: the Export button did not appear"),
                    ok_export("orders", 0),
                ],
            ),
        ),
        ("20261203T010000Z-000003", replay),
    ];
    runtime.block_on(async {
        let mut ids = Vec::new();
        for (id, mut report) in runs {
            let id: RunId = id.parse().unwrap();
            report.run_id = Some(id.to_string());
            store.put_report(&id, &report).await.unwrap();
            ids.push(id);
        }
        ids
    })
}

#[test]
fn the_text_shows_a_block_per_export_newest_run_first_with_a_sparkline() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    fill(&store);
    let output = history(dir.path(), &["--store", store.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    println!("{text}");
    assert!(
        text.starts_with(&format!(
            "4 runs in {}, newest first; times in UTC\n",
            store.display()
        )),
        "{text}"
    );
    // users: 90, 120, (failed), 118 oldest to newest; orders: 7, 8, 0.
    let users = text
        .find("\nusers  ▇█·█  rows min 90, max 120 (4 runs, oldest → newest)\n")
        .unwrap_or_else(|| panic!("users block: {text}"));
    let orders = text
        .find("\norders  ▇█▁  rows min 0, max 8 (3 runs, oldest → newest)\n")
        .unwrap_or_else(|| panic!("orders block: {text}"));
    assert!(users < orders, "{text}");
    let users_block = &text[users..orders];
    let order: Vec<usize> = ["-000003", "-000002", "-000001", "-000000"]
        .iter()
        .map(|id| {
            users_block
                .find(id)
                .unwrap_or_else(|| panic!("{id}: {text}"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "newest first: {text}"
    );
    assert!(users_block.contains(
        "  2026-12-03 01:00  20261203T010000Z-000003  ok      replay          118          2 / 1      3.5"
    ));
    assert!(users_block.contains("FAILED"));
    assert!(users_block.contains("error: download: the Export button did not appear"));
    assert!(!text[orders..].contains("users"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn json_lists_the_runs_newest_first_and_last_limits_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let ids = fill(&store);
    let output = history(dir.path(), &["--store", store.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["store"], store.display().to_string());
    let listed: Vec<&str> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    let newest_first: Vec<String> = ids.iter().rev().map(|id| id.to_string()).collect();
    assert_eq!(listed, newest_first);
    let newest = &json["runs"][0];
    assert_eq!(newest["replay"], true);
    assert_eq!(newest["dry_run"], false);
    assert_eq!(newest["status"], "ok");
    assert_eq!(newest["started_at"], "2026-12-03T01:00:00Z");
    assert_eq!(newest["exports"][0]["name"], "users");
    assert_eq!(newest["exports"][0]["rows"], 118);
    assert_eq!(newest["exports"][0]["inserted"], 2);
    assert_eq!(newest["exports"][0]["updated"], 1);
    assert_eq!(newest["exports"][0]["warnings"], serde_json::json!([]));
    let failed = &json["runs"][1];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["exports"][0]["status"], "failed");
    assert_eq!(failed["exports"][0]["rows"], serde_json::Value::Null);
    assert_eq!(
        failed["exports"][0]["error"],
        "download: the Export button did not appear"
    );

    let output = history(
        dir.path(),
        &["--store", store.to_str().unwrap(), "--json", "--last", "2"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let listed: Vec<&str> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["20261203T010000Z-000003", "20261202T010000Z-000002"]
    );

    let output = history(
        dir.path(),
        &["--store", store.to_str().unwrap(), "--last", "2"],
    );
    assert!(
        stdout(&output).starts_with("2 runs in "),
        "{}",
        stdout(&output)
    );
    for refused in ["0", "201"] {
        let output = history(
            dir.path(),
            &["--store", store.to_str().unwrap(), "--last", refused],
        );
        assert_eq!(output.status.code(), Some(2), "--last {refused}");
    }
}

#[test]
fn export_keeps_one_exports_lines_and_an_unknown_name_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    fill(&store);
    let output = history(
        dir.path(),
        &["--store", store.to_str().unwrap(), "--export", "orders"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("3 runs in "), "{text}");
    assert!(text.contains("\norders  ▇█▁  "), "{text}");
    assert!(!text.contains("users"), "{text}");
    assert!(
        !text.contains("-000003"),
        "the replay had no orders: {text}"
    );

    let output = history(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--export",
            "order",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(err.contains("export \"order\""), "{err}");
    assert!(
        err.contains("the exports they have: orders, users"),
        "{err}"
    );
}

#[test]
fn an_empty_store_says_no_runs_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = history(dir.path(), &["--store", empty.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("no runs stored in {} yet\n", empty.display())
    );
    // A folder that does not exist yet has no runs either, and is not created for it.
    let missing = dir.path().join("missing");
    let output = history(
        dir.path(),
        &["--store", missing.to_str().unwrap(), "--json"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["runs"], serde_json::json!([]));
    assert!(!missing.exists());
}

#[test]
fn a_bad_or_unreadable_store_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = history(dir.path(), &["--store", "gs://bucket/exports"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    let err = stderr(&output);
    assert!(err.contains("--store \"gs://bucket/exports\""), "{err}");

    // A file where the store's folder should be.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let output = history(dir.path(), &["--store", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains(&format!("store {}", file.display())), "{err}");

    let output = history(dir.path(), &["--store", "none"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("the run store is off"));

    let output = history(dir.path(), &["--config", "missing.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.toml"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_configuration_gives_the_store_and_the_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    fill(&dir.path().join("runs-here"));
    std::fs::write(
        dir.path().join("exports.toml"),
        r##"
[backend]
base_url = "http://127.0.0.1:1"
[defaults]
timezone = "Asia/Jakarta"
[store]
url = "runs-here"
[[export]]
name = "users"
page = "/user"
start_selector = "#start"
end_selector = "#end"
date_format = "html5"
button = { selector = "button" }
spreadsheet_id = "sheet"
tab = "Users"
key_columns = ["ID"]
"##,
    )
    .unwrap();
    let output = history(dir.path(), &["--last", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("runs-here, newest first; times in Asia/Jakarta"),
        "{text}"
    );
    // 01:00 UTC is 08:00 in Jakarta.
    assert!(
        text.contains("  2026-12-03 08:00  20261203T010000Z-000003  ok"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_reads_an_s3_store_on_moto_with_the_usual_aws_variables() {
    let moto = moto::Moto::start().await;
    moto.create_bucket("history-runs").await;
    let env = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "history-test-secret"),
        ("AWS_REGION", "us-east-1"),
    ];
    let location = StoreLocation::S3 {
        bucket: "history-runs".into(),
        prefix: "team".into(),
    };
    let store = RunStore::open_with(&location, &AwsVars::from_pairs(env))
        .unwrap()
        .unwrap();
    let at = |d, h| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
    let mut ids = Vec::new();
    for (d, rows) in [(1, 40), (2, 44), (3, 0)] {
        let id = RunId::new(at(d, 1));
        let mut r = report(at(d, 1), vec![ok_export("users", rows)]);
        r.run_id = Some(id.to_string());
        store.put_report(&id, &r).await.unwrap();
        ids.push(id);
    }
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move || {
            Command::new(env!("CARGO_BIN_EXE_exportsync"))
                .args(["history", "--json", "--store", "s3://history-runs/team"])
                .current_dir(&dir)
                .env_remove("EXPORTSYNC_STORE")
                .envs(env)
                .output()
                .expect("run exportsync")
        }
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["store"], "s3://history-runs/team");
    let listed: Vec<&str> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    let newest_first: Vec<String> = ids.iter().rev().map(|i| i.to_string()).collect();
    assert_eq!(listed, newest_first);
    assert_eq!(json["runs"][0]["exports"][0]["rows"], 0);
    assert!(!stderr(&output).contains("history-test-secret"));
}
