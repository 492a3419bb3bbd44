//! One run, end to end (the only module that knows source, table, sheet and report): resolve
//! the window, download every selected export in one browser session, parse each file off the
//! async runtime, upsert it into its sheet, then report (Telegram included). One export failing
//! never stops another. Every stage asks the run's [`Budget`]: near the deadline no new work
//! starts and what is left is `skipped`, and the report is logged before Telegram is tried, with
//! time kept after it to answer Lambda. Every file of a run lives in one run directory, deleted
//! at the end.

mod archive;
pub mod budget;
mod checks;
pub mod replay;
pub mod services;
mod step;
pub mod window;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::{Config, ConfigError, ExportConfig, check_base_url};
use crate::report::{
    ExportReport, ExportStatus, FailedStage, RunReport, TelegramClient, TelegramOutcome,
    TelegramStatus, Window, should_notify,
};
use crate::secrets::Secrets;
use crate::source::{BackendCredentials, SourceError};
use crate::store::RunId;
use archive::Archive;

pub use budget::{Budget, REPORT_MARGIN};
pub use services::{Endpoints, Services};
pub use window::WindowError;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// "Today" is the day this instant falls on in the configured time zone.
    pub now: DateTime<Utc>,
    /// Export names; empty = every enabled export.
    pub only: Vec<String>,
    /// Read and plan, write nothing to the sheets.
    pub dry_run: bool,
    /// The hard end of the run (Lambda's deadline) and its margins.
    pub budget: Budget,
    /// The Lambda request id, for logs and the report.
    pub request_id: Option<String>,
    /// Overrides the configured backend base URL (`--backend-url`).
    pub backend_url: Option<String>,
    /// Where the run directory is created (default: the system's temporary directory).
    pub work_dir: Option<PathBuf>,
    /// Keep failure screenshots here (the run directory itself is deleted).
    pub screenshots_dir: Option<PathBuf>,
    /// Write exports whose header changed even where `on_header_change = "fail"`.
    pub accept_header_changes: bool,
}

impl RunRequest {
    /// A run of the default window, starting now, with `budget` to finish.
    pub fn now(budget: Duration) -> RunRequest {
        RunRequest {
            from: None,
            to: None,
            now: Utc::now(),
            only: Vec::new(),
            dry_run: false,
            budget: Budget::after(budget),
            request_id: None,
            backend_url: None,
            work_dir: None,
            screenshots_dir: None,
            accept_header_changes: false,
        }
    }
}

/// Why a run could not start at all (nothing was done).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("date window: {0}")]
    Window(#[from] WindowError),
    #[error(transparent)]
    Select(#[from] ConfigError),
    #[error("{origin}: no enabled export to run; set enabled = true on one, or name one")]
    NothingToRun { origin: String },
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    #[error("{0}")]
    BaseUrl(String),
    #[error("cannot create the run directory under {dir}: {source}")]
    WorkDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the run store is off: a replay re-reads the files runs stored; give --store URL, [store] url or EXPORTSYNC_STORE"
    )]
    NoStore,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(
        "store {store}: {what} hold no stored file of the selected exports (see `exportsync history`)"
    )]
    NothingToReplay { what: String, store: String },
}

impl RunError {
    /// A stable name for the Lambda error type.
    pub fn error_type(&self) -> &'static str {
        match self {
            RunError::Window(_) => "InvalidWindow",
            RunError::Select(_) | RunError::NothingToRun { .. } => "InvalidExports",
            RunError::Secrets(_) => "SecretsIncomplete",
            RunError::BaseUrl(_) => "ConfigInvalid",
            RunError::WorkDir { .. } => "RunDirectory",
            RunError::NoStore | RunError::Store(_) => "RunStore",
            RunError::NothingToReplay { .. } => "NothingToReplay",
        }
    }
}

/// A run's result and what the caller should do about its credentials.
#[derive(Debug)]
pub struct RunOutcome {
    pub report: RunReport,
    /// The backend refused the login or Google refused the key: the secrets may have been
    /// rotated, so a cached copy should be fetched again.
    pub credentials_refused: bool,
}

/// Progress, for a terminal's progress lines.
#[derive(Debug)]
pub enum Progress<'a> {
    SessionOpened {
        launch_seconds: f64,
        login_seconds: f64,
    },
    Downloaded {
        export: &'a str,
        error: Option<&'a SourceError>,
    },
    Finished(&'a ExportReport),
}

