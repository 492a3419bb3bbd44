//! The date window of a run: an explicit range, or the last `lookback_days` up to "today" in the
//! configured time zone. Pure: "today" is passed in (now, or the schedule's time).

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::source::DateWindow;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("from {from} is after to {to}; give a from date on or before the to date")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("from {from} is after today ({today} in {timezone}); give an earlier date")]
    FromAfterToday {
        from: NaiveDate,
        today: NaiveDate,
        timezone: Tz,
    },
    #[error("lookback_days {days} reaches before the calendar")]
    OutOfRange { days: u32 },
}

/// The day `instant` falls on in `timezone`.
pub fn today_in(timezone: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&timezone).date_naive()
}

/// The window to export. `to` defaults to `today`; `from` to `lookback_days` before `to`.
pub fn resolve(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
    lookback_days: u32,
    timezone: Tz,
) -> Result<DateWindow, WindowError> {
    let to_given = to.is_some();
    let to = to.unwrap_or(today);
    let from = match from {
        Some(from) => from,
        None => {
            to.checked_sub_days(Days::new(lookback_days.into()))
                .ok_or(WindowError::OutOfRange {
                    days: lookback_days,
                })?
        }
    };
    if from > to {
        return Err(if to_given {
            WindowError::Reversed { from, to }
        } else {
            WindowError::FromAfterToday {
                from,
                today: to,
                timezone,
            }
        });
    }
    Ok(DateWindow { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    const JKT: Tz = chrono_tz::Asia::Jakarta;

    #[test]
    fn default_is_lookback_days_up_to_today() {
        let w = resolve(None, None, d("2026-11-28"), 1, JKT).unwrap();
        assert_eq!((w.from, w.to), (d("2026-11-27"), d("2026-11-28")));
        let w = resolve(None, None, d("2026-11-28"), 0, JKT).unwrap();
        assert_eq!((w.from, w.to), (d("2026-11-28"), d("2026-11-28")));
    }

    #[test]
    fn explicit_range_and_half_ranges() {
        let w = resolve(
            Some(d("2026-01-01")),
            Some(d("2026-01-31")),
            d("2026-11-28"),
            1,
            JKT,
        )
        .unwrap();
        assert_eq!((w.from, w.to), (d("2026-01-01"), d("2026-01-31")));
        let w = resolve(None, Some(d("2026-01-31")), d("2026-11-28"), 2, JKT).unwrap();
        assert_eq!(w.from, d("2026-01-29"));
        let w = resolve(Some(d("2026-11-01")), None, d("2026-11-28"), 1, JKT).unwrap();
        assert_eq!(w.to, d("2026-11-28"));
    }

    #[test]
    fn reversed_ranges_say_which_side_is_wrong() {
        let e = resolve(
            Some(d("2026-02-01")),
            Some(d("2026-01-01")),
            d("2026-11-28"),
            1,
            JKT,
        )
        .unwrap_err();
        assert!(matches!(e, WindowError::Reversed { .. }), "{e}");
        let e = resolve(Some(d("2026-12-01")), None, d("2026-11-28"), 1, JKT).unwrap_err();
        assert!(
            e.to_string()
                .contains("after today (2026-11-28 in Asia/Jakarta)"),
            "{e}"
        );
    }

    #[test]
    fn today_is_computed_in_the_zone() {
        // 17:30 UTC on the 27th is 00:30 on the 28th in Jakarta (UTC+7).
        let t: DateTime<Utc> = "2026-11-27T17:30:00Z".parse().unwrap();
        assert_eq!(today_in(JKT, t), d("2026-11-28"));
        assert_eq!(today_in(chrono_tz::UTC, t), d("2026-11-27"));
    }
}
