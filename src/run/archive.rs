//! A run's use of the run store, best effort throughout: the baseline (the last header and the
//! usual row counts) read while the browser works, each raw file stored as soon as it is
//! downloaded, and the report stored at the end. A store that fails adds a line to the
//! report's `store.errors` and a log line; it never fails an export or the run.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::report::{ExportReport, RunReport, StoreOutcome, StoreStatus};
use crate::store::{Baseline, RunId, RunStore, StoreError};
use crate::text::error_line;

/// The longest the baseline may take to read; past it the run goes on without the checks.
const BASELINE_TIME: Duration = Duration::from_secs(15);
/// The longest the end of the run waits for the store (files still being written, the report).
const FINISH_TIME: Duration = Duration::from_secs(15);

enum BaselineSlot {
    Loading(JoinHandle<Result<Baseline, StoreError>>),
    Ready(Option<Arc<Baseline>>),
}

/// One raw file being stored.
struct PendingFile {
    export: String,
    key: String,
    task: JoinHandle<Result<(), StoreError>>,
}

/// The store as one run uses it.
pub struct Archive {
    store: RunStore,
    run_id: RunId,
    baseline: tokio::sync::Mutex<BaselineSlot>,
    files: Mutex<Vec<PendingFile>>,
    errors: Mutex<Vec<String>>,
}

impl Archive {
    /// Starts reading the baseline (runs before `started`) in the background.
    pub fn start(
        store: RunStore,
        run_id: RunId,
        started: DateTime<Utc>,
        read_baseline: bool,
        work_deadline: Instant,
    ) -> Archive {
        let slot = if read_baseline {
            let reader = store.clone();
            let deadline = work_deadline.min(Instant::now() + BASELINE_TIME);
            BaselineSlot::Loading(tokio::spawn(async move {
                reader
                    .until(deadline, "reading the history", reader.baseline(started))
                    .await
            }))
        } else {
            BaselineSlot::Ready(None)
        };
        Archive {
            store,
            run_id,
            baseline: tokio::sync::Mutex::new(slot),
            files: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
        }
    }

    /// The baseline, waiting for it the first time; `None` when it could not be read (the
    /// error is noted once).
    pub async fn baseline(&self) -> Option<Arc<Baseline>> {
        let mut slot = self.baseline.lock().await;
        if let BaselineSlot::Loading(task) = &mut *slot {
            let result = match task.await {
                Ok(Ok(baseline)) => Some(Arc::new(baseline)),
                Ok(Err(e)) => {
                    self.note(&format!(
                        "{}; no header or row-count check this run",
                        error_line(&e)
                    ));
                    None
                }
                Err(e) => {
                    self.note(&format!("reading the history stopped: {e}"));
                    None
                }
            };
            *slot = BaselineSlot::Ready(result);
        }
        match &*slot {
            BaselineSlot::Ready(baseline) => baseline.clone(),
            BaselineSlot::Loading(_) => None,
        }
    }

    /// Starts storing an export's raw file.
    pub fn store_file(&self, export: &str, file_name: &str, bytes: Bytes) {
        let key = self.run_id.file_key(export, file_name);
        let store = self.store.clone();
        let put_key = key.clone();
        let task = tokio::spawn(async move { store.put(&put_key, bytes).await });
        self.files.lock().expect("files lock").push(PendingFile {
            export: export.to_owned(),
            key,
            task,
        });
    }

    /// Waits for the raw files, notes their keys in the report, stores the report and sets its
    /// `store` outcome; gives up at `deadline` (at most [`FINISH_TIME`] from now).
    pub async fn finish(&self, report: &mut RunReport, deadline: Instant) {
        let deadline = deadline.min(Instant::now() + FINISH_TIME);
        let files = std::mem::take(&mut *self.files.lock().expect("files lock"));
        let mut stored = 0;
        for file in files {
            let result = match tokio::time::timeout_at(deadline, file.task).await {
                Ok(Ok(result)) => result.map_err(|e| error_line(&e)),
                Ok(Err(e)) => Err(format!("storing {} stopped: {e}", file.key)),
                Err(_) => Err(format!(
                    "store {}: {} was not stored in time",
                    self.store.location(),
                    file.key
                )),
            };
            match result {
                Ok(()) => {
                    stored += 1;
                    if let Some(line) = line_of(report, &file.export) {
                        line.archived = Some(file.key);
                    }
                }
                Err(why) => self.note(&why),
            }
        }
        report.store = Some(self.outcome(stored));
        let result = self
            .store
            .until(
                deadline,
                "storing the report",
                self.store.put_report(&self.run_id, report),
            )
            .await;
        if let Err(e) = result {
            self.note(&error_line(&e));
        }
        report.store = Some(self.outcome(stored));
    }

    /// Notes a store failure: a warning in the log and a line in the report.
    pub fn note(&self, why: &str) {
        tracing::warn!(store = %self.store.location(), error = why, "run store");
        let mut errors = self.errors.lock().expect("errors lock");
        if !errors.iter().any(|e| e == why) {
            errors.push(why.to_owned());
        }
    }

    fn outcome(&self, files: usize) -> StoreOutcome {
        let errors = self.errors.lock().expect("errors lock").clone();
        StoreOutcome {
            url: self.store.location().to_string(),
            status: if errors.is_empty() {
                StoreStatus::Ok
            } else {
                StoreStatus::Failed
            },
            files,
            errors,
        }
    }
}

fn line_of<'a>(report: &'a mut RunReport, export: &str) -> Option<&'a mut ExportReport> {
    report.exports.iter_mut().find(|e| e.name == export)
}
