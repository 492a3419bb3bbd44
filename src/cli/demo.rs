//! `exportsync demo`: the whole job on this machine with nothing configured. Starts the
//! simulated backend panel, the Sheets API emulator and a Telegram fake on loopback, runs the
//! job twice over the same window (the second run writes nothing), and prints the reports, the
//! Telegram messages and the first rows of each sheet. Needs only Chromium.

use std::process::ExitCode;
use std::time::Duration;

use crate::config::Config;
use crate::report::RunStatus;
use crate::run::{self, Endpoints, RunRequest, Services};
use crate::sim::backend::{BackendOptions, BackendSim};
use crate::sim::sheets::{SheetsSim, SheetsSimOptions};
use crate::sim::telegram::{TelegramSim, TelegramSimOptions};
use crate::store::{RunStore, StoreLocation};

/// The configuration the demo runs: `examples/sim.toml`, pointed at the simulator.
const DEMO_CONFIG: &str = include_str!("../../examples/sim.toml");
const DEMO_BOT_TOKEN: &str = "123456:demo-token-not-a-secret";
const DEMO_CHAT_ID: &str = "-1001234567890";

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Rows the simulated backend generates per day and export.
    #[arg(long, default_value_t = 5)]
    pub rows_per_day: usize,
    /// Sheet rows to print per export.
    #[arg(long, default_value_t = 3)]
    pub show_rows: usize,
    /// Print both run reports as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Keep the runs' files and reports here (s3://BUCKET/PREFIX, a folder, or none).
    /// Default: a temporary folder, deleted at the end.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let backend = BackendSim::start(BackendOptions {
        rows_per_day: args.rows_per_day,
        ..BackendOptions::default()
    })
    .await?;
    let mut config = Config::from_str(DEMO_CONFIG, "examples/sim.toml")?;
    config.backend.base_url = Some(backend.base_url());
    let spreadsheets: Vec<String> = config
        .exports
        .iter()
        .filter_map(|e| e.spreadsheet_id.clone())
        .collect();
    let sheets = SheetsSim::start(SheetsSimOptions {
        spreadsheets: spreadsheets.clone(),
    })
    .await?;
    let telegram = TelegramSim::start(TelegramSimOptions {
        token: DEMO_BOT_TOKEN.to_owned(),
        ..TelegramSimOptions::default()
    })
    .await?;
    println!("simulated backend panel: {}", backend.base_url());
    println!("Sheets API emulator:     {}", sheets.base_url());
    println!("Telegram Bot API fake:   {}", telegram.base_url());

    let secrets = crate::sim::secrets(&sheets, DEMO_BOT_TOKEN, DEMO_CHAT_ID)?;
    let temp_store = tempfile::Builder::new()
        .prefix("exportsync-demo-store-")
        .tempdir()?;
    let location = match &args.store {
        Some(url) => StoreLocation::parse(url, &std::env::current_dir()?)
            .map_err(|why| anyhow::anyhow!("--store {why}"))?,
        None => StoreLocation::Local(temp_store.path().to_path_buf()),
    };
    println!("run store:               {location}");
    let services = Services::new(Endpoints {
        sheets: Some(sheets.base_url()),
        telegram: Some(telegram.base_url()),
    })?
    .with_store(RunStore::open(&location)?);

    let mut all_ok = true;
    let mut reports = Vec::new();
    for (n, title) in [
        (1, "first run"),
        (2, "second run, same window: nothing to write"),
    ] {
        let outcome = run::run(
            &config,
            &secrets,
            "the demo secrets",
            &services,
            RunRequest::now(Duration::from_secs(600)),
            &|_| {},
        )
        .await?;
        let report = outcome.report;
        all_ok &= report.status == RunStatus::Ok;
        if args.json {
            reports.push(report);
        } else {
            println!("\n== {title} ==");
            print!("{}", crate::report::terminal::render(&report));
            if n == 2 {
                println!(
                    "write requests in the second run: {}",
                    report.totals.write_requests
                );
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        println!("\n== Telegram messages (HTML) ==");
        for m in telegram.messages() {
            println!("--- to {} ---\n{}", m.chat_id, m.text);
        }
        println!("\n== the sheets ==");
        for export in &config.exports {
            let Some(id) = &export.spreadsheet_id else {
                continue;
            };
            let Some(state) = sheets.state(id) else {
                continue;
            };
            for tab in &state.tabs {
                println!(
                    "{} -> spreadsheet {id}, tab {:?}: {} data rows",
                    export.name,
                    tab.title,
                    tab.rows.len().saturating_sub(1)
                );
                for row in tab.rows.iter().take(args.show_rows + 1) {
                    let cells: Vec<String> = row
                        .iter()
                        .map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            serde_json::Value::Null => String::new(),
                            other => other.to_string(),
                        })
                        .collect();
                    println!("  {}", cells.join(" | "));
                }
            }
        }
    }
    telegram.shutdown().await;
    sheets.shutdown().await;
    backend.shutdown().await;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
