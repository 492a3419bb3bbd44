//! `exportsync history`: the recent runs per export from the run store, with a row-count
//! sparkline per export (or `--json`). The configuration is optional here: when it exists it
//! gives the store and the time zone; else the store flag, its variable or the default, and
//! UTC. Exit status 2 when the history cannot be shown (the store, a flag or the
//! configuration is wrong); an empty store is not an error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;
use crate::report::history;
use crate::store::{RunStore, StoreLocation, StoredRun};

/// The default configuration file, read only when it exists.
const DEFAULT_CONFIG: &str = "exports.toml";
/// How long reading the store may take in all.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Show only this export's runs.
    #[arg(long, value_name = "NAME")]
    pub export: Option<String>,
    /// How many of the newest runs to read (1 to 200).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=200))]
    pub last: u16,
    /// Print the runs as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The configuration giving `[store] url` and `[defaults] timezone` (default: exports.toml,
    /// when it exists; else UTC).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub store: super::store::StoreArgs,
}

pub async fn run(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    match show(&args).await {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn show(args: &HistoryArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let location = args.store.location(config.as_ref())?;
    let url = location.to_string();
    let tz = config
        .as_ref()
        .map_or(chrono_tz::UTC, |c| c.defaults.timezone);
    let runs = read(&location, usize::from(args.last)).await?;
    let runs = match &args.export {
        Some(name) if !runs.is_empty() => history::only_export(runs, name, &url)?,
        _ => runs,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&history::to_json(&runs, &url))?
        );
    } else {
        print!("{}", history::render(&runs, &url, tz));
    }
    Ok(())
}

/// `--config FILE` must exist; the default is read only when it does.
fn load_config(given: Option<&Path>) -> anyhow::Result<Option<Config>> {
    let path = match given {
        Some(path) => path,
        None if Path::new(DEFAULT_CONFIG).exists() => Path::new(DEFAULT_CONFIG),
        None => return Ok(None),
    };
    Ok(Some(Config::load(path)?))
}

/// The newest `last` runs with their reports, newest first. A folder that does not exist yet
/// has none (and is not created); a report that cannot be read is left out with a warning.
async fn read(location: &StoreLocation, last: usize) -> anyhow::Result<Vec<StoredRun>> {
    match location {
        StoreLocation::Off => anyhow::bail!(
            "the run store is off (none), so there is no history; give --store URL, set \
             EXPORTSYNC_STORE, or set [store] url in the configuration"
        ),
        StoreLocation::Local(dir) if !dir.exists() => return Ok(Vec::new()),
        _ => {}
    }
    let store = RunStore::open(location)?.context("the run store is off")?;
    let deadline = tokio::time::Instant::now() + READ_TIMEOUT;
    let (runs, errors) = store
        .until(deadline, "reading the history", async {
            let ids = store.newest_runs(last).await?;
            Ok(store.reports(&ids).await)
        })
        .await?;
    if runs.is_empty() {
        // Nothing readable: the first reason is the answer.
        return match errors.into_iter().next() {
            Some(first) => Err(first.into()),
            None => Ok(runs),
        };
    }
    for e in &errors {
        eprintln!("warning: {e}; left out");
    }
    Ok(runs)
}
