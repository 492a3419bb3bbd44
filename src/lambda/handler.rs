//! The Lambda handler. [`Function`] is built once per container (outside the handler): the
//! config, the secrets provider (cached with a TTL, fetched again after a refused credential)
//! and the clients; every invocation runs the job with the invocation's deadline. When an export
//! failed or was skipped, the invocation ends as a function error (`ExportsFailed`, a message of
//! at most [`MAX_SUMMARY_CHARS`]: lambda_runtime logs it whole) after the report was logged and
//! sent to Telegram, so the Errors metric, alarms and the on-failure destination act; otherwise
//! the report is the response.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use super::event::{self, EventError, ReplayInput};
use super::{CONFIG_ENV, SECRETS_TTL_ENV, STORE_ENV};
use crate::config::Config;
use crate::report::RunReport;
use crate::run::replay::{ReplayRequest, ReplaySelection};
use crate::run::{self, Budget, Endpoints, RunError, RunRequest, Services};
use crate::secrets::{DEFAULT_TTL, SECRET_ID_ENV, SecretSource, SecretsError, SecretsProvider};
use crate::store::{RunStore, StoreLocation};

/// Variables lambda_runtime needs (it panics without them); checked first for a clear error.
const RUNTIME_VARS: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];
/// Used when the context has no deadline (a test calling the handler directly).
const DEFAULT_BUDGET: Duration = Duration::from_secs(900);
/// The longest `ExportsFailed` message (lambda_runtime logs the error whole, CloudWatch takes
/// it as one event): the report, in the logs and on Telegram, has the rest.
pub const MAX_SUMMARY_CHARS: usize = 2000;

/// Why an invocation failed. `error_type` names are stable: alarms and destinations may match
/// on them.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("{0}")]
    SecretsSetup(String),
    #[error(transparent)]
    Run(#[from] RunError),
    /// Which exports did not complete and why, at most [`MAX_SUMMARY_CHARS`] long (the error
    /// is logged whole by lambda_runtime; the report was logged before).
    #[error("{summary}")]
    ExportsFailed { summary: String },
}

impl FunctionError {
    pub fn error_type(&self) -> &'static str {
        match self {
            FunctionError::Event(_) => "InvalidEvent",
            FunctionError::Config(_) => "ConfigInvalid",
            FunctionError::Secrets(_) | FunctionError::SecretsSetup(_) => "SecretsUnavailable",
            FunctionError::Run(e) => e.error_type(),
            FunctionError::ExportsFailed { .. } => "ExportsFailed",
        }
    }
}

