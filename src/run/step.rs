//! The per-export part of a run: download all in one browser session, then for each file parse
//! (on a blocking thread) and upsert, filling that export's report line. Every step asks the
//! run's [`Budget`]: none starts after its work deadline, and one still running at its backstop
//! is cut off; what finished keeps its result, what did not is `skipped`.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use super::{Budget, Progress, SharedProgress, fail};
use crate::config::{Config, ExportConfig};
use crate::report::{ExportReport, ExportStatus, FailedStage, RunReport, Screenshot};
use crate::secrets::GoogleSecrets;
use crate::sheet::{SheetError, SheetTarget};
use crate::source::{
    BackendCredentials, DateWindow, ExportOutcome, ExportSource, SourceError, SourceEvent,
    SourceReport,
};
use crate::table;
use crate::text::error_line as one_line;

pub(super) struct StepContext<'a> {
    pub config: &'a Config,
    pub services: &'a super::Services,
    pub google: &'a GoogleSecrets,
    pub dry_run: bool,
    pub budget: Budget,
    pub run_dir: &'a Path,
    pub screenshots_dir: Option<&'a Path>,
    pub request_id: &'a str,
    pub progress: SharedProgress<'a>,
    /// The run store as this run uses it (`None`: the store is off).
    pub archive: Option<&'a super::archive::Archive>,
    /// Write an export whose header changed even when it says `on_header_change = "fail"`.
    pub accept_header_changes: bool,
}

/// Why an export has no download to work on.
#[derive(Debug, PartialEq)]
enum Unfinished {
    Failed(FailedStage, String),
    /// Cut off by the deadline before it finished.
    Skipped(String),
}

type Download = Result<ExportOutcome, Unfinished>;

/// Runs every selected export; returns whether a credential was refused.
pub(super) async fn run_exports(
    ctx: &StepContext<'_>,
    credentials: BackendCredentials,
    window: DateWindow,
    selected: &[&ExportConfig],
    report: &mut RunReport,
) -> bool {
    if !ctx.budget.may_start_work() {
        for line in &mut report.exports {
            skip(line, "not started: the run's deadline was too near");
            (ctx.progress)(Progress::Finished(line));
        }
        return false;
    }
    let outcomes = download_all(ctx, credentials, window, selected, report).await;
    let mut refused = false;
    for ((export, outcome), line) in selected.iter().zip(outcomes).zip(&mut report.exports) {
        let span =
            tracing::info_span!("export", export = %export.name, request_id = %ctx.request_id);
        refused |= finish_export(ctx, export, outcome, line)
            .instrument(span)
            .await;
        (ctx.progress)(Progress::Finished(line));
    }
    refused
}

/// One browser session for all exports, bounded by the work deadline.
async fn download_all(
    ctx: &StepContext<'_>,
    credentials: BackendCredentials,
    window: DateWindow,
    selected: &[&ExportConfig],
    report: &mut RunReport,
) -> Vec<Download> {
    let source = match ExportSource::new(ctx.config, credentials) {
        Ok(source) => source,
        Err(e) => {
            return selected
                .iter()
                .map(|_| Err(Unfinished::Failed(FailedStage::Download, one_line(&e))))
                .collect();
        }
    };
    // The browser's session directory goes straight in the run directory: Chromium's socket
    // paths under it must stay within the 108 bytes a Unix socket path may have.
    let browser_dir = ctx.run_dir.to_path_buf();
    let (tx, mut rx) = mpsc::unbounded_channel::<SourceEvent>();
    let source = source
        .with_temp_root(browser_dir)
        .with_deadline(ctx.budget.work_deadline())
        .with_observer(move |event| {
            let _ = tx.send(event.clone());
        });
    let downloads = ctx.run_dir.join("downloads");
    let forward = |event: &SourceEvent| match event {
        SourceEvent::SessionOpened {
            launch_seconds,
            login_seconds,
        } => {
            if report.launch_seconds == 0.0 {
                report.launch_seconds = *launch_seconds;
                report.login_seconds = *login_seconds;
            }
            (ctx.progress)(Progress::SessionOpened {
                launch_seconds: *launch_seconds,
                login_seconds: *login_seconds,
            });
        }
        SourceEvent::AttemptFinished { export, error, .. } => {
            (ctx.progress)(Progress::Downloaded {
                export,
                error: error.as_ref(),
            });
        }
    };
    // The source stops starting exports at the work deadline; the backstop cuts it off.
    let work = source.export_all(window, selected, &downloads);
    gather(work, &mut rx, ctx.budget.backstop(), selected, forward).await
}

