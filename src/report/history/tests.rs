//! The history's pure parts: sparklines, blocks per export, `--export`, the text and the JSON.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::report::model::{FailedStage, ReplayInfo, RunReport, Window};
use crate::store::RunId;

fn ok_export(name: &str, rows: usize) -> ExportReport {
    let mut e = ExportReport::new(name, Some("sheet-id".into()), "Sheet1");
    e.status = ExportStatus::Ok;
    e.rows = Some(rows);
    e.inserted = 3;
    e.updated = 1;
    e.unchanged = rows.saturating_sub(4);
    e.seconds = 4.25;
    e
}

fn failed_export(name: &str, error: &str) -> ExportReport {
    let mut e = ExportReport::new(name, Some("sheet-id".into()), "Sheet1");
    e.status = ExportStatus::Failed;
    e.stage = Some(FailedStage::Download);
    e.error = Some(error.to_owned());
    e.seconds = 3.1;
    e
}

/// A stored run that started `hour` hours after 2026-12-01 00:00 UTC.
fn stored(hour: i64, suffix: &str, exports: Vec<ExportReport>) -> StoredRun {
    let started =
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(hour);
    let id: RunId = format!("{}-{suffix}", started.format("%Y%m%dT%H%M%SZ"))
        .parse()
        .unwrap();
    let mut report = RunReport::new(
        Window {
            from: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            timezone: "Asia/Jakarta".into(),
        },
        started,
        exports,
    );
    report.seconds = 12.0;
    report.launch_seconds = 1.0;
    report.login_seconds = 2.0;
    report.run_id = Some(id.to_string());
    report.finish();
    StoredRun { id, report }
}

/// Four runs, given oldest first: two ok, a failed one, a dry-run replay.
fn four_runs() -> Vec<StoredRun> {
    let mut warned = ok_export("users", 2);
    warned.warnings = vec![
        "2 rows, far below the usual 120 (median of the last 3 ok runs)".into(),
        "a footer row was dropped".into(),
    ];
    let mut replay = stored(36, "dddddd", vec![ok_export("users", 130)]);
    replay.report.replay = Some(ReplayInfo {
        runs: vec!["20261201T000000Z-aaaaaa".into()],
    });
    replay.report.dry_run = true;
    replay.report.exports[0].replayed_from = Some("20261201T000000Z-aaaaaa".into());
    vec![
        stored(
            0,
            "aaaaaa",
            vec![ok_export("users", 120), ok_export("orders", 40)],
        ),
        stored(12, "bbbbbb", vec![warned, ok_export("orders", 44)]),
        stored(
            24,
            "cccccc",
            vec![
                failed_export(
                    "users",
                    "download: the Export button (#export) did not appear within 30 s; the page \
                     is the login page, title \"Sign in\"",
                ),
                ok_export("orders", 41),
            ],
        ),
        replay,
    ]
}

#[test]
fn a_flat_history_is_one_bar_repeated() {
    assert_eq!(sparkline(&[Some(7), Some(7), Some(7)]), "███");
    assert_eq!(sparkline(&[Some(0), Some(0)]), "▁▁");
}

#[test]
fn a_rising_history_climbs_to_the_top_bar() {
    let counts: Vec<Option<usize>> = (0..=8).map(Some).collect();
    let line: Vec<char> = sparkline(&counts).chars().collect();
    assert_eq!(line.len(), 9);
    assert_eq!(line[0], '▁', "zero rows is the lowest bar");
    assert_eq!(line[8], '█');
    let levels: Vec<usize> = line
        .iter()
        .map(|c| BARS.iter().position(|b| b == c).unwrap())
        .collect();
    assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{line:?}");
    assert!(levels[1] >= 1, "one row is above zero rows: {line:?}");
}

#[test]
fn gaps_are_dots_and_do_not_change_the_scale() {
    assert_eq!(
        sparkline(&[Some(100), None, Some(0), Some(50), None]),
        "█·▁▅·"
    );
    assert_eq!(sparkline(&[None, None]), "··");
    assert_eq!(sparkline(&[]), "");
}

#[test]
fn one_value_is_one_bar() {
    assert_eq!(sparkline(&[Some(42)]), "█");
    assert_eq!(sparkline(&[Some(0)]), "▁");
    assert_eq!(sparkline(&[None]), "·");
}

#[test]
fn huge_values_neither_overflow_nor_flatten() {
    let line = sparkline(&[Some(usize::MAX), Some(usize::MAX / 2), Some(1), Some(0)]);
    assert_eq!(line, "█▅▂▁");
}

#[test]
fn blocks_per_export_newest_run_first() {
    let blocks = per_export(&four_runs());
    let names: Vec<&str> = blocks.iter().map(|b| b.name.as_str()).collect();
    // The newest run (the replay) has only users; orders comes after.
    assert_eq!(names, ["users", "orders"]);
    let users = &blocks[0];
    let ids: Vec<&str> = users.lines.iter().map(|l| &l.run_id[17..]).collect();
    assert_eq!(ids, ["dddddd", "cccccc", "bbbbbb", "aaaaaa"]);
    assert_eq!(
        users.row_counts(),
        [Some(120), Some(2), None, Some(130)],
        "oldest to newest"
    );
    assert!(users.lines[0].replay && users.lines[0].dry_run);
    assert_eq!(blocks[1].lines.len(), 3);
}

