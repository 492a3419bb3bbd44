//! A replay: stored raw files re-read with today's parser and today's export options and
//! upserted, oldest run first, with no browser and no panel; then reported like a run (the
//! report says `replay`, Telegram says REPLAY) and stored beside the runs. Idempotent like
//! every run: a replay after the original run writes nothing.

use std::path::Path;

use chrono::{Duration as Days, NaiveDate, Utc};
use tokio::time::Instant;
use tracing::Instrument;

use super::archive::Archive;
use super::step::{StepContext, parse_and_upsert};
use super::{RunError, RunOutcome, Services, SharedProgress, fail, log_report, notify};
use crate::config::{Config, ExportConfig};
use crate::report::{ExportReport, ExportStatus, FailedStage, ReplayInfo, RunReport, Window};
use crate::run::{Budget, Progress};
use crate::secrets::Secrets;
use crate::store::{RunId, RunStore, StoreError, StoredRun};
use crate::text::error_line;

/// Which stored runs to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaySelection {
    /// One run, by id.
    Run(RunId),
    /// Every run that started on these days (in the configured time zone), both inclusive.
    Between { from: NaiveDate, to: NaiveDate },
}

/// What to replay.
#[derive(Clone, Debug)]
pub struct ReplayRequest {
    pub selection: ReplaySelection,
    /// Export names; empty = every enabled export the runs hold a file of.
    pub only: Vec<String>,
    /// Read and plan, write nothing.
    pub dry_run: bool,
    pub budget: Budget,
    pub request_id: Option<String>,
}

/// One stored file to re-read.
struct Item<'a> {
    run: &'a RunId,
    export: &'a ExportConfig,
    key: String,
    file: Option<String>,
}

/// Replays stored runs into their sheets and reports like a run.
pub async fn replay(
    config: &Config,
    secrets: &Secrets,
    secrets_origin: &str,
    services: &Services,
    request: ReplayRequest,
    progress: SharedProgress<'_>,
) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    let started_at = Utc::now();
    let store = services.store.as_ref().ok_or(RunError::NoStore)?;
    let selected = config.select(&request.only)?;
    let google = secrets.google(secrets_origin)?;
    let budget = request.budget;
    let deadline = budget.work_deadline();

    let stored = store
        .until(
            deadline,
            "reading the stored runs",
            stored_runs(store, config, &request.selection),
        )
        .await?;
    let items: Vec<Item> = stored
        .iter()
        .flat_map(|run| {
            run.report.exports.iter().filter_map(|line| {
                let export = selected.iter().find(|e| e.name == line.name)?;
                Some(Item {
                    run: &run.id,
                    export,
                    key: line.archived.clone()?,
                    file: line.file.clone(),
                })
            })
        })
        .collect();
    if items.is_empty() {
        return Err(RunError::NothingToReplay {
            what: describe(&request.selection),
            store: store.location().to_string(),
        });
    }

    let run_id = RunId::new(started_at);
    let tz = config.defaults.timezone;
    let windows = stored.iter().map(|r| &r.report.window);
    let window = Window {
        from: windows.clone().map(|w| w.from).min().expect("a stored run"),
        to: windows.map(|w| w.to).max().expect("a stored run"),
        timezone: tz.name().to_owned(),
    };
    let mut replayed: Vec<String> = items.iter().map(|i| i.run.to_string()).collect();
    replayed.dedup();
    let lines = items
        .iter()
        .map(|i| {
            let mut line = ExportReport::new(
                &i.export.name,
                i.export.spreadsheet_id.clone(),
                &i.export.tab,
            );
            line.replayed_from = Some(i.run.to_string());
            line.file = i.file.clone();
            line.archived = Some(i.key.clone());
            line
        })
        .collect();
    let mut report = RunReport::new(window, started_at, lines);
    report.dry_run = request.dry_run;
    report.request_id = request.request_id.clone();
    report.run_id = Some(run_id.to_string());
    report.replay = Some(ReplayInfo { runs: replayed });
    let request_id = request.request_id.clone().unwrap_or_default();
    let span = tracing::info_span!("replay", run_id = %run_id, request_id = %request_id);
    // No baseline: a replay re-reads old files, which today's panel does not judge.
    let archive = Archive::start(store.clone(), run_id, started_at, false, deadline);

    async {
        tracing::info!(
            files = items.len(),
            runs = ?report.replay.as_ref().map(|r| &r.runs),
            dry_run = request.dry_run,
            "replay started"
        );
        let ctx = StepContext {
            config,
            services,
            google,
            dry_run: request.dry_run,
            budget,
            run_dir: Path::new("."),
            screenshots_dir: None,
            request_id: &request_id,
            progress,
            archive: Some(&archive),
            accept_header_changes: true,
        };
        for (item, line) in items.iter().zip(report.exports.iter_mut()) {
            let span = tracing::info_span!("export", export = %item.export.name, replayed_from = %item.run);
            replay_one(&ctx, store, item, line).instrument(span).await;
            progress(Progress::Finished(line));
        }
    }
    .instrument(span.clone())
    .await;

    report.seconds = started.elapsed().as_secs_f64();
    report.finish();
    async {
        archive.finish(&mut report, budget.store_deadline()).await;
        log_report(&report);
        report.telegram = notify(config, secrets, services, &report, &budget).await;
    }
    .instrument(span)
    .await;
    Ok(RunOutcome {
        report,
        credentials_refused: false,
    })
}

/// Re-reads one stored file and upserts it.
async fn replay_one(
    ctx: &StepContext<'_>,
    store: &RunStore,
    item: &Item<'_>,
    line: &mut ExportReport,
) {
    if !ctx.budget.may_start_work() {
        line.status = ExportStatus::Skipped;
        line.stage = Some(FailedStage::Deadline);
        line.error = Some("not started: the replay's deadline was near".into());
        return;
    }
    let started = Instant::now();
    let read = store
        .until(
            ctx.budget.work_deadline(),
            "reading a stored file",
            store.get(&item.key),
        )
        .await;
    match read {
        Ok(bytes) => {
            line.bytes = Some(bytes.len() as u64);
            parse_and_upsert(ctx, item.export, bytes, line).await;
        }
        Err(e) => fail(line, FailedStage::Download, error_line(&e)),
    }
    line.seconds = started.elapsed().as_secs_f64();
}

/// The stored runs of `selection`, oldest first.
async fn stored_runs(
    store: &RunStore,
    config: &Config,
    selection: &ReplaySelection,
) -> Result<Vec<StoredRun>, StoreError> {
    let ids = match selection {
        ReplaySelection::Run(id) => vec![id.clone()],
        ReplaySelection::Between { from, to } => {
            // Keys are by UTC day; the dates asked are local days: read a day either side.
            let tz = config.defaults.timezone;
            let ids = store
                .runs_between(*from - Days::days(1), *to + Days::days(1))
                .await?;
            ids.into_iter()
                .filter(|id| {
                    let day = id.started().with_timezone(&tz).date_naive();
                    (*from..=*to).contains(&day)
                })
                .collect()
        }
    };
    let (runs, errors) = store.reports(&ids).await;
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    Ok(runs
        .into_iter()
        .filter(|r| r.report.replay.is_none())
        .collect())
}

fn describe(selection: &ReplaySelection) -> String {
    match selection {
        ReplaySelection::Run(id) => format!("run {id}"),
        ReplaySelection::Between { from, to } if from == to => format!("the runs of {from}"),
        ReplaySelection::Between { from, to } => format!("the runs from {from} to {to}"),
    }
}
