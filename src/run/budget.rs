//! The run's time budget: one hard deadline (Lambda's, or `run --timeout`) and the margins
//! every stage asks for, in one place so that they visibly add up. From the end backwards:
//!
//! ```text
//! work deadline        backstop                   store deadline      telegram deadline  deadline
//!   |-- BACKSTOP (7 s) --|-- REAP (3 s) --|-- STORE (3 s) --|-- TELEGRAM (7 s) --|-- FINAL (3 s) --|
//!   |<------------------------------- REPORT_MARGIN (23 s) ------------------------------->|
//! ```
//!
//! No export starts after the work deadline; a step still running at the backstop is cut off
//! (its browser may then take REAP to die); the run store has until the store deadline to take
//! the last files and the report; Telegram has until the telegram deadline; the last FINAL
//! seconds are for the log lines, deleting the run directory and answering Lambda.

use std::time::Duration;

use tokio::time::Instant;

/// How long past the work deadline a step (download, parse, upsert) may take to wind down
/// before it is cut off.
pub const BACKSTOP: Duration = Duration::from_secs(7);
/// What a browser cut off at the backstop may take to be closed and reaped.
pub const REAP: Duration = Duration::from_secs(3);
/// At least this long for the run store to take the last raw files and the report.
pub const STORE: Duration = Duration::from_secs(3);
/// At least this long for the Telegram summary.
pub const TELEGRAM: Duration = Duration::from_secs(7);
/// Kept after Telegram: log lines, deleting the run directory, the Lambda response.
pub const FINAL: Duration = Duration::from_secs(3);
/// Time kept at the end of a run for winding down and reporting: no export starts after
/// `deadline - REPORT_MARGIN`.
pub const REPORT_MARGIN: Duration = Duration::from_secs(23);

const _: () = assert!(
    BACKSTOP.as_millis()
        + REAP.as_millis()
        + STORE.as_millis()
        + TELEGRAM.as_millis()
        + FINAL.as_millis()
        == REPORT_MARGIN.as_millis(),
    "the margins must add up to REPORT_MARGIN"
);

/// The longest budget a run takes (a larger `--timeout` is cut to it): far beyond any run, and
/// small enough that no instant computed from it overflows.
pub const MAX_BUDGET: Duration = Duration::from_secs(366 * 24 * 3600);

/// One run's deadline and what each stage may use of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    deadline: Instant,
}

impl Budget {
    /// A budget ending at `deadline` (at most [`MAX_BUDGET`] from now).
    pub fn until(deadline: Instant) -> Budget {
        let now = Instant::now();
        Budget {
            deadline: deadline.min(now + MAX_BUDGET),
        }
    }

    /// A budget of `time` from now (cut to [`MAX_BUDGET`]; never panics).
    pub fn after(time: Duration) -> Budget {
        Budget {
            deadline: Instant::now() + time.min(MAX_BUDGET),
        }
    }

    /// The hard end: Lambda stops the invocation here.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// No export (browser session, parse, upsert) starts at or after this instant.
    pub fn work_deadline(&self) -> Instant {
        self.before_deadline(REPORT_MARGIN)
    }

    /// A step still running at this instant is cut off and reported.
    pub fn backstop(&self) -> Instant {
        self.work_deadline() + BACKSTOP
    }

    /// The run store's last writes (files, report) are given up at this instant.
    pub fn store_deadline(&self) -> Instant {
        self.before_deadline(TELEGRAM + FINAL)
    }

    /// The Telegram summary is given up at this instant.
    pub fn telegram_deadline(&self) -> Instant {
        self.before_deadline(FINAL)
    }

    /// Whether new work may still start.
    pub fn may_start_work(&self) -> bool {
        Instant::now() < self.work_deadline()
    }

    fn before_deadline(&self, margin: Duration) -> Instant {
        self.deadline
            .checked_sub(margin)
            .unwrap_or(self.deadline)
            .min(self.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stages_end_in_order_before_the_deadline() {
        let b = Budget::after(Duration::from_secs(900));
        assert!(b.work_deadline() < b.backstop());
        assert!(b.backstop() + REAP <= b.store_deadline());
        assert!(b.store_deadline() + TELEGRAM <= b.telegram_deadline());
        assert!(b.telegram_deadline() + FINAL <= b.deadline());
        assert_eq!(b.deadline() - b.work_deadline(), REPORT_MARGIN);
    }

    #[test]
    fn a_huge_timeout_is_cut_and_never_panics() {
        for time in [Duration::MAX, Duration::from_secs(u64::MAX)] {
            let b = Budget::after(time);
            assert!(b.deadline() - Instant::now() <= MAX_BUDGET);
            let _ = b.backstop() + Duration::from_secs(3600);
        }
        let far = Instant::now() + Duration::from_secs(100 * 366 * 24 * 3600);
        assert!(Budget::until(far).deadline() - Instant::now() <= MAX_BUDGET);
    }

    #[test]
    fn a_budget_shorter_than_the_margin_starts_no_work() {
        let b = Budget::after(Duration::from_secs(5));
        assert!(!b.may_start_work());
        assert!(b.telegram_deadline() > Instant::now());
    }
}
