//! Wall time of one browser session against the simulated backend: Chromium launch, one login,
//! four exports of 1,000 rows each (one day at rows_per_day = 1000), close. Seven runs; prints
//! the median, min and max of the total and of each step. Then the same four exports with
//! server delays of 1.5 s, 0.2 s, 0.2 s and 0.1 s, with `parallel = 4` and `parallel = 1`
//! (seven runs each, alternating): both medians, their ratio, and the bound of issue 10
//! (launch + login + 1.5 s + 0.4 s), and the floor no run can beat (launch + login + 1.5 s) as a
//! share of the `parallel = 1` run. Launch counts until Chromium's first tab is ready. Run:
//! `cargo bench --bench export_session`.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use exportsync::config::Config;
use exportsync::secrets::Secret;
use exportsync::sim::backend::{BackendOptions, BackendSim, DEMO_EMAIL, DEMO_PASSWORD, Faults};
use exportsync::source::{BackendCredentials, DateWindow, ExportSource};

const RUNS: usize = 7;
const EXPORTS: [&str; 4] = [
    "transactions",
    "point_transactions",
    "users",
    "coin_payments",
];

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn stats(name: &str, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    println!(
        "{name:<22} median {median:>7.3} s   min {:>7.3} s   max {:>7.3} s",
        values[0],
        values[values.len() - 1]
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let options = BackendOptions {
            rows_per_day: 1000,
            ..BackendOptions::default()
        };
        let sim = BackendSim::start(options).await.expect("simulator starts");
        let mut config =
            Config::from_str(include_str!("../examples/sim.toml"), "examples/sim.toml")
                .expect("valid config");
        config.backend.base_url = Some(sim.base_url());
        let credentials = BackendCredentials {
            email: DEMO_EMAIL.into(),
            password: Secret::new(DEMO_PASSWORD.into()),
        };
        let source = ExportSource::new(&config, credentials).expect("source");
        let day = NaiveDate::from_ymd_opt(2024, 11, 20).unwrap();
        let window = DateWindow { from: day, to: day };
        let exports: Vec<_> = config.exports.iter().collect();

        let mut total = Vec::new();
        let mut launch = Vec::new();
        let mut login = Vec::new();
        let mut close = Vec::new();
        let mut per_export: Vec<Vec<f64>> = vec![Vec::new(); EXPORTS.len()];
        for run in 0..RUNS {
            let out = tempfile::tempdir().expect("temp dir");
            let started = Instant::now();
            let report = source.export_all(window, &exports, out.path()).await;
            let elapsed: Duration = started.elapsed();
            for outcome in &report.exports {
                if let Err(e) = &outcome.result {
                    panic!("run {run}: {}: {e}", outcome.name);
                }
            }
            total.push(elapsed.as_secs_f64());
            launch.push(report.launch_seconds);
            login.push(report.login_seconds);
            close.push(report.sessions[0].close_seconds);
            for (i, outcome) in report.exports.iter().enumerate() {
                per_export[i].push(outcome.result.as_ref().unwrap().seconds);
            }
            println!("run {}: total {:.3} s", run + 1, elapsed.as_secs_f64());
        }
        let rows = sim
            .stats()
            .exports
            .iter()
            .map(|r| r.rows)
            .max()
            .unwrap_or(0);
        println!("\nlaunch + login + four exports (up to {rows} rows each), {RUNS} runs:");
        stats("total (incl. close)", total);
        stats("launch", launch);
        stats("login", login);
        stats("close", close);
        for (name, values) in EXPORTS.iter().zip(per_export) {
            stats(name, values);
        }
        sim.shutdown().await;
        parallel_comparison().await;
    });
}

/// Server delays per export, as a panel that generates its files takes.
const DELAYS_MS: [(&str, u64); 4] = [
    ("transactions", 1500),
    ("point_transactions", 200),
    ("users", 200),
    ("coin_payments", 100),
];

/// The delayed exports with `parallel = 4` and `parallel = 1`, runs alternating so that both
/// see the same machine load.
async fn parallel_comparison() {
    let faults = Faults {
        export_delay: DELAYS_MS
            .iter()
            .map(|(name, ms)| (name.to_string(), Duration::from_millis(*ms)))
            .collect(),
        ..Faults::default()
    };
    let sim = BackendSim::start(BackendOptions {
        faults,
        ..BackendOptions::default()
    })
    .await
    .expect("simulator starts");
    let mut config = Config::from_str(include_str!("../examples/sim.toml"), "examples/sim.toml")
        .expect("valid config");
    config.backend.base_url = Some(sim.base_url());
    let day = NaiveDate::from_ymd_opt(2024, 11, 20).unwrap();
    let window = DateWindow { from: day, to: day };
    let mut totals: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut bounds = Vec::new();
    let mut floors = Vec::new();
    for run in 0..RUNS {
        for (slot, parallel) in [4, 1].into_iter().enumerate() {
            config.browser.parallel = parallel;
            let credentials = BackendCredentials {
                email: DEMO_EMAIL.into(),
                password: Secret::new(DEMO_PASSWORD.into()),
            };
            let source = ExportSource::new(&config, credentials).expect("source");
            let exports: Vec<_> = config.exports.iter().collect();
            let out = tempfile::tempdir().expect("temp dir");
            let started = Instant::now();
            let report = source.export_all(window, &exports, out.path()).await;
            let total = started.elapsed().as_secs_f64();
            assert!(report.all_ok(), "run {run}: {report:?}");
            // Launch, login and exports; closing the browser is not part of the bound.
            let close = report.sessions[0].close_seconds;
            totals[slot].push(total - close);
            if parallel == 4 {
                bounds.push(report.launch_seconds + report.login_seconds + 1.5 + 0.4);
                // No run can beat launch + login + the slowest export's server time.
                floors.push(report.launch_seconds + report.login_seconds + 1.5);
            }
            println!(
                "run {} parallel={parallel}: {:.3} s (launch {:.3} s, login {:.3} s, close {close:.3} s)",
                run + 1,
                total - close,
                report.launch_seconds,
                report.login_seconds
            );
        }
    }
    let (four, one) = (median(&totals[0]), median(&totals[1]));
    let bound = median(&bounds);
    let floor = median(&floors);
    println!(
        "\nserver delays 1.5/0.2/0.2/0.1 s, launch + login + exports (without close), {RUNS} runs each:"
    );
    stats("parallel = 4", totals[0].clone());
    stats("parallel = 1", totals[1].clone());
    println!(
        "ratio parallel 4 / parallel 1: {:.2} (target at most 0.60)\n\
         bound launch + login + 1.5 s + 0.4 s: median {bound:.3} s; parallel = 4 median {four:.3} s ({})\n\
         floor launch + login + 1.5 s (no browser work at all): median {floor:.3} s, {:.2} of parallel = 1",
        four / one,
        if four <= bound { "within" } else { "ABOVE" },
        floor / one,
    );
    sim.shutdown().await;
}
