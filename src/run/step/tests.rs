//! The run's cut-offs: a backstop that fires keeps what finished (item 5 of issue 15) and a
//! parse still running at the deadline is abandoned (item 6).

use std::time::Duration;

use super::*;

fn exports() -> Config {
    Config::from_str(include_str!("../../../examples/sim.toml"), "sim.toml").unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_backstop_keeps_what_finished_and_skips_the_rest() {
    let config = exports();
    let selected: Vec<&ExportConfig> = config.exports.iter().take(3).collect();
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The first export downloaded, the second failed, the third was still downloading when
    // the browser hung.
    tx.send(SourceEvent::AttemptFinished {
        export: selected[0].name.clone(),
        attempt: 1,
        error: None,
    })
    .unwrap();
    tx.send(SourceEvent::AttemptFinished {
        export: selected[1].name.clone(),
        attempt: 1,
        error: Some(SourceError::ServerError {
            export: selected[1].name.clone(),
            status: 500,
            url: "http://127.0.0.1/x".into(),
        }),
    })
    .unwrap();
    let mut forwarded = 0;
    let backstop = Instant::now() + Duration::from_secs(10);
    let outcomes = gather(
        std::future::pending::<SourceReport>(),
        &mut rx,
        backstop,
        &selected,
        |_| forwarded += 1,
    )
    .await;
    assert_eq!(Instant::now(), backstop, "cut off at the backstop");
    assert_eq!(forwarded, 2, "every event was forwarded");
    match &outcomes[0] {
        Err(Unfinished::Skipped(why)) => {
            assert!(why.starts_with("downloaded, but not written"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    match &outcomes[1] {
        Err(Unfinished::Failed(FailedStage::Download, why)) => {
            assert!(why.contains("500"), "its own failure is kept: {why}")
        }
        other => panic!("{other:?}"),
    }
    match &outcomes[2] {
        Err(Unfinished::Skipped(why)) => assert!(why.starts_with("not finished"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_parse_still_running_at_the_deadline_is_abandoned() {
    let started = std::time::Instant::now();
    let deadline = Instant::now() + Duration::from_millis(200);
    let result = off_runtime_until(deadline, || {
        std::thread::sleep(Duration::from_secs(3));
        1
    })
    .await;
    assert!(matches!(result, Err(OffRuntime::CutOff)), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "returned after {:?}",
        started.elapsed()
    );
    let done = off_runtime_until(Instant::now() + Duration::from_secs(5), || 2).await;
    assert_eq!(done.unwrap(), 2);
}
