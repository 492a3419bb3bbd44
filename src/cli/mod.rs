//! The command line: one subcommand per file. Each `run` returns the process exit code;
//! errors are printed once, here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(feature = "sim")]
pub mod demo;
pub mod export;
pub mod history;
pub mod inspect;
pub mod replay;
pub mod run;
#[cfg(feature = "sim")]
pub mod sim;
pub mod store;
pub mod upsert;

/// The days and exports of `run` and `export`.
#[derive(Debug, clap::Args)]
pub struct SelectionArgs {
    /// First day (YYYY-MM-DD). Default: `lookback_days` before --to.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<chrono::NaiveDate>,
    /// Last day (YYYY-MM-DD), inclusive. Default: today in the configured time zone.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<chrono::NaiveDate>,
    /// Run only this export (repeatable). Default: every enabled export.
    #[arg(long = "only", value_name = "NAME")]
    pub only: Vec<String>,
}

/// `--export NAME` and the configuration it is read from (`inspect`, `upsert`).
#[derive(Debug, clap::Args)]
pub struct ConfiguredExportArgs {
    /// Take this export's settings from the configuration (its table options, and for upsert
    /// its spreadsheet, tab and key columns); flags override them.
    #[arg(long, value_name = "NAME")]
    pub export: Option<String>,
    /// The configuration file `--export` reads.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "exports.toml",
        requires = "export"
    )]
    pub config: std::path::PathBuf,
}

impl ConfiguredExportArgs {
    /// The export `--export` names, from the configuration; `None` without `--export`.
    pub fn load(&self) -> anyhow::Result<Option<crate::config::ExportConfig>> {
        let Some(name) = &self.export else {
            return Ok(None);
        };
        let config = crate::config::Config::load(&self.config)?;
        Ok(Some(config.export_named(name, "--export")?.clone()))
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "exportsync",
    version,
    about = "Pull web-panel exports into Google Sheets"
)]
pub struct Cli {
    /// Write logs as JSON lines on stderr.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The scheduled job: download every export, upsert each into its sheet, report (and
    /// Telegram).
    Run(run::RunArgs),
    /// The whole job against bundled simulators on loopback (needs only Chromium).
    #[cfg(feature = "sim")]
    Demo(demo::DemoArgs),
    /// Serve the AWS Lambda Runtime API loop (the container image's entry point).
    #[cfg(feature = "lambda")]
    Lambda,
    /// Log in once and download exports from the backend into a folder.
    Export(export::ExportArgs),
    /// Show what exportsync reads from an export file: format, header, column types.
    Inspect(inspect::InspectArgs),
    /// Upsert an export file into a Google Sheets tab, keyed by columns.
    Upsert(upsert::UpsertArgs),
    /// Re-read stored raw files with today's parser and options and upsert them (no browser).
    Replay(replay::ReplayArgs),
    /// The recent runs per export from the run store, with a row-count trend.
    History(history::HistoryArgs),
    /// Run a loopback simulator (the backend panel or the Sheets API).
    #[cfg(feature = "sim")]
    Sim(sim::SimArgs),
}

pub fn main() -> ExitCode {
    // Inside Lambda the image's entry point may be the bare binary.
    #[cfg(feature = "lambda")]
    if std::env::args_os().len() == 1 && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return crate::lambda::handler::main();
    }
    let cli = Cli::parse();
    #[cfg(feature = "lambda")]
    if matches!(cli.command, Command::Lambda) {
        return crate::lambda::handler::main();
    }
    crate::logging::init_stderr(cli.log_json);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => run::run(args).await,
            #[cfg(feature = "sim")]
            Command::Demo(args) => demo::run(args).await,
            #[cfg(feature = "lambda")]
            Command::Lambda => unreachable!("handled before the runtime starts"),
            Command::Export(args) => export::run(args).await,
            Command::Inspect(args) => inspect::run(args).await,
            Command::Upsert(args) => upsert::run(args).await,
            Command::Replay(args) => replay::run(args).await,
            Command::History(args) => history::run(args).await,
            #[cfg(feature = "sim")]
            Command::Sim(args) => sim::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
