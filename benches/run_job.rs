//! The figures of the run issue, on release builds: (1) process start of `exportsync lambda`
//! to its first `GET /invocation/next` (Chromium is not started until an invocation arrives);
//! (2) the whole job, 4 exports x 1,000 rows, upserts into the Sheets emulator and the Telegram
//! summary, in process; (3) the peak resident memory of the `exportsync run` process itself
//! (VmHWM; Chromium's processes apart) on the same job; (4) what the run store adds to the demo
//! job (4 exports x 5 rows a day, `exportsync demo`'s size): runs with the store off and with a
//! local-folder store alternate, each pair on a new day, and the medians are compared (goal: at
//! most 5% more); with `MOTO_SERVER` set, an S3 store on moto is timed the same way. Seven runs
//! each; medians. Run: `cargo bench --bench run_job` (`EXPORTSYNC_BENCH=store` for (4) alone).

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use exportsync::config::Config;
use exportsync::run::{self, Endpoints, RunRequest, Services};
use exportsync::sim::backend::{BackendOptions, BackendSim};
use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
use exportsync::sim::telegram::{TelegramSim, TelegramSimOptions};
use exportsync::store::{AwsVars, RunStore, StoreLocation};

const RUNS: usize = 7;
const ROWS: usize = 1000;
const TOKEN: &str = "1:bench-token";

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_exportsync");
    let only_store = std::env::var("EXPORTSYNC_BENCH").is_ok_and(|v| v == "store");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    if !only_store {
        startup(bin);
        runtime.block_on(job_and_memory(bin));
    }
    runtime.block_on(store_overhead());
}

/// The demo job with the store off, in a folder, and (with `MOTO_SERVER`) in S3 on moto.
async fn store_overhead() {
    const DEMO_ROWS: usize = 5;
    let backend = BackendSim::start(BackendOptions {
        rows_per_day: DEMO_ROWS,
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut config =
        Config::from_str(include_str!("../examples/sim.toml"), "examples/sim.toml").unwrap();
    config.backend.base_url = Some(backend.base_url());
    let ids: Vec<String> = config
        .exports
        .iter()
        .filter_map(|e| e.spreadsheet_id.clone())
        .collect();
    let sheets = SheetsSim::start(SheetsSimOptions { spreadsheets: ids })
        .await
        .unwrap();
    let telegram = TelegramSim::start(TelegramSimOptions {
        token: TOKEN.into(),
        ..TelegramSimOptions::default()
    })
    .await
    .unwrap();
    let secrets = exportsync::sim::secrets(&sheets, TOKEN, "1").expect("the simulators' secrets");
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<(&str, Option<RunStore>)> = vec![
        ("off", None),
        (
            "folder",
            RunStore::open(&StoreLocation::Local(dir.path().join("store"))).unwrap(),
        ),
    ];
    let moto = start_moto().await;
    if let Some((_, endpoint)) = &moto {
        let vars = AwsVars::from_pairs([
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "bench"),
            ("AWS_SECRET_ACCESS_KEY", "bench"),
        ]);
        let location = StoreLocation::S3 {
            bucket: "bench".into(),
            prefix: "exportsync".into(),
        };
        stores.push(("s3 (moto)", RunStore::open_with(&location, &vars).unwrap()));
    }
    let services: Vec<(&str, Services)> = stores
        .into_iter()
        .map(|(name, store)| {
            let services = Services::new(Endpoints {
                sheets: Some(sheets.base_url()),
                telegram: Some(telegram.base_url()),
            })
            .unwrap()
            .with_store(store);
            (name, services)
        })
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); services.len()];
    let first = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    // One warm-up run, then RUNS rounds; in each round every variant runs once, on its own
    // new day (fresh inserts, like the demo's first run), in rotating order.
    let mut day_no = 0u64;
    for round in 0..=RUNS {
        for k in 0..services.len() {
            let v = (k + round) % services.len();
            let (name, services) = &services[v];
            let day = first.checked_add_days(Days::new(day_no)).unwrap();
            day_no += 1;
            let request = RunRequest {
                from: Some(day),
                to: Some(day),
                ..RunRequest::now(Duration::from_secs(600))
            };
            let started = Instant::now();
            let outcome = run::run(&config, &secrets, "bench", services, request, &|_| {})
                .await
                .unwrap();
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(outcome.report.totals.failed, 0, "{name}");
            if *name != "off" {
                let store = outcome.report.store.as_ref().expect("stored");
                assert_eq!(store.files, 4, "{name}: {:?}", store.errors);
            }
            if round > 0 {
                times[v].push(seconds);
            }
        }
    }
    let (off, _, _) = median(times[0].clone());
    println!(
        "run store, the demo job (4 exports x {DEMO_ROWS} rows), {RUNS} runs each, alternating:"
    );
    for ((name, _), t) in services.iter().zip(times) {
        let (m, lo, hi) = median(t);
        println!(
            "  store {name:10} median {m:.3} s (min {lo:.3}, max {hi:.3}), {:.3}x the store off{}",
            m / off,
            if *name == "off" {
                ""
            } else {
                ", goal <= 1.05x"
            }
        );
    }
    if let Some((mut child, _)) = moto {
        let _ = child.kill();
        let _ = child.wait();
    }
    telegram.shutdown().await;
    sheets.shutdown().await;
    backend.shutdown().await;
}

