//! The keyed upsert into Google Sheets: a pure planner ([`plan`]) turns the tab's contents and
//! an export [`Table`](crate::table::Table) into a [`Plan`]; the client ([`SheetClient`]) reads
//! the tab once, then applies the plan in few atomic `batchUpdate`s ([`write`]), retrying
//! 429/5xx/timeouts ([`retry`]). The rules are in `docs/upsert.md`.

pub mod client;
pub mod error;
pub mod plan;
pub mod retry;
pub mod upsert;
pub mod values;
pub mod write;

pub use client::{SheetClient, SheetClientOptions};
pub use error::SheetError;
pub use plan::{CellUpdate, Plan, PlanCounts, PlanError, plan};
pub use retry::RetryPolicy;
pub use upsert::UpsertReport;

/// Where a table goes: a tab of a spreadsheet, and the columns that identify a row (none =
/// the whole row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetTarget {
    pub spreadsheet_id: String,
    pub tab: String,
    pub key_columns: Vec<String>,
}
