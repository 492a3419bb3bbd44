//! The Lambda function: the same job as `exportsync run`, started by the Lambda Runtime API.
//! [`event`] reads the invocation events (pure, always built); [`handler`] holds what a
//! container keeps between invocations (config, secrets cache, clients) and maps a run to a
//! response or to a function error with a stable error type (feature `lambda`).

pub mod event;
#[cfg(feature = "lambda")]
pub mod handler;

/// The configuration file the function reads (default `exports.toml` in the working
/// directory, the task root in the image).
pub const CONFIG_ENV: &str = "EXPORTSYNC_CONFIG";
/// The run store's URL (`s3://bucket/prefix`, a folder, or `none`); unset: the config's
/// `[store] url`, else off.
pub const STORE_ENV: &str = "EXPORTSYNC_STORE";
/// How long a fetched secret is reused by warm invocations (default 300 s).
pub const SECRETS_TTL_ENV: &str = "EXPORTSYNC_SECRETS_TTL_SECS";