impl From<FunctionError> for Diagnostic {
    fn from(e: FunctionError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type().to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// What a container keeps between invocations.
pub struct Function {
    config: Result<Config, String>,
    secrets: Result<SecretsProvider, String>,
    pub services: Services,
    /// Parent of each run's directory (Lambda: /tmp).
    work_dir: Option<PathBuf>,
}

impl Function {
    /// Reads `EXPORTSYNC_CONFIG`, `EXPORTSYNC_SECRET_ID` and `EXPORTSYNC_SECRETS_TTL_SECS`.
    /// Their problems are reported by every invocation (so they reach the alarms), not at
    /// start; only an HTTP client that cannot be built stops the container.
    pub async fn from_env() -> Result<Function, String> {
        let path = std::env::var_os(CONFIG_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("exports.toml"));
        let mut config = Config::load(&path).map_err(|e| e.to_string());
        // The run store: EXPORTSYNC_STORE, else the file's [store] url, else off. A URL that
        // does not parse is a configuration error every invocation reports; a store that is
        // unreachable later only adds a warning to the report.
        let store = match store_location(config.as_ref().ok()) {
            Ok(location) => RunStore::open(&location).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let store = match store {
            Ok(store) => store,
            Err(e) => {
                config = Err(e);
                None
            }
        };
        let secrets = match (secrets_ttl(), std::env::var(SECRET_ID_ENV)) {
            (Err(e), _) => Err(e),
            (Ok(ttl), Ok(id)) if !id.trim().is_empty() => SecretsProvider::new(
                SecretSource::SecretsManager {
                    secret_id: id.trim().to_owned(),
                },
                ttl,
            )
            .await
            .map_err(|e| e.to_string()),
            _ => Err(format!(
                "{SECRET_ID_ENV} is not set: set it to the name or ARN of the secret holding the secrets document"
            )),
        };
        let services = Services::new(Endpoints::default())
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?
            .with_store(store);
        Ok(Function {
            config,
            secrets,
            services,
            work_dir: None,
        })
    }

    /// A function from parts already built (tests, other entry points).
    pub fn new(config: Config, secrets: SecretsProvider, services: Services) -> Function {
        Function {
            config: Ok(config),
            secrets: Ok(secrets),
            services,
            work_dir: None,
        }
    }

    /// One invocation.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<RunReport, FunctionError> {
        let (payload, context) = (event.payload, event.context);
        let (shape, input) = event::parse(&payload)?;
        tracing::info!(
            shape = shape.as_str(),
            trigger = input.trigger.as_deref().unwrap_or(""),
            "invocation"
        );
        let config = self
            .config
            .as_ref()
            .map_err(|e| FunctionError::Config(e.clone()))?;
        let secrets = self
            .secrets
            .as_ref()
            .map_err(|e| FunctionError::SecretsSetup(e.clone()))?;
        let document = secrets.get().await?;
        let budget = budget_of(context.deadline);
        let request_id = Some(context.request_id.clone()).filter(|id| !id.is_empty());
        let outcome = if let Some(replay) = input.replay {
            let selection = match replay {
                ReplayInput::Run(id) => ReplaySelection::Run(
                    id.parse()
                        .map_err(|why: String| FunctionError::Event(EventError { problem: why }))?,
                ),
                ReplayInput::Between { from, to } => ReplaySelection::Between { from, to },
            };
            let request = ReplayRequest {
                selection,
                only: input.exports,
                dry_run: input.dry_run,
                budget,
                request_id,
            };
            run::replay::replay(
                config,
                &document,
                secrets.origin(),
                &self.services,
                request,
                &|_| {},
            )
            .await?
        } else {
            let request = RunRequest {
                from: input.from,
                to: input.to,
                now: input.scheduled_time.unwrap_or_else(Utc::now),
                only: input.exports,
                dry_run: input.dry_run,
                budget,
                request_id,
                backend_url: None,
                work_dir: self.work_dir.clone(),
                screenshots_dir: None,
                accept_header_changes: input.accept_header_changes,
            };
            run::run(
                config,
                &document,
                secrets.origin(),
                &self.services,
                request,
                &|_| {},
            )
            .await?
        };
        if outcome.credentials_refused {
            tracing::warn!("a credential was refused: the secret is fetched again next time");
            secrets.invalidate();
        }
        let report = outcome.report;
        if report.status == crate::report::RunStatus::Ok {
            return Ok(report);
        }
        let failed: Vec<String> = report
            .exports
            .iter()
            .filter(|e| e.status != crate::report::ExportStatus::Ok)
            .map(|e| {
                format!(
                    "{} ({}: {})",
                    e.name,
                    match e.status {
                        crate::report::ExportStatus::Skipped => "skipped",
                        _ => "failed",
                    },
                    e.error.as_deref().unwrap_or("unknown error")
                )
            })
            .collect();
        let summary = format!(
            "{} of {} exports did not complete: {}",
            failed.len(),
            report.exports.len(),
            failed.join("; ")
        );
        Err(FunctionError::ExportsFailed {
            summary: crate::text::one_line(&summary, MAX_SUMMARY_CHARS),
        })
    }
}

/// `EXPORTSYNC_STORE` (relative folders against the working directory), else the config's
/// `[store] url`, else off (a Lambda function's only folder, /tmp, does not outlive it).
fn store_location(config: Option<&Config>) -> Result<StoreLocation, String> {
    match std::env::var(STORE_ENV) {
        Ok(url) if !url.trim().is_empty() => {
            let base = std::env::current_dir().unwrap_or_default();
            StoreLocation::parse(&url, &base).map_err(|why| format!("{STORE_ENV}: {why}"))
        }
        _ => Ok(config
            .and_then(|c| c.store.location.clone())
            .unwrap_or(StoreLocation::Off)),
    }
}

/// `EXPORTSYNC_SECRETS_TTL_SECS`, default [`DEFAULT_TTL`].
fn secrets_ttl() -> Result<Duration, String> {
    match std::env::var(SECRETS_TTL_ENV) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| {
                format!(
                    "{SECRETS_TTL_ENV} must be a whole number of seconds (default {}); fix the function's environment",
                    DEFAULT_TTL.as_secs()
                )
            }),
        _ => Ok(DEFAULT_TTL),
    }
}

