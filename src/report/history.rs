//! `exportsync history` without the store (pure): stored runs turned into one block per export
//! (newest run first, a row-count sparkline oldest to newest), the terminal text, and the
//! stable JSON shape of `history --json`.

use std::collections::BTreeSet;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{ExportReport, ExportStatus, RunStatus};
use crate::store::StoredRun;
use crate::text::one_line;

/// The bars of a sparkline, lowest first.
pub const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A run of the export without a row count (failed before reading, skipped).
pub const GAP: char = '·';
/// The most runs a block's sparkline shows (the newest; a longer history starts with `…`).
pub const SPARKLINE_MAX: usize = 40;
/// How long a line's note (an error or a warning) may be before it is cut.
pub const NOTE_CHARS: usize = 60;

/// One export in one run: a line of the export's block.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryLine {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub replay: bool,
    pub dry_run: bool,
    pub status: ExportStatus,
    pub rows: Option<usize>,
    pub inserted: usize,
    pub updated: usize,
    pub seconds: f64,
    /// The error, else the first warning, cut to [`NOTE_CHARS`]; `None` when all was well.
    pub note: Option<String>,
}

/// One export's lines, newest run first.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportHistory {
    pub name: String,
    pub lines: Vec<HistoryLine>,
}

impl ExportHistory {
    /// The row counts oldest to newest, as the sparkline draws them.
    pub fn row_counts(&self) -> Vec<Option<usize>> {
        self.lines.iter().rev().map(|l| l.rows).collect()
    }
}

/// `--export NAME` names an export no run read has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "export \"{name}\": not in the {runs} newest runs of {store}; the exports they have: {}",
    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
)]
pub struct UnknownExport {
    pub name: String,
    pub store: String,
    /// Runs read.
    pub runs: usize,
    /// The export names those runs have, sorted.
    pub known: Vec<String>,
}

/// The runs sorted newest first (run ids sort by time).
fn newest_first(runs: &[StoredRun]) -> Vec<&StoredRun> {
    let mut sorted: Vec<&StoredRun> = runs.iter().collect();
    sorted.sort_by(|a, b| b.id.cmp(&a.id));
    sorted
}

/// Keeps only `name`'s lines (`--export NAME`), and only the runs that have one. A name none
/// of the runs has is an [`UnknownExport`] listing the names they do have.
pub fn only_export(
    runs: Vec<StoredRun>,
    name: &str,
    store: &str,
) -> Result<Vec<StoredRun>, UnknownExport> {
    let read = runs.len();
    let mut known = BTreeSet::new();
    let mut kept = Vec::new();
    for mut run in runs {
        known.extend(run.report.exports.iter().map(|e| e.name.clone()));
        run.report.exports.retain(|e| e.name == name);
        if !run.report.exports.is_empty() {
            kept.push(run);
        }
    }
    if kept.is_empty() {
        return Err(UnknownExport {
            name: name.to_owned(),
            store: store.to_owned(),
            runs: read,
            known: known.into_iter().collect(),
        });
    }
    Ok(kept)
}

/// One block per export, in the order the newest runs list them; each block's lines newest
/// run first.
pub fn per_export(runs: &[StoredRun]) -> Vec<ExportHistory> {
    let mut blocks: Vec<ExportHistory> = Vec::new();
    for run in newest_first(runs) {
        let report = &run.report;
        for e in &report.exports {
            let line = HistoryLine {
                run_id: run.id.to_string(),
                started_at: report.started_at,
                replay: report.replay.is_some(),
                dry_run: report.dry_run,
                status: e.status,
                rows: e.rows,
                inserted: e.inserted,
                updated: e.updated,
                seconds: e.seconds,
                note: note(e),
            };
            match blocks.iter_mut().find(|b| b.name == e.name) {
                Some(block) => block.lines.push(line),
                None => blocks.push(ExportHistory {
                    name: e.name.clone(),
                    lines: vec![line],
                }),
            }
        }
    }
    blocks
}

/// What went wrong or should be known, on one short line: the error, else the header change,
/// else the row-count warning (the two the history exists to show), else what a replay
/// re-read, else the first other warning (and how many more: the table reader's notes, such
/// as a PDF's page furniture left out, are in `--json` in full).
fn note(e: &ExportReport) -> Option<String> {
    if let Some(error) = &e.error {
        return Some(format!("error: {}", one_line(error, NOTE_CHARS)));
    }
    if !e.header_changes.is_empty() {
        let changes = super::header_change::describe_changes(&e.header_changes);
        return Some(format!("header: {}", one_line(&changes, NOTE_CHARS)));
    }
    if let Some(warning) = &e.row_count_warning {
        return Some(format!("warning: {}", one_line(warning, NOTE_CHARS)));
    }
    if let Some(run) = &e.replayed_from {
        return Some(format!("re-read the file of run {run}"));
    }
    let first = e.warnings.first()?;
    let more = match e.warnings.len() - 1 {
        0 => String::new(),
        n => format!(" (+{n} more)"),
    };
    Some(format!("warning: {}{more}", one_line(first, NOTE_CHARS)))
}

