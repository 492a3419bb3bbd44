//! What the stored history says an export usually looks like (pure): its last header and the
//! row counts of its last ok runs; and the two checks made against it, header drift and a
//! row count far below the usual.

use std::collections::BTreeMap;

#[cfg(test)]
use crate::report::header_change::describe_changes;
use crate::report::{ExportStatus, HeaderChange, RunReport};

/// Ok runs a row-count check looks back over, at most.
pub const ANOMALY_RUNS: usize = 14;
/// Fewer stored ok runs than this: no row-count check yet.
pub const ANOMALY_MIN_RUNS: usize = 3;
/// A usual (median) count at or below this is too small to judge.
pub const ANOMALY_MIN_MEDIAN: f64 = 5.0;
/// Below 1/ANOMALY_FACTOR of the median is "far below".
pub const ANOMALY_FACTOR: f64 = 5.0;

/// One export's history, newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportBaseline {
    /// The header of the newest stored run that wrote this export (status ok, not a dry run).
    pub header: Option<Vec<String>>,
    /// The run that header comes from.
    pub header_run: Option<String>,
    /// Row counts of the newest ok runs (at most [`ANOMALY_RUNS`]), newest first.
    pub ok_rows: Vec<usize>,
}

/// Every export's history, from the stored reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Baseline {
    pub exports: BTreeMap<String, ExportBaseline>,
    /// Reports read.
    pub runs: usize,
}

impl Baseline {
    /// Builds the baseline from stored reports, newest first. Replays are left out (they re-read
    /// old files), and so is every export line that did not end ok; a dry run gives row counts
    /// but not the header (it wrote nothing).
    pub fn from_reports<'a>(reports: impl IntoIterator<Item = &'a RunReport>) -> Baseline {
        let mut baseline = Baseline::default();
        for report in reports {
            baseline.runs += 1;
            if report.replay.is_some() {
                continue;
            }
            for line in &report.exports {
                if line.status != ExportStatus::Ok {
                    continue;
                }
                let entry = baseline.exports.entry(line.name.clone()).or_default();
                // A dry run wrote nothing: its header is not what the sheet has.
                if entry.header.is_none() && !line.header.is_empty() && !report.dry_run {
                    entry.header = Some(line.header.clone());
                    entry.header_run = report.run_id.clone();
                }
                if let Some(rows) = line.rows
                    && entry.ok_rows.len() < ANOMALY_RUNS
                {
                    entry.ok_rows.push(rows);
                }
            }
        }
        baseline
    }

    pub fn export(&self, name: &str) -> Option<&ExportBaseline> {
        self.exports.get(name)
    }
}

/// The columns added, removed or renamed from `previous` to `current`. Columns are matched by
/// name, so a column that only moved is no change; a removed and an added column at the same
/// position are one rename.
pub fn header_changes(previous: &[String], current: &[String]) -> Vec<HeaderChange> {
    let removed: Vec<(usize, &String)> = previous
        .iter()
        .enumerate()
        .filter(|(_, c)| !current.contains(c))
        .map(|(i, c)| (i + 1, c))
        .collect();
    let added: Vec<(usize, &String)> = current
        .iter()
        .enumerate()
        .filter(|(_, c)| !previous.contains(c))
        .map(|(i, c)| (i + 1, c))
        .collect();
    let mut changes = Vec::new();
    let mut renamed_to = Vec::new();
    for (position, from) in &removed {
        match added.iter().find(|(p, _)| p == position) {
            Some((_, to)) => {
                renamed_to.push(*position);
                changes.push(HeaderChange::Renamed {
                    from: (*from).clone(),
                    to: (*to).clone(),
                    position: *position,
                });
            }
            None => changes.push(HeaderChange::Removed {
                column: (*from).clone(),
                position: *position,
            }),
        }
    }
    for (position, column) in &added {
        if !renamed_to.contains(position) {
            changes.push(HeaderChange::Added {
                column: (*column).clone(),
                position: *position,
            });
        }
    }
    changes.sort_by_key(|c| match c {
        HeaderChange::Added { position, .. }
        | HeaderChange::Removed { position, .. }
        | HeaderChange::Renamed { position, .. } => *position,
    });
    changes
}

/// The median of `counts` (the mean of the middle two for an even number).
pub fn median(counts: &[usize]) -> Option<f64> {
    if counts.is_empty() {
        return None;
    }
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) as f64 / 2.0
    } else {
        sorted[mid] as f64
    })
}

