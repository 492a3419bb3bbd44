//! Every sample event in `events/` fed through the real binary over a loopback Runtime API, in
//! one warm container, with the outcome each should have.

#[path = "support/lambda_world.rs"]
mod lambda_world;
#[path = "support/runtime_api.rs"]
mod runtime_api;

use lambda_world::*;
use serde_json::Value;

fn event(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_runs_as_documented() {
    let mut names: Vec<String> =
        std::fs::read_dir(format!("{}/events", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "backfill.json",
            "dry-run.json",
            "eventbridge-scheduled.json",
            "manual.json",
            "replay.json",
            "scheduler-default.json",
            "scheduler-input.json"
        ],
        "a new sample event needs its expectation here"
    );
    // A run store in a folder, so that runs keep their files and a replay can read them.
    let store = tempfile::tempdir().unwrap();
    let world = World::start(WorldOptions {
        env: vec![(
            "EXPORTSYNC_STORE".into(),
            store.path().display().to_string(),
        )],
        ..WorldOptions::default()
    })
    .await;

    // The morning schedule's payloads: today is the 28th in Jakarta.
    for name in ["scheduler-default.json", "scheduler-input.json"] {
        let report = world.invoke(event(name)).await.response().clone();
        assert_eq!(report["status"], "ok", "{name}: {report:#}");
        assert_eq!(report["window"]["from"], "2026-11-27", "{name}");
        assert_eq!(report["window"]["to"], "2026-11-28", "{name}");
        assert_eq!(report["totals"]["exports"], 4, "{name}");
    }
    // 18:00 WIB on the 28th: the same window, nothing new to write.
    let report = world
        .invoke(event("eventbridge-scheduled.json"))
        .await
        .response()
        .clone();
    assert_eq!(report["window"]["to"], "2026-11-28");
    assert_eq!(report["totals"]["inserted"], 0, "{report:#}");
    assert_eq!(report["totals"]["write_requests"], 0);

    // A backfill of the first week of November.
    let report = world
        .invoke(event("backfill.json"))
        .await
        .response()
        .clone();
    assert_eq!(report["status"], "ok", "{report:#}");
    assert_eq!(report["window"]["from"], "2026-11-01");
    assert_eq!(report["window"]["to"], "2026-11-07");
    assert!(report["totals"]["inserted"].as_u64().unwrap() > 0);

    // A manual run of three exports.
    let report = world.invoke(event("manual.json")).await.response().clone();
    let names: Vec<&str> = report["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["point_transactions", "users", "coin_payments"]);

    // A replay of that manual run (its id put in the sample's place): users re-read from the
    // store, no browser, nothing new to write.
    let mut replay = event("replay.json");
    replay["replay"]["run"] = report["run_id"].clone();
    let downloads = world.backend.stats().exports.len();
    let replayed = world.invoke(replay).await.response().clone();
    assert_eq!(replayed["status"], "ok", "{replayed:#}");
    assert_eq!(replayed["replay"]["runs"][0], report["run_id"]);
    assert_eq!(replayed["exports"].as_array().unwrap().len(), 1);
    assert_eq!(replayed["exports"][0]["name"], "users");
    assert_eq!(replayed["totals"]["write_requests"], 0, "{replayed:#}");
    assert_eq!(world.backend.stats().exports.len(), downloads, "no panel");
    assert_eq!(replayed["store"]["status"], "ok", "{replayed:#}");

    // A dry run writes nothing.
    let before = world.sheets.counts().batch_update;
    let report = world.invoke(event("dry-run.json")).await.response().clone();
    assert_eq!(report["dry_run"], true);
    assert_eq!(world.sheets.counts().batch_update, before);

    assert!(world.tmp_entries().is_empty(), "{:?}", world.tmp_entries());
    world.stop().await;
}