/// Waits for the source's report, forwarding its events, until `backstop`. Cut off, each
/// export keeps what its last finished attempt showed: a failure stays failed, a finished
/// download or an attempt still running becomes `skipped` (there is no time left to write it).
async fn gather(
    work: impl Future<Output = SourceReport>,
    rx: &mut mpsc::UnboundedReceiver<SourceEvent>,
    backstop: Instant,
    selected: &[&ExportConfig],
    mut forward: impl FnMut(&SourceEvent),
) -> Vec<Download> {
    // Export name -> the one-line error of its last finished attempt (None: downloaded).
    let mut finished: HashMap<String, Option<String>> = HashMap::new();
    let mut seen = |event: SourceEvent, forward: &mut dyn FnMut(&SourceEvent)| {
        if let SourceEvent::AttemptFinished { export, error, .. } = &event {
            finished.insert(export.clone(), error.as_ref().map(|e| one_line(e)));
        }
        forward(&event);
    };
    let work = tokio::time::timeout_at(backstop, work);
    tokio::pin!(work);
    let result = loop {
        tokio::select! {
            result = &mut work => break result,
            Some(event) = rx.recv() => seen(event, &mut forward),
        }
    };
    while let Ok(event) = rx.try_recv() {
        seen(event, &mut forward);
    }
    match result {
        Ok(source_report) => source_report.exports.into_iter().map(Ok).collect(),
        Err(_) => {
            tracing::warn!(
                "the run's deadline arrived while the browser was still working; cut off"
            );
            selected
                .iter()
                .map(|export| {
                    Err(match finished.get(&export.name) {
                        Some(Some(error)) => Unfinished::Failed(FailedStage::Download, error.clone()),
                        Some(None) => Unfinished::Skipped(
                            "downloaded, but not written: the run's deadline arrived while the browser was still busy".into(),
                        ),
                        None => Unfinished::Skipped(
                            "not finished: the run's deadline arrived while the browser was still downloading".into(),
                        ),
                    })
                })
                .collect()
        }
    }
}

/// Parses and upserts one downloaded export; returns whether a credential was refused.
async fn finish_export(
    ctx: &StepContext<'_>,
    export: &ExportConfig,
    outcome: Download,
    line: &mut ExportReport,
) -> bool {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(Unfinished::Failed(stage, why)) => {
            fail(line, stage, why);
            return false;
        }
        Err(Unfinished::Skipped(why)) => {
            skip(line, &why);
            return false;
        }
    };
    line.attempts = outcome.attempts;
    line.screenshot = keep_screenshot(ctx, &outcome);
    let downloaded = match outcome.result {
        Ok(downloaded) => downloaded,
        Err(SourceError::DeadlineReached { .. }) => {
            skip(line, "not started: the run's deadline was near");
            return false;
        }
        Err(e) => {
            let refused = matches!(e, SourceError::LoginRejected { .. });
            fail(line, FailedStage::Download, one_line(&e));
            return refused;
        }
    };
    line.file = downloaded
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    line.bytes = Some(downloaded.bytes);
    line.seconds = downloaded.seconds;
    let started = Instant::now();
    let bytes = match tokio::fs::read(&downloaded.path).await {
        Ok(bytes) => bytes::Bytes::from(bytes),
        Err(e) => {
            fail(
                line,
                FailedStage::Parse,
                format!(
                    "cannot read the downloaded file {}: {e}",
                    downloaded.path.display()
                ),
            );
            return false;
        }
    };
    // Kept first, whatever happens next: a file that does not parse today may after a fix
    // (`exportsync replay`).
    if let Some(archive) = ctx.archive {
        archive.store_file(
            &export.name,
            line.file.as_deref().unwrap_or("export"),
            bytes.clone(),
        );
    }
    let refused = parse_and_upsert(ctx, export, bytes, line).await;
    line.seconds += started.elapsed().as_secs_f64();
    refused
}

