//! The store's key layout (pure): a run id that sorts by time, and the keys of a run's report
//! and raw files, `runs/<yyyy>/<mm>/<dd>/<run-id>/report.json` and
//! `runs/<yyyy>/<mm>/<dd>/<run-id>/<export>/<file name>` (dates in UTC).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

/// The top folder of every run.
pub const RUNS: &str = "runs";
/// A run's report, beside its raw files.
pub const REPORT: &str = "report.json";

/// A run's id: its start in UTC to the second, and a random suffix (two runs may start in the
/// same second), e.g. `20261203T053012Z-3fa9c1`. Sorts by time as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId {
    text: String,
    started: DateTime<Utc>,
}

impl RunId {
    /// A new id for a run that started at `started`.
    pub fn new(started: DateTime<Utc>) -> RunId {
        let suffix: u32 = rand::random::<u32>() & 0x00ff_ffff;
        let text = format!("{}-{suffix:06x}", started.format("%Y%m%dT%H%M%SZ"));
        RunId::from_str(&text).expect("a well-formed run id")
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// When the run started (to the second).
    pub fn started(&self) -> DateTime<Utc> {
        self.started
    }

    /// The UTC day its keys live under.
    pub fn day(&self) -> NaiveDate {
        self.started.date_naive()
    }

    /// `runs/<yyyy>/<mm>/<dd>/<run-id>`.
    pub fn folder(&self) -> String {
        format!("{}/{}", day_folder(self.day()), self.text)
    }

    /// The key of the run's report.
    pub fn report_key(&self) -> String {
        format!("{}/{REPORT}", self.folder())
    }

    /// The key of an export's raw file.
    pub fn file_key(&self, export: &str, file_name: &str) -> String {
        format!(
            "{}/{}/{}",
            self.folder(),
            key_part(export, 64),
            key_part(file_name, 120)
        )
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for RunId {
    type Err = String;

    fn from_str(s: &str) -> Result<RunId, String> {
        let bad = || {
            format!(
                "\"{s}\" is not a run id (like 20261203T053012Z-3fa9c1: see `exportsync history`)"
            )
        };
        let (time, suffix) = s.split_once('-').ok_or_else(bad)?;
        if suffix.len() != 6 || !suffix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let started = NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%M%SZ")
            .map_err(|_| bad())?
            .and_utc();
        Ok(RunId {
            text: s.to_owned(),
            started,
        })
    }
}

/// `runs/<yyyy>/<mm>/<dd>`.
pub fn day_folder(day: NaiveDate) -> String {
    format!(
        "{RUNS}/{:04}/{:02}/{:02}",
        day.year(),
        day.month(),
        day.day()
    )
}

/// `runs/<yyyy>`.
pub fn year_folder(year: i32) -> String {
    format!("{RUNS}/{year:04}")
}

/// `runs/<yyyy>/<mm>`.
pub fn month_folder(year: i32, month: u32) -> String {
    format!("{RUNS}/{year:04}/{month:02}")
}

/// A name made safe as one key part: letters, digits, `.`, `_` and `-` kept, anything else `_`,
/// no leading dot, at most `max` characters (the extension kept).
pub fn key_part(name: &str, max: usize) -> String {
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while safe.starts_with('.') {
        safe.replace_range(0..1, "_");
    }
    if safe.is_empty() {
        safe.push_str("file");
    }
    if safe.len() > max {
        let ext = safe
            .rfind('.')
            .map(|i| safe[i..].to_owned())
            .filter(|e| e.len() <= 10)
            .unwrap_or_default();
        safe.truncate(max - ext.len());
        safe.push_str(&ext);
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn run_ids_sort_by_time_and_give_their_keys() {
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 5, 30, 12).unwrap();
        let id = RunId::new(t);
        assert!(id.as_str().starts_with("20261203T053012Z-"), "{id}");
        assert_eq!(id.started(), t);
        assert_eq!(id.report_key(), format!("runs/2026/12/03/{id}/report.json"));
        assert_eq!(
            id.file_key("users", "users 2026/12.pdf"),
            format!("runs/2026/12/03/{id}/users/users_2026_12.pdf")
        );
        let later = RunId::new(t + chrono::Duration::seconds(1));
        assert!(id < later && id.as_str() < later.as_str());
        assert_eq!(id.as_str().parse::<RunId>().unwrap(), id);
    }

    #[test]
    fn malformed_run_ids_are_refused_with_an_example() {
        for bad in [
            "",
            "20261203T053012Z",
            "20261203T053012Z-xyz123",
            "2026-12-03-abcdef",
            "20261303T053012Z-abcdef",
            "../../etc-abcdef",
        ] {
            let err = bad.parse::<RunId>().unwrap_err();
            assert!(err.contains("not a run id"), "{err}");
        }
    }

    #[test]
    fn key_parts_are_safe_and_bounded() {
        assert_eq!(key_part("../secret", 64), "_._secret");
        assert_eq!(key_part("", 64), "file");
        assert_eq!(key_part("Ünïcode name.xlsx", 64), "_n_code_name.xlsx");
        let long = format!("{}.pdf", "a".repeat(300));
        let part = key_part(&long, 120);
        assert_eq!(part.len(), 120);
        assert!(part.ends_with(".pdf"));
        assert_eq!(
            day_folder(NaiveDate::from_ymd_opt(2027, 1, 9).unwrap()),
            "runs/2027/01/09"
        );
    }
}