/// A sparkline of row counts, oldest first: `█` is the largest count, `▁` zero rows, any
/// other count one of `▂`..`█` in proportion (so a drop to zero never looks like a small
/// count); a run without a row count is [`GAP`].
pub fn sparkline(counts: &[Option<usize>]) -> String {
    let max = counts.iter().flatten().copied().max().unwrap_or(0) as u128;
    counts
        .iter()
        .map(|count| match *count {
            None => GAP,
            Some(0) => BARS[0],
            Some(n) => {
                // 1..=7 in proportion to n / max, rounded; u128 so that no count overflows.
                let steps = (BARS.len() - 2) as u128;
                let level = 1 + (n as u128 * steps * 2 + max) / (max * 2);
                BARS[level.min(BARS.len() as u128 - 1) as usize]
            }
        })
        .collect()
}

/// The block's title: the export's name, the sparkline of its newest [`SPARKLINE_MAX`] runs
/// and the smallest and largest row count.
fn title(block: &ExportHistory) -> String {
    let counts = block.row_counts();
    let shown = &counts[counts.len().saturating_sub(SPARKLINE_MAX)..];
    let cut = if shown.len() < counts.len() {
        "…"
    } else {
        ""
    };
    let present: Vec<usize> = counts.iter().flatten().copied().collect();
    let range = match (present.iter().min(), present.iter().max()) {
        (Some(min), Some(max)) => format!("rows min {min}, max {max}"),
        _ => "no row counts".to_owned(),
    };
    let runs = match block.lines.len() {
        1 => "1 run".to_owned(),
        n => format!("{n} runs"),
    };
    format!(
        "{}  {cut}{}  {range} ({runs}, oldest → newest)",
        block.name,
        sparkline(shown)
    )
}

fn status_text(status: ExportStatus) -> &'static str {
    match status {
        ExportStatus::Ok => "ok",
        ExportStatus::Failed => "FAILED",
        ExportStatus::Skipped => "skipped",
    }
}

fn mark(line: &HistoryLine) -> &'static str {
    match (line.replay, line.dry_run) {
        (false, false) => "",
        (true, false) => "replay",
        (false, true) => "dry run",
        (true, true) => "dry replay",
    }
}

/// The terminal text: a line naming the store, then one block per export. Times are shown in
/// `tz`. Fits in 100 columns (an export name longer than 40 characters aside).
pub fn render(runs: &[StoredRun], store: &str, tz: Tz) -> String {
    if runs.is_empty() {
        return no_runs(store);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} in {store}, newest first; times in {tz}",
        match runs.len() {
            1 => "1 run".to_owned(),
            n => format!("{n} runs"),
        }
    );
    for block in per_export(runs) {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", title(&block));
        let _ = writeln!(
            out,
            "  {:16}  {:23}  {:7} {:10}  {:>7}  {:>13}  {:>7}",
            "when", "run id", "status", "", "rows", "ins / upd", "seconds"
        );
        for line in &block.lines {
            let when = line.started_at.with_timezone(&tz).format("%Y-%m-%d %H:%M");
            let rows = line
                .rows
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into());
            let changed = format!("{} / {}", line.inserted, line.updated);
            let row = format!(
                "  {when:16}  {:23}  {:7} {:10}  {rows:>7}  {changed:>13}  {:>7.1}",
                line.run_id,
                status_text(line.status),
                mark(line),
                line.seconds
            );
            let _ = writeln!(out, "{}", row.trim_end());
            if let Some(note) = &line.note {
                let _ = writeln!(out, "{:20}{note}", "");
            }
        }
    }
    out
}

/// What an empty store prints.
pub fn no_runs(store: &str) -> String {
    format!("no runs stored in {store} yet\n")
}

/// `history --json`: the store and its runs, newest first. A stable shape: fields are only
/// ever added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryJson {
    pub store: String,
    pub runs: Vec<RunJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunJson {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    /// The run re-read stored files (`exportsync replay`).
    pub replay: bool,
    pub dry_run: bool,
    pub status: RunStatus,
    pub exports: Vec<ExportJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportJson {
    pub name: String,
    pub status: ExportStatus,
    /// `null` when the file was never read.
    pub rows: Option<usize>,
    pub inserted: usize,
    pub updated: usize,
    pub seconds: f64,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

/// The JSON of `runs` in `store`, newest first.
pub fn to_json(runs: &[StoredRun], store: &str) -> HistoryJson {
    HistoryJson {
        store: store.to_owned(),
        runs: newest_first(runs)
            .into_iter()
            .map(|run| RunJson {
                run_id: run.id.to_string(),
                started_at: run.report.started_at,
                replay: run.report.replay.is_some(),
                dry_run: run.report.dry_run,
                status: run.report.status,
                exports: run
                    .report
                    .exports
                    .iter()
                    .map(|e| ExportJson {
                        name: e.name.clone(),
                        status: e.status,
                        rows: e.rows,
                        inserted: e.inserted,
                        updated: e.updated,
                        seconds: e.seconds,
                        error: e.error.clone(),
                        warnings: e.warnings.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
