//! One upsert of a table into a tab: read (`spreadsheets.get` for the tab's id and grid, then
//! `values.batchGet` of its cells: two read requests, one when the tab is missing), plan, then
//! write (`addSheet` if the tab is missing, then the plan's batches). A dry run stops after
//! planning. The report counts what was (or would be) done and every request made.
//!
//! A write that Google may have carried out without saying so is never a reason for a
//! duplicate: batches write new rows at explicit row indices (see [`write`]), so a 5xx or
//! 429 is simply resent; a write that timed out or lost its connection is not resent blindly
//! either: the tab is read and planned afresh and only what is still missing is written. An
//! `addSheet` that landed unannounced is found by name. The rules are in `docs/upsert.md`.

use tokio::time::Instant;

use super::SheetTarget;
use super::client::{BATCH_UPDATE, SheetClient};
use super::error::SheetError;
use super::plan::{check_key_columns, plan};
use super::retry::{self, GiveUp};
use super::write::{self, Grid};
use crate::table::Table;

/// What an upsert did (or, in a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertReport {
    pub spreadsheet_id: String,
    pub tab: String,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// `duplicate_keys_in_export + duplicate_keys_in_sheet`.
    pub duplicates: usize,
    pub duplicate_keys_in_export: usize,
    pub duplicate_keys_in_sheet: usize,
    pub empty_keys: usize,
    pub added_columns: Vec<String>,
    /// The tab was missing and was created (would be, in a dry run).
    pub tab_created: bool,
    /// Cells overwritten in rows that already existed.
    pub cells_updated: usize,
    /// API requests that succeeded (each retried call counts once).
    pub read_requests: u32,
    pub write_requests: u32,
    /// Attempts beyond the first, over all calls.
    pub retries: u32,
    /// Bytes of the plan's batchUpdate bodies (planned, in a dry run; addSheet not included).
    pub payload_bytes: usize,
    pub dry_run: bool,
}

impl SheetClient {
    /// Upserts `table` into `target` following the rules in `docs/upsert.md`. A second run with
    /// the same table makes no write request. `dry_run` reads and plans but writes nothing.
    pub async fn upsert(
        &self,
        target: &SheetTarget,
        table: &Table,
        dry_run: bool,
    ) -> Result<UpsertReport, SheetError> {
        self.upsert_until(target, table, dry_run, far_future())
            .await
    }

