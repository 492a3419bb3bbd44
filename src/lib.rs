//! exportsync pulls exports out of a web admin panel that offers them only through its UI and
//! keeps Google Sheets up to date with them, without ever losing or duplicating a row.
//!
//! Data flows one way, left to right: `source` produces files, `table` turns bytes into a
//! [`table::Table`], `sheet` turns a table plus a tab's contents into a plan and writes it,
//! `report` tells. No module reaches back up the chain; [`run`] is the only place that knows
//! them all, and both the CLI and the Lambda handler call it. `config`, `secrets`, [`text`]
//! and [`tls`] are inputs and helpers any of them may use.
//!
//! Layout:
//! - [`config`]: the export definitions file (`exports.toml`): serde model, defaults, validation
//!   whose errors name the file, the export and the field.
//! - [`secrets`]: the secrets JSON document (backend login, Google key, Telegram) from a local
//!   file or AWS Secrets Manager, cached with a TTL; `Debug` prints every secret redacted.
//! - [`source`]: the browser: launch Chromium, log in once, drive each export page, capture the
//!   downloads through CDP events.
//! - [`table`]: pure parsing: sniff the format, read xlsx/xls/ods/csv/html, find the header,
//!   type the cells ([`table::cell`]).
//! - [`sheet`]: the keyed upsert: a pure planner (tab + table -> plan) and the Sheets API
//!   client (google-sheets4 + yup-oauth2) that reads a tab once and applies a plan in few
//!   atomic batches.
//! - [`report`]: the run report (Lambda response, `run --json`), its terminal table, and the
//!   Telegram summary and Bot API client.
//! - [`store`]: the run store (S3 or a local folder, through object_store): each run's raw
//!   files and report under time-sorted keys; the history they give (last header, usual row
//!   counts) and the checks made against it, pure.
//! - [`run`]: one run end to end: window, one browser session, parse off the runtime, checks
//!   against the stored history, upsert, run directory, store, report and Telegram, each stage
//!   within the run's [`run::Budget`]; replays of stored runs ([`run::replay`]); the clients
//!   shared by runs ([`run::Services`]).
//! - [`lambda`]: the Lambda function: invocation events (pure) and the handler over
//!   `lambda_runtime` (feature `lambda`).
//! - [`sim`]: loopback simulators of the backend panel, the Sheets API, Secrets Manager and the
//!   Telegram Bot API, used by the tests and by `exportsync demo` (feature `sim`).
//! - [`cli`]: the command line (clap); `main.rs` only calls [`cli::main`].
//! - [`text`]: one-line errors and error chains; [`tls`]: the process-wide rustls provider.
//! - [`logging`]: tracing subscriber setup (JSON in Lambda, colour only on a terminal) writing
//!   to a writer that tests can silence; wire-level library logs capped so no secret reaches
//!   a log.

pub mod cli;
pub mod config;
pub mod lambda;
pub mod logging;
pub mod report;
pub mod run;
pub mod secrets;
pub mod sheet;
#[cfg(feature = "sim")]
pub mod sim;
pub mod source;
pub mod store;
pub mod table;
pub mod text;
pub mod tls;