/// `$MOTO_SERVER` on a free port with a `bench` bucket, when set.
async fn start_moto() -> Option<(std::process::Child, String)> {
    let program = std::env::var("MOTO_SERVER")
        .ok()
        .filter(|p| !p.is_empty())?;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = std::env::temp_dir();
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    exportsync::tls::install_crypto_provider();
    let put = reqwest::Client::new()
        .put(format!("{endpoint}/bench"))
        .send()
        .await
        .ok()?;
    assert!(put.status().is_success(), "moto: create bucket");
    Some((child, endpoint))
}

/// Process start to the first Runtime API request.
fn startup(bin: &str) {
    let mut times = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exports.toml");
    std::fs::write(&config, include_str!("../examples/sim.toml")).unwrap();
    for _ in 0..RUNS {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let started = Instant::now();
        let mut child = Command::new(bin)
            .arg("lambda")
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "exportsync")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("EXPORTSYNC_CONFIG", &config)
            .env("EXPORTSYNC_SECRET_ID", "bench")
            .env("AWS_REGION", "ap-southeast-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start exportsync lambda");
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 256];
        let n = stream.read(&mut buf).unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        assert!(
            String::from_utf8_lossy(&buf[..n])
                .starts_with("GET /2018-06-01/runtime/invocation/next"),
            "the first request is for the next invocation"
        );
        times.push(elapsed * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    let (m, lo, hi) = median(times);
    println!(
        "process start -> first /invocation/next: median {m:.1} ms (min {lo:.1}, max {hi:.1}), goal <= 100 ms"
    );
}

async fn job_and_memory(bin: &str) {
    let backend = BackendSim::start(BackendOptions {
        rows_per_day: ROWS,
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut config =
        Config::from_str(include_str!("../examples/sim.toml"), "examples/sim.toml").unwrap();
    config.backend.base_url = Some(backend.base_url());
    let ids: Vec<String> = config
        .exports
        .iter()
        .filter_map(|e| e.spreadsheet_id.clone())
        .collect();
    let sheets = SheetsSim::start(SheetsSimOptions { spreadsheets: ids })
        .await
        .unwrap();
    let telegram = TelegramSim::start(TelegramSimOptions {
        token: TOKEN.into(),
        ..TelegramSimOptions::default()
    })
    .await
    .unwrap();
    let secrets = exportsync::sim::secrets(&sheets, TOKEN, "1").expect("the simulators' secrets");
    let services = Services::new(Endpoints {
        sheets: Some(sheets.base_url()),
        telegram: Some(telegram.base_url()),
    })
    .unwrap();
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut totals = Vec::new();
    for i in 0..RUNS as u64 {
        // A new day each run: every run inserts 4 x 1,000 fresh rows.
        let day = first.checked_add_days(Days::new(i)).unwrap();
        let request = RunRequest {
            from: Some(day),
            to: Some(day),
            ..RunRequest::now(Duration::from_secs(600))
        };
        let started = Instant::now();
        let outcome = run::run(&config, &secrets, "bench", &services, request, &|_| {})
            .await
            .unwrap();
        totals.push(started.elapsed().as_secs_f64());
        assert_eq!(
            outcome.report.totals.failed,
            0,
            "{:?}",
            outcome.report.not_ok()
        );
        assert_eq!(outcome.report.totals.inserted, outcome.report.totals.rows);
    }
    let (m, lo, hi) = median(totals);
    println!(
        "whole job, 4 exports x {ROWS} rows, upserts + Telegram: median {m:.2} s (min {lo:.2}, max {hi:.2}), goal <= 4 s"
    );

    // Peak memory of the exportsync process itself, as a CLI run against the same servers.
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("exports.toml");
    std::fs::write(
        &config_path,
        include_str!("../examples/sim.toml").replace("http://127.0.0.1:8080", &backend.base_url()),
    )
    .unwrap();
    let secrets_path = dir.path().join("secrets.json");
    std::fs::write(
        &secrets_path,
        exportsync::sim::secrets_document(&sheets, TOKEN, "1").to_string(),
    )
    .unwrap();
    let mut peaks = Vec::new();
    for i in 0..RUNS as u64 {
        let day = first.checked_add_days(Days::new(100 + i)).unwrap();
        let mut child = tokio::process::Command::new(bin)
            .args(["run", "--json", "--config"])
            .arg(&config_path)
            .arg("--secrets-file")
            .arg(&secrets_path)
            .args(["--from", &day.to_string(), "--to", &day.to_string()])
            .env("SHEETS_API_BASE_URL", sheets.base_url())
            .env("TELEGRAM_API_BASE_URL", telegram.base_url())
            .env("EXPORTSYNC_STORE", dir.path().join("store"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        let mut peak_kb = 0u64;
        loop {
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
            {
                let kb: u64 = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                peak_kb = peak_kb.max(kb);
            }
            tokio::select! {
                status = child.wait() => {
                    assert!(status.unwrap().success(), "exportsync run failed");
                    break;
                }
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
        peaks.push(peak_kb as f64 / 1024.0);
    }
    let (m, lo, hi) = median(peaks);
    println!(
        "exportsync run process peak RSS (VmHWM, Chromium apart), 4 x {ROWS} rows: median {m:.1} MB (min {lo:.1}, max {hi:.1}), goal <= 100 MB"
    );
    let _ = Utc::now();
    telegram.shutdown().await;
    sheets.shutdown().await;
    backend.shutdown().await;
}