    /// [`upsert`](Self::upsert) that also ends by `deadline` (a run's own deadline): no
    /// request, retry or backoff outlasts the earlier of `deadline` and
    /// [`SheetClientOptions::deadline`](super::SheetClientOptions::deadline) from now; the
    /// call returns at most one request's processing later (an attempt is cut at the
    /// deadline).
    pub async fn upsert_until(
        &self,
        target: &SheetTarget,
        table: &Table,
        dry_run: bool,
        deadline: Instant,
    ) -> Result<UpsertReport, SheetError> {
        let started = Instant::now();
        let deadline = started
            .checked_add(self.options.deadline)
            .map_or(deadline, |own| own.min(deadline));
        let mut report = UpsertReport {
            spreadsheet_id: target.spreadsheet_id.clone(),
            tab: target.tab.clone(),
            dry_run,
            ..Default::default()
        };
        let plan_error = |source| SheetError::Plan {
            spreadsheet_id: target.spreadsheet_id.clone(),
            tab: target.tab.clone(),
            source,
        };
        // Bad configuration fails before any request.
        check_key_columns(table, &target.key_columns).map_err(plan_error)?;

        // A write that timed out or lost its connection may have landed (or may still land):
        // the tab is read and planned afresh and only what is still missing is written, at the
        // same row indices a late landing would use. The first plan's counts are the report's.
        let mut round = 0;
        'rounds: loop {
            let (grid, attempts) = self.find_tab(target, deadline).await?;
            report.note_read(attempts);
            let rows = match grid {
                Some(_) => {
                    let (rows, attempts) = self.read_rows(target, deadline).await?;
                    report.note_read(attempts);
                    rows
                }
                None => Vec::new(),
            };
            let plan = plan(&rows, table, &target.key_columns).map_err(plan_error)?;
            if round == 0 {
                let counts = plan.counts;
                report.inserted = counts.inserted;
                report.updated = counts.updated;
                report.unchanged = counts.unchanged;
                report.duplicate_keys_in_export = counts.duplicate_keys_in_export;
                report.duplicate_keys_in_sheet = counts.duplicate_keys_in_sheet;
                report.duplicates =
                    counts.duplicate_keys_in_export + counts.duplicate_keys_in_sheet;
                report.empty_keys = counts.empty_keys;
                report.added_columns = plan.add_columns.clone();
                report.cells_updated = plan.updates.len();
                report.tab_created = grid.is_none() && !plan.is_empty();
                tracing::info!(
                    spreadsheet = %target.spreadsheet_id,
                    tab = %target.tab,
                    inserted = counts.inserted,
                    updated = counts.updated,
                    unchanged = counts.unchanged,
                    duplicates = report.duplicates,
                    empty_keys = counts.empty_keys,
                    "upsert planned"
                );
            }

            if dry_run {
                let grid = grid.unwrap_or(Grid {
                    sheet_id: 0,
                    row_count: 1000,
                    column_count: plan.width.max(26),
                });
                report.payload_bytes = write::batches(&plan, grid, self.options.max_batch_bytes)
                    .map(|b| b.body.len())
                    .sum();
                tracing::info!(
                    spreadsheet = %target.spreadsheet_id,
                    tab = %target.tab,
                    payload_bytes = report.payload_bytes,
                    "dry run: nothing written"
                );
                return Ok(report);
            }

            let grid = match grid {
                Some(grid) => grid,
                // Nothing to write: a missing tab is not created for an empty export.
                None if plan.is_empty() => break,
                None => {
                    let (grid, attempts) = self.add_tab(target, plan.width, deadline).await?;
                    report.note_write(attempts);
                    grid
                }
            };
            for (n, batch) in write::batches(&plan, grid, self.options.max_batch_bytes).enumerate()
            {
                tracing::debug!(
                    batch = n,
                    bytes = batch.body.len(),
                    subrequests = batch.subrequests,
                    "writing batch"
                );
                report.payload_bytes += batch.body.len();
                match self
                    .batch_update_with(target, batch.body.into(), deadline, false)
                    .await
                {
                    Ok((_, attempts)) => report.note_write(attempts),
                    Err(GiveUp::Permanent(failure)) if failure.is_ambiguous() => {
                        report.retries += 1;
                        let delay = retry::backoff(&self.options.retry, round);
                        tracing::warn!(
                            spreadsheet = %target.spreadsheet_id,
                            tab = %target.tab,
                            reason = %failure.message,
                            delay_ms = delay.as_millis() as u64,
                            "a write may have landed without an answer: reading the tab again"
                        );
                        if round + 1 >= self.options.retry.max_attempts
                            || !retry::fits_before(delay, deadline)
                        {
                            let give_up = GiveUp::Exhausted {
                                attempts: round + 1,
                                waited: started.elapsed(),
                                last: failure,
                            };
                            return Err(self.error(target, BATCH_UPDATE, give_up));
                        }
                        tokio::time::sleep(delay).await;
                        round += 1;
                        continue 'rounds;
                    }
                    Err(give_up) => return Err(self.error(target, BATCH_UPDATE, give_up)),
                }
            }
            break;
        }
        tracing::info!(
            spreadsheet = %target.spreadsheet_id,
            tab = %target.tab,
            read_requests = report.read_requests,
            write_requests = report.write_requests,
            retries = report.retries,
            "upsert written"
        );
        Ok(report)
    }
}

/// An instant no run reaches (about 30 years ahead).
fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365 * 30)
}

impl UpsertReport {
    fn note_read(&mut self, attempts: u32) {
        self.read_requests += 1;
        self.retries += attempts.saturating_sub(1);
    }

    fn note_write(&mut self, attempts: u32) {
        self.write_requests += 1;
        self.retries += attempts.saturating_sub(1);
    }
}
