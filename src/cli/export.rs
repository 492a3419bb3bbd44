//! `exportsync export`: log in once and download the selected exports for a date range into a
//! folder, printing one line (or one JSON object) per export. Exit status 1 when any failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::config::{Config, MAX_PARALLEL, check_base_url};
use crate::run::{WindowError, window};
use crate::secrets::{SecretSourceArgs, SecretsProvider};
use crate::source::{BackendCredentials, DateWindow, ExportSource, SourceReport};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub selection: super::SelectionArgs,
    /// Folder for the downloaded files (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Show the browser window (for debugging selectors).
    #[arg(long)]
    pub headful: bool,
    /// Run up to N exports at once, each in its own tab of the one browser and login (1-8).
    /// Overrides `[browser] parallel`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=MAX_PARALLEL as i64))]
    pub parallel: Option<u8>,
    /// The export definitions.
    #[arg(long, value_name = "FILE", default_value = "exports.toml")]
    pub config: PathBuf,
    /// Override the backend base URL (staging servers, the simulator).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
    /// The secrets document; only `backend.email` and `backend.password` are used here.
    #[command(flatten)]
    pub secrets: SecretSourceArgs,
    /// Print the result as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// One export in the `--json` output.
#[derive(Debug, Serialize)]
pub struct ExportLine {
    pub name: String,
    pub status: &'static str,
    pub file: Option<PathBuf>,
    pub bytes: Option<u64>,
    pub seconds: Option<f64>,
    pub error: Option<String>,
    pub screenshot: Option<PathBuf>,
    pub attempts: u32,
}

/// The whole `--json` output.
#[derive(Debug, Serialize)]
pub struct ExportJson {
    pub exports: Vec<ExportLine>,
    pub launch_seconds: f64,
    pub login_seconds: f64,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(&args.config)?;
    let selected: Vec<String> = config
        .select(&args.selection.only)?
        .iter()
        .map(|e| e.name.clone())
        .collect();
    if selected.is_empty() {
        anyhow::bail!("{}: no enabled export to run", config.origin);
    }
    let provider =
        SecretsProvider::new(args.secrets.source()?, crate::secrets::DEFAULT_TTL).await?;
    let secrets = provider.get().await?;
    let backend = secrets.backend(provider.origin())?;
    if let Some(url) = &args.backend_url {
        check_base_url(url).map_err(|why| anyhow::anyhow!("--backend-url \"{url}\" {why}"))?;
    }
    if args.backend_url.is_none()
        && config.backend.base_url.is_none()
        && let Some(url) = &backend.base_url
    {
        check_base_url(url).map_err(|why| {
            anyhow::anyhow!(
                "{}: field \"backend.base_url\": \"{url}\" {why}",
                provider.origin()
            )
        })?;
    }
    config.backend.base_url =
        config.base_url(args.backend_url.as_deref(), backend.base_url.as_deref());
    if args.headful {
        config.browser.headless = false;
    }
    if let Some(parallel) = args.parallel {
        config.browser.parallel = parallel.into();
    }
    let window = date_window(&config, args.selection.from, args.selection.to)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;

    let source = ExportSource::new(&config, BackendCredentials::from(backend))?;
    let exports: Vec<_> = config
        .exports
        .iter()
        .filter(|e| selected.contains(&e.name))
        .collect();
    tracing::info!(from = %window.from, to = %window.to, exports = ?selected, "exporting");
    let report = tokio::select! {
        report = source.export_all(window, &exports, &args.out) => report,
        signal = interrupted() => {
            // Dropping the export drops its browser session, which kills and reaps Chromium
            // and deletes the session's temporary directory.
            eprintln!(
                "{signal}: stopped; the browser was closed and its temporary files deleted \
                 (files already downloaded stay in {})",
                args.out.display()
            );
            return Ok(ExitCode::from(130));
        }
    };

    let json = to_json(&report);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_lines(&json, &args.out);
    }
    Ok(if report.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, naming which.
pub(crate) async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "interrupted",
                _ = term.recv() => "terminated",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "interrupted"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupted"
    }
}

/// The explicit range, else the last `lookback_days` up to today in the configured zone: the
/// run's rule ([`window::resolve`]), its errors worded with this command's flags.
fn date_window(
    config: &Config,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> anyhow::Result<DateWindow> {
    let timezone = config.defaults.timezone;
    let today = window::today_in(timezone, Utc::now());
    window::resolve(from, to, today, config.defaults.lookback_days, timezone).map_err(|e| match e {
        WindowError::Reversed { from, to } => anyhow::anyhow!("--from {from} is after --to {to}"),
        WindowError::FromAfterToday {
            from,
            today,
            timezone,
        } => anyhow::anyhow!(
            "--from {from} is after today ({today} in {timezone}); give an earlier date"
        ),
        other @ WindowError::OutOfRange { .. } => other.into(),
    })
}

pub fn to_json(report: &SourceReport) -> ExportJson {
    let exports = report
        .exports
        .iter()
        .map(|o| {
            let (status, file, bytes, seconds, error) = match &o.result {
                Ok(d) => (
                    "ok",
                    Some(d.path.clone()),
                    Some(d.bytes),
                    Some(round(d.seconds)),
                    None,
                ),
                Err(e) => ("failed", None, None, None, Some(e.to_string())),
            };
            ExportLine {
                name: o.name.clone(),
                status,
                file,
                bytes,
                seconds,
                error,
                screenshot: o.screenshot.clone(),
                attempts: o.attempts,
            }
        })
        .collect();
    ExportJson {
        exports,
        launch_seconds: round(report.launch_seconds),
        login_seconds: round(report.login_seconds),
    }
}

fn round(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

fn print_lines(json: &ExportJson, out: &Path) {
    let width = json.exports.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for e in &json.exports {
        match e.status {
            "ok" => println!(
                "{:width$}  ok      {}  {} bytes  {:.2} s{}",
                e.name,
                e.file.as_deref().unwrap_or(out).display(),
                e.bytes.unwrap_or(0),
                e.seconds.unwrap_or(0.0),
                if e.attempts > 1 {
                    format!("  (attempt {})", e.attempts)
                } else {
                    String::new()
                },
            ),
            _ => println!(
                "{:width$}  FAILED  {}{}",
                e.name,
                e.error.as_deref().unwrap_or("unknown error"),
                e.screenshot
                    .as_ref()
                    .map(|s| format!("  (screenshot {})", s.display()))
                    .unwrap_or_default(),
            ),
        }
    }
    println!(
        "launch {:.2} s, login {:.2} s",
        json.launch_seconds, json.login_seconds
    );
}
