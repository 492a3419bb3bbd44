//! The real binary as a Lambda function: `exportsync lambda` polls a loopback Runtime API, reads
//! its secret from the Secrets Manager fake (through the real AWS SDK and
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`), drives real Chromium against the simulated backend,
//! upserts through the real Google client into the Sheets emulator and reports to the Telegram
//! fake. One test per event shape, one per failure path, and the end of the budget (a Telegram
//! that never answers), the container's setup problems and checks of the harness itself.

#[path = "support/lambda_world.rs"]
mod lambda_world;
#[path = "support/runtime_api.rs"]
mod runtime_api;

use std::time::Duration;

use chrono::NaiveDate;
use exportsync::sim::backend::{BackendOptions, Faults, export_rows};
use exportsync::sim::sheets::Fault;
use lambda_world::*;
use serde_json::{Value, json};

const ROWS_PER_DAY: usize = 4;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Every export's sheet holds exactly the rows of `from..=to`.
fn assert_sheets_hold(world: &World, from: &str, to: &str) {
    for (name, id) in EXPORTS.iter().zip([
        "sim-transactions",
        "sim-point-transactions",
        "sim-users",
        "sim-coin-payments",
    ]) {
        let (_, expected) = export_rows(name, day(from), day(to), ROWS_PER_DAY);
        assert_eq!(world.sheet_rows(id).len(), expected.len(), "{name} in {id}");
    }
}

fn assert_ok_report(report: &Value, from: &str, to: &str) {
    assert_eq!(report["status"], "ok", "{report:#}");
    assert_eq!(report["window"]["from"], from);
    assert_eq!(report["window"]["to"], to);
    assert_eq!(report["window"]["timezone"], "Asia/Jakarta");
    assert_eq!(report["totals"]["exports"], 4);
    assert_eq!(report["totals"]["ok"], 4);
    for name in EXPORTS {
        let e = export(report, name);
        assert_eq!(e["status"], "ok", "{e}");
        let (_, rows) = export_rows(name, day(from), day(to), ROWS_PER_DAY);
        assert_eq!(e["rows"], rows.len(), "{e}");
    }
    assert!(report["request_id"].as_str().unwrap().starts_with("req-"));
    assert_eq!(report["telegram"]["status"], "sent", "{report:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_default_payload_runs_yesterday_and_today_of_the_schedule() {
    let world = World::start(WorldOptions::default()).await;
    // 01:00 UTC is 08:00 in Jakarta: the morning run of the 20th.
    let event = json!({
        "version": "0", "id": "c1b3b8a4-0d1e-4b4c-9d4f-3f1f8f0a6b2e",
        "detail-type": "Scheduled Event", "source": "aws.scheduler",
        "account": "123456789012", "time": "2026-11-20T01:00:00Z", "region": "ap-southeast-1",
        "resources": ["arn:aws:scheduler:ap-southeast-1:123456789012:schedule/default/exportsync-0800"],
        "detail": "{}"
    });
    let outcome = world.invoke(event).await;
    let report = outcome.response();
    assert_ok_report(report, "2026-11-19", "2026-11-20");
    assert_sheets_hold(&world, "2026-11-19", "2026-11-20");
    let messages = world.telegram.messages();
    assert_eq!(messages.len(), 1, "one summary");
    assert_eq!(messages[0].chat_id, CHAT_ID);
    for name in EXPORTS {
        assert!(messages[0].text.contains(name), "{}", messages[0].text);
    }
    assert!(
        world.tmp_entries().is_empty(),
        "left in /tmp: {:?}",
        world.tmp_entries()
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_eventbridge_rule_event() {
    let world = World::start(WorldOptions::default()).await;
    let event = json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-20T11:00:00Z", "region": "ap-southeast-1",
        "resources": ["arn:aws:events:ap-southeast-1:123456789012:rule/exportsync-1800"],
        "detail": {}
    });
    let report = world.invoke(event).await.response().clone();
    assert_ok_report(&report, "2026-11-19", "2026-11-20");
    assert_sheets_hold(&world, "2026-11-19", "2026-11-20");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_input_then_empty_event_in_one_warm_container() {
    let world = World::start(WorldOptions::default()).await;
    let input = json!({"trigger": "schedule-0800", "scheduled_time": "2026-11-21T01:00:00Z"});
    let report = world.invoke(input).await.response().clone();
    assert_ok_report(&report, "2026-11-20", "2026-11-21");
    let after_first = world.tmp_entries();
    let calls_after_first = world.secrets.calls();
    assert_eq!(world.sheets.counts().token, 1);

    // `{}` (a console test event): the default window ends today, whatever today is; the
    // overlapping day is unchanged and nothing is duplicated.
    let report = world.invoke(json!({})).await.response().clone();
    assert_eq!(report["status"], "ok", "{report:#}");
    // Warm invocation: the secret came from the cache, the Sheets client (and its token) was
    // reused, and nothing piled up in /tmp.
    assert_eq!(
        world.secrets.calls(),
        calls_after_first,
        "secret fetched again"
    );
    assert_eq!(
        world.sheets.counts().token,
        1,
        "one access token for both invocations"
    );
    assert_eq!(world.tmp_entries(), after_first);
    assert!(world.tmp_entries().is_empty(), "{:?}", world.tmp_entries());
    // One process served both: it asked for the next event after each (the third ask may
    // still be on its way).
    for _ in 0..50 {
        if world.api.next_calls() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        world.api.next_calls(),
        3,
        "two invocations, then waiting for the next"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_backfill_of_some_exports() {
    let world = World::start(WorldOptions::default()).await;
    let event =
        json!({"from": "2026-10-01", "to": "2026-10-03", "exports": ["users", "coin_payments"]});
    let report = world.invoke(event).await.response().clone();
    assert_eq!(report["status"], "ok", "{report:#}");
    assert_eq!(report["exports"].as_array().unwrap().len(), 2);
    let (_, users) = export_rows("users", day("2026-10-01"), day("2026-10-03"), ROWS_PER_DAY);
    assert_eq!(world.sheet_rows("sim-users").len(), users.len());
    assert_eq!(export(&report, "users")["inserted"], users.len());
    // The others were not touched.
    assert_eq!(world.sheet_rows("sim-transactions").len(), 0);
    let requests = world.backend.stats();
    assert_eq!(requests.login_attempts, 1, "one login");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_reads_and_plans_but_writes_nothing() {
    let world = World::start(WorldOptions::default()).await;
    let event = json!({"from": "2026-11-01", "to": "2026-11-02", "dry_run": true});
    let report = world.invoke(event).await.response().clone();
    assert_eq!(report["status"], "ok", "{report:#}");
    assert_eq!(report["dry_run"], true);
    let (_, rows) = export_rows("users", day("2026-11-01"), day("2026-11-02"), ROWS_PER_DAY);
    assert_eq!(export(&report, "users")["inserted"], rows.len());
    assert_eq!(report["totals"]["write_requests"], 0);
    assert_eq!(world.sheets.counts().batch_update, 0);
    for id in ["sim-transactions", "sim-users"] {
        assert!(world.sheet_rows(id).is_empty());
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_event_is_an_invalid_event_error() {
    let world = World::start(WorldOptions::default()).await;
    let (error_type, body) = world
        .invoke(json!({"source": "aws.s3", "detail": {}}))
        .await
        .error()
        .clone_pair();
    assert_eq!(error_type, "InvalidEvent");
    let message = error_message(&body);
    assert!(message.contains("accepted events"), "{message}");
    assert!(message.contains("aws.scheduler"), "{message}");
    // Nothing was run.
    assert_eq!(world.backend.stats().login_attempts, 0);
    assert!(world.telegram.messages().is_empty());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_key_as_a_json_string_in_the_secret() {
    let world = World::start(WorldOptions {
        secret: SecretSetup::GoogleAsString,
        ..WorldOptions::default()
    })
    .await;
    let report = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await
        .response()
        .clone();
    assert_eq!(report["status"], "ok", "{report:#}");
    world.stop().await;
}

trait ClonePair {
    fn clone_pair(self) -> (String, Value);
}
impl ClonePair for (&str, &Value) {
    fn clone_pair(self) -> (String, Value) {
        (self.0.to_owned(), self.1.clone())
    }
}

// ---- failure paths -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_fails_every_export_with_one_login_and_a_screenshot() {
    let world = World::start(WorldOptions {
        backend: BackendOptions {
            rows_per_day: ROWS_PER_DAY,
            faults: Faults {
                reject_all_logins: true,
                ..Faults::default()
            },
            ..BackendOptions::default()
        },
        ..WorldOptions::default()
    })
    .await;
    let calls_before = world.secrets.calls();
    let (error_type, body) = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await
        .error()
        .clone_pair();
    assert_eq!(error_type, "ExportsFailed");
    let message = error_message(&body);
    assert!(message.contains("4 of 4 exports"), "{message}");
    assert!(message.contains("login failed"), "{message}");
    assert_eq!(
        world.backend.stats().login_attempts,
        1,
        "the login is not hammered"
    );
    // Telegram got the summary and the login page's screenshot, once for all four exports.
    assert_eq!(world.telegram.messages().len(), 1);
    let photos = world.telegram.photos();
    assert_eq!(photos.len(), 1, "the one login screenshot, once");
    assert!(photos[0].bytes.starts_with(b"\x89PNG"));
    // A refused login may mean a rotated password: the next invocation fetches the secret again.
    let _ = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await;
    assert!(
        world.secrets.calls() > calls_before + 1,
        "secret fetched again after the refusal"
    );
    // The failed runs' screenshots reach no log line: lambda_runtime logs the handler's error
    // whole, so it must stay small.
    let logs = world.stop().await;
    assert_log_lines_short(&logs);
}

/// No log line longer than a few KB (CloudWatch takes each as one event).
fn assert_log_lines_short(logs: &Logs) {
    for line in logs.stderr.lines().chain(logs.stdout.lines()) {
        assert!(
            line.len() <= 4096,
            "a log line of {} bytes: {}...",
            line.len(),
            &line[..line.char_indices().nth(300).map_or(line.len(), |(i, _)| i)]
        );
    }
    assert!(
        logs.stderr.contains("run finished") || logs.stdout.contains("run finished"),
        "the logs were captured"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_export_fails_the_invocation_and_the_others_land() {
    let world = World::start(WorldOptions {
        backend: BackendOptions {
            rows_per_day: ROWS_PER_DAY,
            faults: Faults {
                fail_export: Some("users".into()),
                ..Faults::default()
            },
            ..BackendOptions::default()
        },
        ..WorldOptions::default()
    })
    .await;
    let (error_type, body) = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-06"}))
        .await
        .error()
        .clone_pair();
    assert_eq!(error_type, "ExportsFailed");
    let message = error_message(&body);
    assert!(
        message.starts_with("1 of 4 exports did not complete: users"),
        "{message}"
    );
    assert!(message.contains("HTTP 500"), "{message}");
    for (name, id) in [
        ("transactions", "sim-transactions"),
        ("point_transactions", "sim-point-transactions"),
        ("coin_payments", "sim-coin-payments"),
    ] {
        let (_, rows) = export_rows(name, day("2026-11-05"), day("2026-11-06"), ROWS_PER_DAY);
        assert_eq!(world.sheet_rows(id).len(), rows.len(), "{name} landed");
    }
    assert!(world.sheet_rows("sim-users").is_empty());
    let text = &world.telegram.messages()[0].text;
    assert!(
        text.contains("users") && text.contains("transactions"),
        "{text}"
    );
    assert_eq!(
        world.telegram.photos().len(),
        1,
        "the failed export's screenshot"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sheets_429_storm_is_waited_out() {
    let world = World::start(WorldOptions::default()).await;
    world.sheets.inject(Fault {
        kind: None,
        status: 429,
        times: 6,
        retry_after: Some(1),
        timing: Default::default(),
        skip: 0,
    });
    let report = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await
        .response()
        .clone();
    assert_eq!(report["status"], "ok", "{report:#}");
    assert_eq!(world.sheets.pending_faults(), 0, "every 429 was answered");
    assert_sheets_hold(&world, "2026-11-05", "2026-11-05");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_down_or_rate_limited_never_fails_the_run() {
    let world = World::start(WorldOptions::default()).await;
    world.telegram.set_down(true);
    let report = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await
        .response()
        .clone();
    assert_eq!(report["status"], "ok", "{report:#}");
    assert_eq!(report["telegram"]["status"], "failed", "{report:#}");
    let why = report["telegram"]["error"].as_str().unwrap();
    assert!(
        !why.contains(BOT_TOKEN) && !why.contains("AAH-bot"),
        "{why}"
    );

    world.telegram.set_down(false);
    world.telegram.fail_next(1, 0);
    let report = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await
        .response()
        .clone();
    assert_eq!(report["telegram"]["status"], "sent", "{report:#}");
    assert_eq!(
        world.telegram.messages().len(),
        1,
        "delivered once after the 429"
    );
    let answers: Vec<u16> = world.telegram.answers().iter().map(|a| a.status).collect();
    assert!(
        answers.ends_with(&[429, 200]),
        "the 429 was answered, then the retry delivered: {answers:?}"
    );
    let logs = world.stop().await;
    assert!(!logs.stderr.contains("AAH-bot") && !logs.stdout.contains("AAH-bot"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_missing_malformed_or_denied_are_clear_errors() {
    for (setup, says) in [
        (SecretSetup::Missing, "not found"),
        (
            SecretSetup::Text("{\"backend\": {\"email\": \"a\", \"password\": ".into()),
            "JSON",
        ),
        (SecretSetup::Denied, "denied"),
    ] {
        let world = World::start(WorldOptions {
            secret: setup,
            ..WorldOptions::default()
        })
        .await;
        let (error_type, body) = world.invoke(json!({})).await.error().clone_pair();
        assert_eq!(error_type, "SecretsUnavailable", "{body}");
        let message = error_message(&body);
        assert!(
            message.to_lowercase().contains(&says.to_lowercase()),
            "{message}"
        );
        assert!(message.contains(SECRET_ID), "names the secret: {message}");
        assert_eq!(world.backend.stats().login_attempts, 0, "nothing ran");
        world.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_too_short_skips_the_exports_and_still_reports() {
    let world = World::start(WorldOptions::default()).await;
    // Lambda gives 15 s; 20 s are kept for reporting: no export may start.
    let (error_type, body) = world
        .api
        .invoke(json!({}), Duration::from_secs(15), Duration::from_secs(60))
        .await
        .error()
        .clone_pair();
    assert_eq!(error_type, "ExportsFailed");
    let message = error_message(&body);
    assert!(message.contains("4 of 4 exports"), "{message}");
    assert!(message.contains("skipped"), "{message}");
    assert_eq!(
        world.backend.stats().login_attempts,
        0,
        "the browser was not started"
    );
    assert_eq!(world.telegram.messages().len(), 1, "the skip is reported");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_any_output_at_trace_level() {
    let world = World::start(WorldOptions {
        rust_log: "trace",
        ..WorldOptions::default()
    })
    .await;
    let mut outputs = Vec::new();
    // A passing run, then a failing one (the backend rejects the login).
    let ok = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await;
    outputs.push(ok.response().to_string());
    world.backend.set_faults(Faults {
        reject_all_logins: true,
        ..Faults::default()
    });
    let failed = world
        .invoke(json!({"from": "2026-11-05", "to": "2026-11-05"}))
        .await;
    outputs.push(failed.error().1.to_string());
    for m in world.telegram.messages() {
        outputs.push(m.text.clone());
    }
    for p in world.telegram.photos() {
        outputs.push(p.caption.clone());
    }
    let key = world.sheets.service_account_key();
    let logs = world.stop().await;
    outputs.push(logs.stdout);
    outputs.push(logs.stderr);
    let private_key_body: String = key
        .private_key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for text in &outputs {
        for secret in [
            exportsync::sim::backend::DEMO_PASSWORD,
            BOT_TOKEN,
            "AAH-bot-token",
            &private_key_body[..40],
            "test-only-secret-access-key",
        ] {
            if let Some(at) = text.find(secret) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(300)
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
                let head: String = text[line_start..].chars().take(300).collect();
                panic!(
                    "a secret leaked: ...{} (line starts: {head})",
                    &text[from..at]
                );
            }
        }
    }
}

// ---- the end of the budget, the container's setup, the harness itself ---------------------

/// A TCP listener on 127.0.0.1 that accepts connections and never answers.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_telegram_cannot_push_the_invocation_past_its_deadline() {
    let (silent, task) = silent_server().await;
    let world = World::start(WorldOptions {
        env: vec![("TELEGRAM_API_BASE_URL".into(), silent)],
        ..WorldOptions::default()
    })
    .await;
    let budget = Duration::from_secs(8);
    let started = std::time::Instant::now();
    let outcome = world
        .api
        .invoke(json!({}), budget, Duration::from_secs(60))
        .await;
    let took = started.elapsed();
    let (error_type, _) = outcome.error();
    assert_eq!(error_type, "ExportsFailed");
    assert!(
        took + Duration::from_secs(1) < budget,
        "answered after {took:?} of a {budget:?} budget"
    );
    let logs = world.stop().await;
    let report_at = logs
        .stderr
        .find("run finished")
        .expect("the report is logged");
    let telegram_at = logs
        .stderr
        .find("telegram summary not fully delivered")
        .expect("Telegram's failure is logged");
    assert!(
        report_at < telegram_at,
        "the report is logged before Telegram is tried"
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secrets_ttl_of_zero_fetches_the_secret_for_every_invocation() {
    let world = World::start(WorldOptions {
        env: vec![("EXPORTSYNC_SECRETS_TTL_SECS".into(), "0".into())],
        ..WorldOptions::default()
    })
    .await;
    let event = json!({"from": "2026-11-05", "to": "2026-11-05", "exports": ["coin_payments"]});
    let before = world.secrets.calls();
    world.invoke(event.clone()).await.response();
    let after_first = world.secrets.calls();
    assert!(after_first > before);
    world.invoke(event).await.response();
    assert!(world.secrets.calls() > after_first, "fetched again at once");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_problems_fail_every_invocation_with_a_clear_error() {
    for (env, value, error_type, says) in [
        (
            "EXPORTSYNC_SECRETS_TTL_SECS",
            "five",
            "SecretsUnavailable",
            "EXPORTSYNC_SECRETS_TTL_SECS must be a whole number of seconds",
        ),
        (
            "EXPORTSYNC_SECRET_ID",
            "",
            "SecretsUnavailable",
            "EXPORTSYNC_SECRET_ID is not set",
        ),
        (
            "EXPORTSYNC_CONFIG",
            "/nonexistent/exports.toml",
            "ConfigInvalid",
            "/nonexistent/exports.toml",
        ),
    ] {
        let world = World::start(WorldOptions {
            env: vec![(env.into(), value.into())],
            ..WorldOptions::default()
        })
        .await;
        // The container stays up: each invocation says what is wrong (so alarms see it).
        for _ in 0..2 {
            let outcome = world
                .api
                .invoke(json!({}), Duration::from_secs(900), Duration::from_secs(30))
                .await;
            let (got, body) = outcome.error();
            assert_eq!(got, error_type, "{env}={value}: {body}");
            let message = error_message(body);
            assert!(message.contains(says), "{env}={value}: {message}");
        }
        assert_eq!(world.backend.stats().login_attempts, 0, "nothing ran");
        world.stop().await;
    }
}

#[tokio::test]
async fn the_runtime_api_fake_fails_a_bad_error_post_at_once() {
    let api = std::sync::Arc::new(runtime_api::RuntimeApi::start().await);
    let host = api.host();
    let invoking = {
        let api = api.clone();
        tokio::spawn(async move {
            api.invoke(json!({}), Duration::from_secs(60), Duration::from_secs(10))
                .await
        })
    };
    exportsync::tls::install_crypto_provider();
    let http = reqwest::Client::new();
    let next = http
        .get(format!("http://{host}/2018-06-01/runtime/invocation/next"))
        .send()
        .await
        .unwrap();
    let id = next.headers()["Lambda-Runtime-Aws-Request-Id"]
        .to_str()
        .unwrap()
        .to_owned();
    let status = http
        .post(format!(
            "http://{host}/2018-06-01/runtime/invocation/{id}/error"
        ))
        .body(r#"{"errorType": "X", "errorMessage": "no header"}"#)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    match invoking.await.unwrap() {
        Outcome::Protocol(why) => {
            assert!(why.contains("Lambda-Runtime-Function-Error-Type"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_leak_check_sees_a_chromium_grandchild() {
    // A shell whose child calls itself chromium, as a browser left behind would (the name is
    // put together by the shell, so that the shell's own command line does not match).
    let mut shell = std::process::Command::new("bash")
        .args(["-c", r#"(exec -a "${N}mium-left-behind" sleep 30) & wait"#])
        .env("N", "chro")
        .spawn()
        .unwrap();
    // Looked for under the shell only: other tests in this binary run real Chromium under this
    // process at the same time, and those must be neither reported here nor killed.
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen = chromium_descendants_of(shell.id());
        if !seen.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for entry in &seen {
        let pid = entry.split(':').next().unwrap();
        let _ = std::process::Command::new("kill").arg(pid).status();
    }
    let _ = shell.kill();
    let _ = shell.wait();
    assert!(
        seen.iter().any(|p| p.contains("chromium-left-behind")),
        "{seen:?}"
    );
}