/// The invocation's budget from its deadline (ms since the epoch; 0: none given).
fn budget_of(deadline_ms: u64) -> Budget {
    if deadline_ms == 0 {
        return Budget::after(DEFAULT_BUDGET);
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Budget::after(Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

/// `exportsync lambda`: the Runtime API loop. Logs are JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`.
pub fn main() -> ExitCode {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    crate::logging::init(std::io::stderr, json);
    let missing: Vec<&str> = RUNTIME_VARS
        .iter()
        .copied()
        .filter(|v| std::env::var_os(v).is_none_or(|x| x.is_empty()))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "error: `exportsync lambda` runs inside AWS Lambda (or an emulator); missing {}. Use `exportsync run` on a laptop.",
            missing.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let function = Function::from_env()
            .await
            .map_err(lambda_runtime::Error::from)?;
        let function = &function;
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
            function.handle(event).await
        }))
        .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the Lambda runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;
    use serde_json::json;
    use tokio::time::Instant;

    async fn function(secrets_json: &str) -> (Function, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        std::fs::write(&path, secrets_json).unwrap();
        let config = Config::from_str(include_str!("../../examples/sim.toml"), "sim.toml").unwrap();
        let provider = SecretsProvider::new(SecretSource::File(path), DEFAULT_TTL)
            .await
            .unwrap();
        let services = Services::new(Endpoints::default()).unwrap();
        (Function::new(config, provider, services), dir)
    }

    #[tokio::test]
    async fn an_unknown_event_is_invalid_event_and_nothing_runs() {
        let (f, _dir) = function("{}").await;
        let e = f
            .handle(LambdaEvent::new(
                json!({"source": "aws.s3"}),
                Context::default(),
            ))
            .await
            .unwrap_err();
        assert_eq!(e.error_type(), "InvalidEvent");
        let d: Diagnostic = e.into();
        assert!(
            d.error_message.contains("accepted events"),
            "{}",
            d.error_message
        );
    }

    #[tokio::test]
    async fn secrets_without_a_backend_section_are_secrets_incomplete() {
        let (f, _dir) = function(r#"{"telegram": {"bot_token": "1:x", "chat_id": "2"}}"#).await;
        let e = f
            .handle(LambdaEvent::new(json!({}), Context::default()))
            .await
            .unwrap_err();
        assert_eq!(e.error_type(), "SecretsIncomplete", "{e}");
        assert!(e.to_string().contains("backend"), "{e}");
    }

    #[tokio::test]
    async fn an_unknown_export_is_invalid_exports() {
        let (f, _dir) = function("{}").await;
        let e = f
            .handle(LambdaEvent::new(
                json!({"exports": ["nope"]}),
                Context::default(),
            ))
            .await
            .unwrap_err();
        assert_eq!(e.error_type(), "InvalidExports", "{e}");
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn the_deadline_comes_from_the_context() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let left = budget_of(now_ms + 60_000).deadline() - Instant::now();
        assert!(
            left <= Duration::from_secs(60) && left > Duration::from_secs(58),
            "{left:?}"
        );
        let left = budget_of(0).deadline() - Instant::now();
        assert!(
            left > Duration::from_secs(800),
            "no deadline: Lambda's maximum"
        );
        // A deadline from another age does not panic.
        let _ = budget_of(u64::MAX).backstop();
    }
}
