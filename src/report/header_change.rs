//! A change of an export's header since its last stored run (header drift), as the run report
//! and the Telegram summary show it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One column that changed between the last stored header and this run's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum HeaderChange {
    /// A new column, at `position` (1-based) in this run's header.
    Added { column: String, position: usize },
    /// A column of the last header that is gone; `position` was its place there.
    Removed { column: String, position: usize },
    /// One column removed and one added at the same position.
    Renamed {
        from: String,
        to: String,
        position: usize,
    },
}

impl fmt::Display for HeaderChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderChange::Added { column, position } => {
                write!(f, "column \"{column}\" added (column {position})")
            }
            HeaderChange::Removed { column, position } => {
                write!(f, "column \"{column}\" removed (was column {position})")
            }
            HeaderChange::Renamed { from, to, position } => {
                write!(f, "column {position} renamed \"{from}\" -> \"{to}\"")
            }
        }
    }
}

/// The changes as one line: `column 3 renamed "Phone" -> "No HP"; column "Tier" added (column 9)`.
pub fn describe_changes(changes: &[HeaderChange]) -> String {
    changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