/// A warning when `rows` is far below the usual: zero, or below a fifth of the median of the
/// last ok runs, when there are at least [`ANOMALY_MIN_RUNS`] of them and their median is above
/// [`ANOMALY_MIN_MEDIAN`]. `history` is newest first; only its first [`ANOMALY_RUNS`] count.
pub fn row_count_warning(rows: usize, history: &[usize]) -> Option<String> {
    let history = &history[..history.len().min(ANOMALY_RUNS)];
    if history.len() < ANOMALY_MIN_RUNS {
        return None;
    }
    let median = median(history)?;
    if median <= ANOMALY_MIN_MEDIAN {
        return None;
    }
    if rows == 0 || (rows as f64) < median / ANOMALY_FACTOR {
        Some(format!(
            "only {rows} rows, far below the usual {} (median of the last {} ok runs); check the export's filters and the panel",
            fmt_median(median),
            history.len()
        ))
    } else {
        None
    }
}

fn fmt_median(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn same_columns_in_another_order_are_no_change() {
        assert!(header_changes(&cols(&["a", "b", "c"]), &cols(&["c", "a", "b"])).is_empty());
    }

    #[test]
    fn a_renamed_column_is_one_change_at_its_position() {
        let changes = header_changes(
            &cols(&["ID", "Nama", "Phone", "Poin"]),
            &cols(&["ID", "Nama", "No HP", "Poin"]),
        );
        assert_eq!(
            changes,
            vec![HeaderChange::Renamed {
                from: "Phone".into(),
                to: "No HP".into(),
                position: 3
            }]
        );
        assert_eq!(
            describe_changes(&changes),
            "column 3 renamed \"Phone\" -> \"No HP\""
        );
    }

    #[test]
    fn added_and_removed_columns_at_other_positions_stay_apart() {
        let changes = header_changes(
            &cols(&["ID", "Nama", "Kota"]),
            &cols(&["ID", "Kota", "Nama", "Tier"]),
        );
        assert_eq!(
            changes,
            vec![HeaderChange::Added {
                column: "Tier".into(),
                position: 4
            }]
        );
        let changes = header_changes(&cols(&["ID", "Nama", "Kota"]), &cols(&["ID", "Kota"]));
        assert_eq!(
            describe_changes(&changes),
            "column \"Nama\" removed (was column 2)"
        );
        let changes = header_changes(&cols(&["ID", "A"]), &cols(&["B", "ID"]));
        assert_eq!(
            describe_changes(&changes),
            "column \"B\" added (column 1); column \"A\" removed (was column 2)"
        );
    }

    fn report(run: &str, header: &[&str], rows: usize, dry_run: bool) -> RunReport {
        let mut line = crate::report::ExportReport::new("users", None, "Users");
        line.status = ExportStatus::Ok;
        line.rows = Some(rows);
        line.header = cols(header);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let window = crate::report::Window {
            from: day,
            to: day,
            timezone: "UTC".into(),
        };
        let mut r = RunReport::new(window, chrono::Utc::now(), vec![line]);
        r.dry_run = dry_run;
        r.run_id = Some(run.into());
        r
    }

    #[test]
    fn the_header_comes_from_the_newest_run_that_wrote_and_rows_from_ok_runs() {
        let mut failed = report("r4", &["ID", "X"], 1, false);
        failed.exports[0].status = ExportStatus::Failed;
        let mut replay = report("r3", &["ID", "Y"], 2, false);
        replay.replay = Some(crate::report::ReplayInfo {
            runs: vec!["r0".into()],
        });
        let reports = [
            failed,
            report("r3b", &["ID", "Dry"], 30, true),
            replay,
            report("r2", &["ID", "Nama"], 20, false),
            report("r1", &["ID", "Old"], 10, false),
        ];
        let baseline = Baseline::from_reports(&reports);
        let users = baseline.export("users").unwrap();
        assert_eq!(users.header, Some(cols(&["ID", "Nama"])));
        assert_eq!(users.header_run.as_deref(), Some("r2"));
        assert_eq!(
            users.ok_rows,
            vec![30, 20, 10],
            "dry runs count, replays and failures not"
        );
        assert_eq!(baseline.runs, 5);
    }

    #[test]
    fn the_row_count_warning_needs_history_and_a_real_drop() {
        // Too little history or too small a usual count: no judgement.
        assert_eq!(row_count_warning(0, &[100, 100]), None);
        assert_eq!(row_count_warning(0, &[5, 5, 5, 5]), None);
        // Zero rows against a usual of 100.
        let w = row_count_warning(0, &[100, 90, 110]).unwrap();
        assert!(
            w.contains("only 0 rows") && w.contains("usual 100") && w.contains("last 3 ok runs"),
            "{w}"
        );
        // Below a fifth of the median, and just at it.
        assert!(row_count_warning(19, &[100, 100, 100, 100]).is_some());
        assert_eq!(row_count_warning(20, &[100, 100, 100, 100]), None);
        // Only the newest 14 count: an old high era does not raise the bar.
        let mut history = vec![10; 14];
        history.extend([1000; 20]);
        assert_eq!(row_count_warning(3, &history), None);
        assert!(row_count_warning(1, &history).is_some());
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
    }
}
