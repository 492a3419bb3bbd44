//! Wall time of one browser session against the simulated backend: Chromium launch, one login,
//! four exports of 1,000 rows each (one day at rows_per_day = 1000), close. Seven runs; prints
//! the median, min and max of the total and of each step. Run: `cargo bench --bench export_session`.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use exportsync::config::Config;
use exportsync::secrets::Secret;
use exportsync::sim::backend::{BackendOptions, BackendSim, DEMO_EMAIL, DEMO_PASSWORD};
use exportsync::source::{BackendCredentials, DateWindow, ExportSource};

const RUNS: usize = 7;
const EXPORTS: [&str; 4] = [
    "transactions",
    "point_transactions",
    "users",
    "coin_payments",
];

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
    });
}
