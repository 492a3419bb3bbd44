//! What a run tells: the machine-readable [`RunReport`] (the Lambda response, `run --json`),
//! its terminal table ([`terminal`]), and the Telegram summary ([`summary`], sent by
//! [`telegram`]); and what the stored runs tell together ([`history`], `exportsync history`).

pub mod header_change;
pub mod history;
pub mod model;
pub mod summary;
pub mod telegram;
pub mod terminal;

pub use header_change::HeaderChange;
pub use model::{
    ExportReport, ExportStatus, FailedStage, ReplayInfo, RunReport, RunStatus, Screenshot,
    StoreOutcome, StoreStatus, TelegramOutcome, TelegramStatus, Totals, Window,
};
pub use telegram::{TelegramClient, should_notify};