#[test]
fn the_text_shows_each_block_with_its_trend_and_notes() {
    let tz: Tz = "Asia/Jakarta".parse().unwrap();
    let text = render(&four_runs(), "/data/store", tz);
    println!("{text}");
    assert!(
        text.starts_with("4 runs in /data/store, newest first; times in Asia/Jakarta\n"),
        "{text}"
    );
    let users = text.find("\nusers  ").expect("a users block");
    let orders = text.find("\norders  ").expect("an orders block");
    assert!(users < orders, "{text}");
    assert!(
        text.contains("users  █▂·█  rows min 2, max 130 (4 runs, oldest → newest)"),
        "{text}"
    );
    assert!(
        text.contains("orders  ▇██  rows min 40, max 44 (3 runs, oldest → newest)"),
        "{text}"
    );
    // 2026-12-02 12:00 UTC is 19:00 in Jakarta; the replay was a dry run.
    assert!(
        text.contains(
            "  2026-12-02 19:00  20261202T120000Z-dddddd  ok      dry replay      130          3 / 1      4.2"
        ),
        "{text}"
    );
    assert!(text.contains("re-read the file of run 20261201T000000Z-aaaaaa"));
    // The failed run: no rows, the error cut short.
    let failed = text
        .lines()
        .find(|l| l.contains("-cccccc") && l.contains("FAILED"))
        .expect("the failed line");
    assert!(failed.contains("      -  "), "{failed}");
    let error = text
        .lines()
        .find(|l| l.contains("error: download: the Export button"))
        .expect("the error note");
    assert!(error.ends_with('…'), "{error}");
    assert!(text.contains("warning: 2 rows, far below the usual 120"));
    assert!(text.contains("(+1 more)"));
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "{} wide: {line}", line.len());
    }
}

#[test]
fn plain_runs_have_no_mark_and_skipped_ones_say_so() {
    let mut skipped = ExportReport::new("users", None, "Sheet1");
    skipped.error = Some("the run's deadline was near".into());
    let runs = vec![
        stored(0, "aaaaaa", vec![ok_export("users", 10)]),
        stored(1, "bbbbbb", vec![skipped]),
    ];
    let text = render(&runs, "s3://bucket/prefix", chrono_tz::UTC);
    let ok = text.lines().find(|l| l.contains("-aaaaaa")).unwrap();
    assert_eq!(
        ok,
        "  2026-12-01 00:00  20261201T000000Z-aaaaaa  ok                       10          3 / 1      4.2"
    );
    let skipped = text.lines().find(|l| l.contains("-bbbbbb")).unwrap();
    assert!(skipped.contains("skipped"), "{skipped}");
    assert!(text.contains("users  █·  rows min 10, max 10 (2 runs"));
    assert!(text.contains("error: the run's deadline was near"));
    assert!(text.contains("times in UTC"));
}

#[test]
fn a_long_history_shows_the_newest_runs_in_its_sparkline() {
    let runs: Vec<StoredRun> = (0..120)
        .map(|h| stored(h, "abcdef", vec![ok_export("users", h as usize)]))
        .collect();
    let text = render(&runs, "/s", chrono_tz::UTC);
    let title = text.lines().find(|l| l.starts_with("users  ")).unwrap();
    assert!(title.contains("…"), "{title}");
    assert!(title.contains("rows min 0, max 119 (120 runs"), "{title}");
    assert!(title.chars().count() <= 100, "{title}");
}

#[test]
fn an_empty_store_says_so() {
    assert_eq!(
        render(&[], "/data/store", chrono_tz::UTC),
        "no runs stored in /data/store yet\n"
    );
    assert_eq!(to_json(&[], "/data/store").runs, []);
}

#[test]
fn export_filter_keeps_that_exports_lines_and_runs() {
    let runs = only_export(four_runs(), "orders", "/s").unwrap();
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter()
            .all(|r| r.report.exports.len() == 1 && r.report.exports[0].name == "orders")
    );
    let blocks = per_export(&runs);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].name, "orders");
}

#[test]
fn an_unknown_export_lists_the_names_the_runs_have() {
    let err = only_export(four_runs(), "user", "/data/store").unwrap_err();
    assert_eq!(err.known, ["orders", "users"]);
    assert_eq!(
        err.to_string(),
        "export \"user\": not in the 4 newest runs of /data/store; the exports they have: orders, users"
    );
}

#[test]
fn json_lists_runs_newest_first_in_the_stable_shape() {
    let json = serde_json::to_value(to_json(&four_runs(), "s3://b/p")).unwrap();
    assert_eq!(json["store"], "s3://b/p");
    let runs = json["runs"].as_array().unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r["run_id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "20261202T120000Z-dddddd",
            "20261202T000000Z-cccccc",
            "20261201T120000Z-bbbbbb",
            "20261201T000000Z-aaaaaa"
        ]
    );
    assert_eq!(runs[0]["replay"], true);
    assert_eq!(runs[0]["dry_run"], true);
    assert_eq!(runs[1]["status"], "failed");
    assert_eq!(runs[1]["started_at"], "2026-12-02T00:00:00Z");
    let failed = &runs[1]["exports"][0];
    assert_eq!(failed["name"], "users");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["rows"], serde_json::Value::Null);
    assert!(failed["error"].as_str().unwrap().starts_with("download:"));
    assert_eq!(failed["warnings"], serde_json::json!([]));
    let keys: Vec<&str> = runs[3]["exports"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        8,
        "name, status, rows, inserted, updated, seconds, error, warnings: {keys:?}"
    );
    // It reads back.
    let back: HistoryJson = serde_json::from_value(json).unwrap();
    assert_eq!(back.runs.len(), 4);
}