/// Runs the job. `progress` is called in order from the run's task.
pub async fn run(
    config: &Config,
    secrets: &Secrets,
    secrets_origin: &str,
    services: &Services,
    request: RunRequest,
    progress: &(dyn Fn(Progress<'_>) + Send + Sync),
) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    let started_at = Utc::now();
    let tz = config.defaults.timezone;
    let today = window::today_in(tz, request.now);
    let window = window::resolve(
        request.from,
        request.to,
        today,
        config.defaults.lookback_days,
        tz,
    )?;
    let selected: Vec<&ExportConfig> = config.select(&request.only)?;
    if selected.is_empty() {
        return Err(RunError::NothingToRun {
            origin: config.origin.clone(),
        });
    }
    let backend = secrets.backend(secrets_origin)?;
    let google = secrets.google(secrets_origin)?;
    let mut config = config.clone();
    config.backend.base_url = resolve_base_url(&config, &request, backend, secrets_origin)?;

    let run_dir = new_run_dir(request.work_dir.as_deref())?;
    let request_id = request.request_id.clone().unwrap_or_default();
    let run_id = RunId::new(started_at);
    let span = tracing::info_span!("run", run_id = %run_id, request_id = %request_id, from = %window.from, to = %window.to);
    let budget = request.budget;

    let mut report = RunReport::new(
        Window {
            from: window.from,
            to: window.to,
            timezone: tz.name().to_owned(),
        },
        started_at,
        selected
            .iter()
            .map(|e| ExportReport::new(&e.name, e.spreadsheet_id.clone(), &e.tab))
            .collect(),
    );
    report.dry_run = request.dry_run;
    report.request_id = request.request_id.clone();
    report.run_id = Some(run_id.to_string());
    let archive = services.store.clone().map(|store| {
        Archive::start(
            store,
            run_id.clone(),
            started_at,
            true,
            budget.work_deadline(),
        )
    });

    let credentials_refused = async {
        tracing::info!(
            exports = ?selected.iter().map(|e| &e.name).collect::<Vec<_>>(),
            dry_run = request.dry_run,
            "run started"
        );
        let credentials = BackendCredentials::from(backend);
        let ctx = step::StepContext {
            config: &config,
            services,
            google,
            dry_run: request.dry_run,
            budget,
            run_dir: run_dir.path(),
            screenshots_dir: request.screenshots_dir.as_deref(),
            request_id: &request_id,
            progress,
            archive: archive.as_ref(),
            accept_header_changes: request.accept_header_changes,
        };
        step::run_exports(&ctx, credentials, window, &selected, &mut report).await
    }
    .instrument(span.clone())
    .await;

    report.seconds = started.elapsed().as_secs_f64();
    report.finish();
    async {
        if let Some(archive) = &archive {
            archive.finish(&mut report, budget.store_deadline()).await;
        }
        // Logged before Telegram: whatever Telegram does, the report is in the logs.
        log_report(&report);
        report.telegram = notify(&config, secrets, services, &report, &budget).await;
    }
    .instrument(span)
    .await;
    // The run directory (downloads, browser profile, screenshots) goes now.
    if let Err(e) = run_dir.close() {
        tracing::warn!(error = %e, "cannot delete the run directory");
    }
    Ok(RunOutcome {
        report,
        credentials_refused,
    })
}

fn resolve_base_url(
    config: &Config,
    request: &RunRequest,
    backend: &crate::secrets::BackendSecrets,
    secrets_origin: &str,
) -> Result<Option<String>, RunError> {
    if let Some(url) = &request.backend_url {
        check_base_url(url)
            .map_err(|why| RunError::BaseUrl(format!("--backend-url \"{url}\" {why}")))?;
    }
    if request.backend_url.is_none()
        && config.backend.base_url.is_none()
        && let Some(url) = &backend.base_url
    {
        check_base_url(url).map_err(|why| {
            RunError::BaseUrl(format!(
                "{secrets_origin}: field \"backend.base_url\": \"{url}\" {why}"
            ))
        })?;
    }
    let url = config.base_url(request.backend_url.as_deref(), backend.base_url.as_deref());
    if url.is_none() {
        return Err(RunError::BaseUrl(format!(
            "no backend base URL: set [backend] base_url in {}, or backend.base_url in {secrets_origin}",
            config.origin
        )));
    }
    Ok(url)
}

fn new_run_dir(parent: Option<&std::path::Path>) -> Result<tempfile::TempDir, RunError> {
    let parent = parent.map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&parent)
        .and_then(|_| tempfile::Builder::new().prefix("run-").tempdir_in(&parent))
        .map_err(|source| RunError::WorkDir {
            dir: parent,
            source,
        })
}

/// Sends the Telegram summary when the secrets have a `telegram` section and the config's
/// `notify` asks for it (dry runs included: they say `DRY RUN`). Never fails the run; gives up
/// at the budget's Telegram deadline, which leaves time to answer Lambda.
pub async fn notify(
    config: &Config,
    secrets: &Secrets,
    services: &Services,
    report: &RunReport,
    budget: &Budget,
) -> TelegramOutcome {
    let not = |status| TelegramOutcome {
        status,
        messages: 0,
        photos: 0,
        error: None,
    };
    let Some(telegram) = secrets.telegram() else {
        return not(TelegramStatus::NotConfigured);
    };
    if !should_notify(config.telegram.notify, report) {
        return not(TelegramStatus::NotNeeded);
    }
    let client = TelegramClient::new(
        telegram,
        services.endpoints.telegram.clone(),
        services.http.clone(),
    );
    client.send_report(report, budget.telegram_deadline()).await
}

/// One log line for the run and one per export that did not end ok.
fn log_report(report: &RunReport) {
    let t = &report.totals;
    for e in &report.exports {
        if e.status != ExportStatus::Ok {
            tracing::warn!(
                export = %e.name,
                status = ?e.status,
                stage = ?e.stage,
                error = e.error.as_deref().unwrap_or(""),
                "export did not complete"
            );
        }
    }
    let store = report.store.as_ref().map_or("off", |s| match s.status {
        crate::report::StoreStatus::Ok => "ok",
        crate::report::StoreStatus::Failed => "failed",
    });
    tracing::info!(
        status = ?report.status,
        run_id = report.run_id.as_deref().unwrap_or(""),
        store,
        exports = t.exports,
        ok = t.ok,
        failed = t.failed,
        skipped = t.skipped,
        rows = t.rows,
        inserted = t.inserted,
        updated = t.updated,
        unchanged = t.unchanged,
        write_requests = t.write_requests,
        seconds = report.seconds,
        "run finished"
    );
}

/// Marks an export as failed.
pub(crate) fn fail(line: &mut ExportReport, stage: FailedStage, error: String) {
    line.status = ExportStatus::Failed;
    line.stage = Some(stage);
    line.error = Some(error);
}

pub(crate) type SharedProgress<'a> = &'a (dyn Fn(Progress<'_>) + Send + Sync);