/// Reads `bytes` into a table, checks it against the store's history and upserts it; returns
/// whether a credential was refused. Also what a replay does with a stored file.
pub(super) async fn parse_and_upsert(
    ctx: &StepContext<'_>,
    export: &ExportConfig,
    bytes: bytes::Bytes,
    line: &mut ExportReport,
) -> bool {
    if !ctx.budget.may_start_work() {
        skip(
            line,
            "downloaded, but not written: the run's deadline was near",
        );
        return false;
    }
    let options = export.table_options();
    let parsed = off_runtime_until(ctx.budget.backstop(), move || {
        table::parse(&bytes, &options).map_err(|e| one_line(&e))
    })
    .await;
    let table = match parsed {
        Ok(Ok(table)) => table,
        Ok(Err(why)) => {
            fail(line, FailedStage::Parse, why);
            return false;
        }
        Err(OffRuntime::Panicked(e)) => {
            fail(line, FailedStage::Parse, format!("the parser stopped: {e}"));
            return false;
        }
        Err(OffRuntime::CutOff) => {
            skip(
                line,
                "downloaded, but not written: the run's deadline arrived while the file was being read",
            );
            return false;
        }
    };
    for warning in &table.warnings {
        tracing::warn!(file = line.file.as_deref().unwrap_or(""), "{warning}");
    }
    line.warnings = table.warnings.clone();
    line.rows = Some(table.rows.len());
    tracing::info!(rows = table.rows.len(), columns = table.header.len(), format = %table.format, "export parsed");
    let baseline = match ctx.archive {
        Some(archive) => archive.baseline().await,
        None => None,
    };
    let checked = super::checks::check_table(
        export,
        &table.header,
        table.rows.len(),
        baseline.as_ref().and_then(|b| b.export(&export.name)),
        ctx.accept_header_changes,
        line,
    );
    for warning in line.warnings.iter().skip(table.warnings.len()) {
        tracing::warn!(rows = table.rows.len(), "{warning}");
    }
    if let Err(why) = checked {
        fail(line, FailedStage::Parse, why);
        return false;
    }

    let Some(spreadsheet_id) = export.spreadsheet_id.clone() else {
        fail(
            line,
            FailedStage::Upsert,
            format!(
                "export {} has no spreadsheet_id in the configuration",
                export.name
            ),
        );
        return false;
    };
    let target = SheetTarget {
        spreadsheet_id,
        tab: export.tab.clone(),
        key_columns: export.key_columns.clone(),
    };
    let client = match ctx.services.sheet_client(ctx.google).await {
        Ok(client) => client,
        Err(e) => {
            let refused = matches!(e, SheetError::Token { .. });
            fail(line, FailedStage::Upsert, one_line(&e));
            return refused;
        }
    };
    // The client bounds its own retries by the deadline; the timeout is a backstop.
    let upsert = client.upsert_until(&target, &table, ctx.dry_run, ctx.budget.work_deadline());
    match tokio::time::timeout_at(ctx.budget.backstop(), upsert).await {
        Ok(Ok(r)) => {
            line.status = ExportStatus::Ok;
            line.inserted = r.inserted;
            line.updated = r.updated;
            line.unchanged = r.unchanged;
            line.duplicates = r.duplicates;
            line.empty_keys = r.empty_keys;
            line.added_columns = r.added_columns;
            line.read_requests = r.read_requests;
            line.write_requests = r.write_requests;
            false
        }
        Ok(Err(e)) => {
            let refused = matches!(e, SheetError::Token { .. });
            if refused {
                ctx.services.forget_sheet_client().await;
            }
            fail(line, FailedStage::Upsert, one_line(&e));
            refused
        }
        Err(_) => {
            skip(
                line,
                "cut off: the run's deadline arrived during the upsert; the next run completes it",
            );
            false
        }
    }
}

/// Reads the failure screenshot into memory, and keeps a copy where the caller asked.
fn keep_screenshot(ctx: &StepContext<'_>, outcome: &ExportOutcome) -> Option<Screenshot> {
    let path = outcome.screenshot.as_ref()?;
    let png = std::fs::read(path).ok()?;
    let saved_to = ctx.screenshots_dir.and_then(|dir| {
        let name = format!(
            "{}-{}.png",
            outcome.name,
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        );
        let to = dir.join(name);
        match std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&to, &png)) {
            Ok(()) => Some(to.display().to_string()),
            Err(e) => {
                tracing::warn!(path = %to.display(), error = %e, "cannot keep the failure screenshot");
                None
            }
        }
    });
    Some(Screenshot {
        bytes: png.len(),
        saved_to,
        page_url: outcome.page_url.clone(),
        png,
    })
}

/// Why [`off_runtime_until`] has no result.
#[derive(Debug)]
enum OffRuntime {
    /// `work` panicked.
    Panicked(tokio::task::JoinError),
    /// Still running at the deadline; it is left to finish on its own, unused.
    CutOff,
}

/// Runs blocking `work` on the blocking pool and waits for it until `deadline` at most.
async fn off_runtime_until<T: Send + 'static>(
    deadline: Instant,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, OffRuntime> {
    match tokio::time::timeout_at(deadline, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(OffRuntime::Panicked(e)),
        Err(_) => Err(OffRuntime::CutOff),
    }
}

fn skip(line: &mut ExportReport, why: &str) {
    line.status = ExportStatus::Skipped;
    line.stage = Some(FailedStage::Deadline);
    line.error = Some(why.to_owned());
}

#[cfg(test)]
mod tests;
