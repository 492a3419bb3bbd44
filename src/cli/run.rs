//! `exportsync run`: the scheduled job from a terminal. Downloads every selected export in one
//! browser session, upserts each into its sheet, sends the Telegram summary, and prints the run
//! report as a table (or JSON). Exit status 1 when an export failed or was skipped.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::config::Config;
use crate::report::{ExportStatus, RunStatus};
use crate::run::{self, Endpoints, Progress, RunRequest, Services};
use crate::secrets::{SecretSourceArgs, SecretsProvider};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: super::SelectionArgs,
    /// Download, read and plan, but write nothing to the sheets.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the run report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The export definitions.
    #[arg(long, value_name = "FILE", default_value = "exports.toml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub secrets: SecretSourceArgs,
    /// Override the backend base URL (staging servers, the simulator).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
    /// Show the browser window (to debug selectors).
    #[arg(long)]
    pub headful: bool,
    /// Exports downloaded at once, each in its own tab of the one login (overrides
    /// `[browser] parallel`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=crate::config::MAX_PARALLEL as i64))]
    pub parallel: Option<u8>,
    /// Keep failure screenshots in this folder.
    #[arg(long, value_name = "DIR", default_value = "exportsync-failures")]
    pub screenshots: PathBuf,
    /// Give up starting new work after this many seconds (the report is still sent).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub timeout: u64,
    #[command(flatten)]
    pub store: super::store::StoreArgs,
    /// Write exports whose header changed since the last stored run even where
    /// `on_header_change = "fail"` (once the change is known to be intended).
    #[arg(long)]
    pub accept_header_changes: bool,
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(&args.config)?;
    if args.headful {
        config.browser.headless = false;
    }
    if let Some(parallel) = args.parallel {
        config.browser.parallel = parallel.into();
    }
    let source = args.secrets.source()?;
    let provider = SecretsProvider::new(source, crate::secrets::DEFAULT_TTL).await?;
    let secrets = provider.get().await?;
    let services = Services::new(Endpoints::default())?.with_store(args.store.open(Some(&config))?);
    let request = RunRequest {
        from: args.selection.from,
        to: args.selection.to,
        only: args.selection.only.clone(),
        dry_run: args.dry_run,
        backend_url: args.backend_url.clone(),
        screenshots_dir: Some(args.screenshots.clone()),
        accept_header_changes: args.accept_header_changes,
        ..RunRequest::now(Duration::from_secs(args.timeout))
    };
    let show_progress = std::io::stderr().is_terminal();
    let progress = move |p: Progress<'_>| {
        if show_progress {
            print_progress(&p);
        }
    };
    let job = run::run(
        &config,
        &secrets,
        provider.origin(),
        &services,
        request,
        &progress,
    );
    let outcome = tokio::select! {
        outcome = job => outcome?,
        signal = super::export::interrupted() => {
            eprintln!("{signal}: stopped; the browser was closed and the run's files deleted");
            return Ok(ExitCode::from(130));
        }
    };
    let report = outcome.report;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::report::terminal::render(&report));
    }
    Ok(match report.status {
        RunStatus::Ok => ExitCode::SUCCESS,
        RunStatus::Failed => ExitCode::from(1),
    })
}

pub(super) fn print_progress(p: &Progress<'_>) {
    match p {
        Progress::SessionOpened {
            launch_seconds,
            login_seconds,
        } => eprintln!("browser ready: launch {launch_seconds:.2} s, login {login_seconds:.2} s"),
        Progress::Downloaded { export, error } => match error {
            None => eprintln!("{export}: downloaded"),
            Some(e) => eprintln!("{export}: download failed: {e}"),
        },
        Progress::Finished(line) => match line.status {
            ExportStatus::Ok => eprintln!(
                "{}: ok, {} rows: {} inserted, {} updated, {} unchanged ({:.1} s)",
                line.name,
                line.rows.unwrap_or(0),
                line.inserted,
                line.updated,
                line.unchanged,
                line.seconds
            ),
            ExportStatus::Failed => eprintln!(
                "{}: FAILED: {}",
                line.name,
                line.error.as_deref().unwrap_or("unknown error")
            ),
            ExportStatus::Skipped => eprintln!(
                "{}: skipped: {}",
                line.name,
                line.error.as_deref().unwrap_or("")
            ),
        },
    }
}
