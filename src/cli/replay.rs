//! `exportsync replay`: re-reads the raw files earlier runs stored, with today's parser and
//! today's export options, and upserts them; no browser, no panel. Reports like `run`
//! (Telegram included, marked REPLAY). Exit status 1 when a file failed.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;

use crate::config::Config;
use crate::report::RunStatus;
use crate::run::replay::{ReplayRequest, ReplaySelection};
use crate::run::{self, Budget, Endpoints, Progress, Services};
use crate::secrets::{SecretSourceArgs, SecretsProvider};
use crate::store::RunId;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("runs").required(true).args(["run", "from"])))]
pub struct ReplayArgs {
    /// The stored run to replay (its id, as `exportsync history` shows it).
    #[arg(long, value_name = "RUN ID", value_parser = parse_run_id, conflicts_with_all = ["from", "to"])]
    pub run: Option<RunId>,
    /// Replay every run that started on or after this day (in the configured time zone).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "to")]
    pub from: Option<NaiveDate>,
    /// ... and on or before this day.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "from")]
    pub to: Option<NaiveDate>,
    /// Replay only this export (repeatable). Default: every enabled export.
    #[arg(long = "only", value_name = "NAME")]
    pub only: Vec<String>,
    /// Read and plan, but write nothing to the sheets.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The export definitions (today's options are used).
    #[arg(long, value_name = "FILE", default_value = "exports.toml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub secrets: SecretSourceArgs,
    #[command(flatten)]
    pub store: super::store::StoreArgs,
    /// Give up starting new work after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub timeout: u64,
}

fn parse_run_id(text: &str) -> Result<RunId, String> {
    text.trim().parse()
}

pub async fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let selection = match (&args.run, args.from, args.to) {
        (Some(id), _, _) => ReplaySelection::Run(id.clone()),
        (None, Some(from), Some(to)) if from <= to => ReplaySelection::Between { from, to },
        (None, Some(from), Some(to)) => {
            anyhow::bail!("--from {from} is after --to {to}")
        }
        _ => anyhow::bail!("give --run RUN_ID, or --from and --to"),
    };
    let store = args.store.open(Some(&config))?;
    let source = args.secrets.source()?;
    let provider = SecretsProvider::new(source, crate::secrets::DEFAULT_TTL).await?;
    let secrets = provider.get().await?;
    let services = Services::new(Endpoints::default())?.with_store(store);
    let request = ReplayRequest {
        selection,
        only: args.only.clone(),
        dry_run: args.dry_run,
        budget: Budget::after(Duration::from_secs(args.timeout)),
        request_id: None,
    };
    let show_progress = std::io::stderr().is_terminal();
    let progress = move |p: Progress<'_>| {
        if show_progress {
            super::run::print_progress(&p);
        }
    };
    let outcome = run::replay::replay(
        &config,
        &secrets,
        provider.origin(),
        &services,
        request,
        &progress,
    )
    .await?;
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
