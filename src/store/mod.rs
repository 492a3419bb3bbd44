//! The run store: every run's raw export files and its report, kept under keys that sort by
//! time, in S3 (the Lambda function) or a local folder (the CLI), through `object_store`.
//! Reading it back gives replays their files and runs their baseline (the last header and the
//! usual row counts). Storing is best effort: a caller reports a [`StoreError`] as a warning and
//! never fails a run for it.
//!
//! - [`location`]: the store URL (`s3://bucket/prefix`, a folder, `none`), pure.
//! - [`keys`]: run ids and the key layout, pure.
//! - [`baseline`]: header drift and row-count checks against stored history, pure.

pub mod baseline;
pub mod keys;
pub mod location;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};

pub use baseline::{Baseline, ExportBaseline};
pub use keys::RunId;
pub use location::StoreLocation;

use crate::report::RunReport;
use crate::text::error_chain;

/// How long one store request may take (each is also bounded by the run's budget).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Reports a run reads for its baseline, newest first: enough for 14 ok runs of each export
/// when some failed.
pub const BASELINE_REPORTS: usize = 30;
/// How far back a baseline or `history` looks for runs, in months.
pub const LOOKBACK_MONTHS: u32 = 3;
/// Reports read at once.
const CONCURRENT_READS: usize = 8;

/// Why the store could not do something. Messages name the store (never a credential) and the
/// key.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {location}: cannot open it: {message}")]
    Open { location: String, message: String },
    #[error("store {location}: cannot write {key}: {message}")]
    Write {
        location: String,
        key: String,
        message: String,
    },
    #[error("store {location}: cannot read {key}: {message}")]
    Read {
        location: String,
        key: String,
        message: String,
    },
    #[error("store {location}: no run {run} (see `exportsync history` for the stored runs)")]
    NoRun { location: String, run: String },
    #[error("store {location}: {key} is not a run report: {message}")]
    BadReport {
        location: String,
        key: String,
        message: String,
    },
    #[error("store {location}: no answer within {}s while {action}", .waited.as_secs())]
    TimedOut {
        location: String,
        action: String,
        waited: Duration,
    },
}

/// The `AWS_*` variables an S3 store is configured from (credentials, region, endpoints).
/// `Debug` names the variables, never their values.
#[derive(Clone, Default)]
pub struct AwsVars {
    vars: BTreeMap<String, String>,
}

impl std::fmt::Debug for AwsVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

impl AwsVars {
    /// This process's `AWS_*` variables.
    pub fn from_process() -> AwsVars {
        AwsVars::from_pairs(std::env::vars().filter(|(k, _)| k.starts_with("AWS_")))
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> AwsVars {
        AwsVars {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .filter(|(_, v)| !v.trim().is_empty())
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.trim())
    }

    /// The values that must never be shown.
    fn secret_values(&self) -> Vec<String> {
        ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
            .iter()
            .filter_map(|name| self.get(name))
            .filter(|v| v.len() >= 8)
            .map(str::to_owned)
            .collect()
    }

    /// An S3 builder for `bucket`: every variable object_store knows (keys, session token,
    /// region, container and web-identity credentials), the endpoint from
    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (`http://` allowed), and us-east-1 when
    /// no region is set.
    fn s3_builder(&self, bucket: &str) -> AmazonS3Builder {
        // Client options first: they hold `allow_http`, which the endpoint below may set.
        let mut builder = AmazonS3Builder::new().with_client_options(
            ClientOptions::new()
                .with_timeout(REQUEST_TIMEOUT)
                .with_connect_timeout(Duration::from_secs(3)),
        );
        for (name, value) in &self.vars {
            if name.starts_with("AWS_ENDPOINT") {
                continue;
            }
            if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(key, value.trim());
            }
        }
        builder = builder.with_bucket_name(bucket);
        if let Some(endpoint) = self
            .get("AWS_ENDPOINT_URL_S3")
            .or_else(|| self.get("AWS_ENDPOINT_URL"))
        {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if self.get("AWS_REGION").is_none() && self.get("AWS_DEFAULT_REGION").is_none() {
            builder = builder.with_region("us-east-1");
        }
        builder
    }
}

/// A stored run: its id and its report.
#[derive(Clone, Debug)]
pub struct StoredRun {
    pub id: RunId,
    pub report: RunReport,
}

/// The store of one process (built once; cheap to share).
#[derive(Clone)]
pub struct RunStore {
    location: StoreLocation,
    inner: Arc<dyn ObjectStore>,
    /// The secret key and session token, cut out of any error text (an S3 error body such as
    /// SignatureDoesNotMatch quotes the canonical request, session token included).
    secrets: Arc<Vec<String>>,
}

impl std::fmt::Debug for RunStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunStore({})", self.location)
    }
}

impl RunStore {
    /// Opens the store at `location`; `None` when it is off. S3 takes its endpoint, region and
    /// credentials from AWS's usual variables (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`;
    /// an `http://` endpoint is allowed, as moto's); a local folder is created if missing.
    pub fn open(location: &StoreLocation) -> Result<Option<RunStore>, StoreError> {
        RunStore::open_with(location, &AwsVars::from_process())
    }

    /// [`Self::open`] with the AWS variables given (tests; other processes' environments).
    pub fn open_with(
        location: &StoreLocation,
        vars: &AwsVars,
    ) -> Result<Option<RunStore>, StoreError> {
        let open_error = |message: String| StoreError::Open {
            location: location.to_string(),
            message,
        };
        let inner: Arc<dyn ObjectStore> = match location {
            StoreLocation::Off => return Ok(None),
            StoreLocation::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(dir)
                        .map_err(|e| open_error(error_chain(&e)))?,
                )
            }
            StoreLocation::S3 { bucket, prefix } => {
                crate::tls::install_crypto_provider();
                let s3 = vars
                    .s3_builder(bucket)
                    .with_retry(RetryConfig {
                        max_retries: 2,
                        retry_timeout: Duration::from_secs(10),
                        ..RetryConfig::default()
                    })
                    .build()
                    .map_err(|e| open_error(redact(error_chain(&e), &vars.secret_values())))?;
                if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix.as_str()))
                }
            }
        };
        Ok(Some(RunStore {
            location: location.clone(),
            inner,
            secrets: Arc::new(vars.secret_values()),
        }))
    }

    /// An object_store error on one line, with no credential in it.
    fn explain(&self, e: &object_store::Error) -> String {
        redact(error_chain(e), &self.secrets)
    }

    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// Writes `bytes` at `key` (relative to the store's root).
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.inner
            .put(&StorePath::from(key), PutPayload::from_bytes(bytes))
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Write {
                location: self.location.to_string(),
                key: key.to_owned(),
                message: self.explain(&e),
            })
    }

    /// Reads the object at `key`.
    pub async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        self.get_raw(key).await.map_err(|e| StoreError::Read {
            location: self.location.to_string(),
            key: key.to_owned(),
            message: self.explain(&e),
        })
    }

    async fn get_raw(&self, key: &str) -> object_store::Result<Bytes> {
        self.inner.get(&StorePath::from(key)).await?.bytes().await
    }

    /// Writes a run's report.
    pub async fn put_report(&self, id: &RunId, report: &RunReport) -> Result<(), StoreError> {
        let json = serde_json::to_vec_pretty(report).expect("a report serialises");
        self.put(&id.report_key(), Bytes::from(json)).await
    }

    /// Reads a run's report.
    pub async fn report(&self, id: &RunId) -> Result<RunReport, StoreError> {
        let key = id.report_key();
        let bytes = match self.get_raw(&key).await {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::NoRun {
                    location: self.location.to_string(),
                    run: id.to_string(),
                });
            }
            Err(e) => {
                return Err(StoreError::Read {
                    location: self.location.to_string(),
                    key,
                    message: self.explain(&e),
                });
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| StoreError::BadReport {
            location: self.location.to_string(),
            key,
            message: e.to_string(),
        })
    }

    /// The stored runs whose keys fall on the UTC days `from..=to`, oldest first.
    pub async fn runs_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RunId>, StoreError> {
        let mut runs = Vec::new();
        let mut month = (from.year(), from.month());
        while month <= (to.year(), to.month()) {
            for day in self.days_of(month.0, month.1).await? {
                if (from..=to).contains(&day) {
                    runs.extend(self.runs_on(day).await?);
                }
            }
            month = next_month(month);
        }
        runs.sort();
        Ok(runs)
    }

    /// Up to `limit` runs that started before `before`, newest first, looking back at most
    /// [`LOOKBACK_MONTHS`] months.
    pub async fn recent_runs(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<RunId>, StoreError> {
        let mut runs = Vec::new();
        let mut month = (before.year(), before.month());
        for _ in 0..=LOOKBACK_MONTHS {
            let mut days = self.days_of(month.0, month.1).await?;
            days.sort_unstable_by(|a, b| b.cmp(a));
            for day in days {
                let mut on_day = self.runs_on(day).await?;
                on_day.retain(|id| id.started() < before);
                on_day.sort_unstable_by(|a, b| b.cmp(a));
                for id in on_day {
                    runs.push(id);
                    if runs.len() >= limit {
                        return Ok(runs);
                    }
                }
            }
            month = previous_month(month);
        }
        Ok(runs)
    }

    /// Up to `limit` stored runs, newest first, however old they are (`history`): walks the
    /// year, month and day folders from the newest down and stops once it has `limit`.
    /// [`RunStore::recent_runs`] instead looks back [`LOOKBACK_MONTHS`] from a moment.
    pub async fn newest_runs(&self, limit: usize) -> Result<Vec<RunId>, StoreError> {
        let mut runs = Vec::new();
        if limit == 0 {
            return Ok(runs);
        }
        let mut years: Vec<i32> = self
            .folders(keys::RUNS)
            .await?
            .iter()
            .filter_map(|y| y.parse().ok())
            .collect();
        years.sort_unstable_by(|a, b| b.cmp(a));
        for year in years {
            let mut months: Vec<u32> = self
                .folders(&keys::year_folder(year))
                .await?
                .iter()
                .filter_map(|m| m.parse().ok())
                .filter(|m| (1..=12).contains(m))
                .collect();
            months.sort_unstable_by(|a, b| b.cmp(a));
            for month in months {
                let mut days = self.days_of(year, month).await?;
                days.sort_unstable_by(|a, b| b.cmp(a));
                for day in days {
                    let mut on_day = self.runs_on(day).await?;
                    on_day.sort_unstable_by(|a, b| b.cmp(a));
                    for id in on_day {
                        runs.push(id);
                        if runs.len() >= limit {
                            return Ok(runs);
                        }
                    }
                }
            }
        }
        Ok(runs)
    }

    /// The reports of `ids`, in the same order; a report that cannot be read is left out and
    /// its error returned beside the others.
    pub async fn reports(&self, ids: &[RunId]) -> (Vec<StoredRun>, Vec<StoreError>) {
        let results: Vec<(RunId, Result<RunReport, StoreError>)> =
            futures::stream::iter(ids.iter().cloned())
                .map(|id| async move {
                    let report = self.report(&id).await;
                    (id, report)
                })
                .buffered(CONCURRENT_READS)
                .collect()
                .await;
        let mut runs = Vec::new();
        let mut errors = Vec::new();
        for (id, result) in results {
            match result {
                Ok(report) => runs.push(StoredRun { id, report }),
                Err(e) => errors.push(e),
            }
        }
        (runs, errors)
    }

    /// The baseline for a run starting at `before`: the newest [`BASELINE_REPORTS`] reports.
    pub async fn baseline(&self, before: DateTime<Utc>) -> Result<Baseline, StoreError> {
        let ids = self.recent_runs(before, BASELINE_REPORTS).await?;
        let (runs, errors) = self.reports(&ids).await;
        for e in &errors {
            tracing::warn!(error = %e, "a stored report is unreadable; left out of the baseline");
        }
        Ok(Baseline::from_reports(runs.iter().map(|r| &r.report)))
    }

    /// Runs `work` against this store, giving up at `deadline` with [`StoreError::TimedOut`].
    pub async fn until<T>(
        &self,
        deadline: tokio::time::Instant,
        action: &str,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let waited = deadline.saturating_duration_since(tokio::time::Instant::now());
        tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::TimedOut {
                    location: self.location.to_string(),
                    action: action.to_owned(),
                    waited,
                })
            })
    }

    /// The days of a month that have runs.
    async fn days_of(&self, year: i32, month: u32) -> Result<Vec<NaiveDate>, StoreError> {
        let folder = keys::month_folder(year, month);
        let days = self.folders(&folder).await?;
        Ok(days
            .iter()
            .filter_map(|d| d.parse::<u32>().ok())
            .filter_map(|d| NaiveDate::from_ymd_opt(year, month, d))
            .collect())
    }

    /// The runs stored under a day.
    async fn runs_on(&self, day: NaiveDate) -> Result<Vec<RunId>, StoreError> {
        let folders = self.folders(&keys::day_folder(day)).await?;
        Ok(folders.iter().filter_map(|f| f.parse().ok()).collect())
    }

    /// The names of the folders directly under `folder` (none when it does not exist).
    async fn folders(&self, folder: &str) -> Result<Vec<String>, StoreError> {
        let prefix = StorePath::from(folder);
        let listed = match self.inner.list_with_delimiter(Some(&prefix)).await {
            Ok(listed) => listed,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => {
                return Err(StoreError::Read {
                    location: self.location.to_string(),
                    key: format!("{folder}/"),
                    message: self.explain(&e),
                });
            }
        };
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect())
    }

    /// Every key under `folder` (for tests and tools).
    pub async fn keys_under(&self, folder: &str) -> Result<Vec<String>, StoreError> {
        let prefix = StorePath::from(folder);
        let metas: Vec<_> = self
            .inner
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| StoreError::Read {
                location: self.location.to_string(),
                key: format!("{folder}/"),
                message: self.explain(&e),
            })?;
        let mut keys: Vec<String> = metas.iter().map(|m| m.location.to_string()).collect();
        keys.sort();
        Ok(keys)
    }
}

/// `text` with every secret value replaced, and an S3 error body's quoted request (which
/// carries the session token) cut off.
fn redact(mut text: String, secrets: &[String]) -> String {
    for secret in secrets {
        text = text.replace(secret.as_str(), "<redacted>");
    }
    for tag in ["<CanonicalRequest", "<StringToSign"] {
        if let Some(at) = text.find(tag) {
            text.truncate(at);
            text.push_str("(the quoted request left out)");
        }
    }
    text
}

fn next_month((year, month): (i32, u32)) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

fn previous_month((year, month): (i32, u32)) -> (i32, u32) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_carry_the_secret_key_or_the_session_token() {
        let vars = AwsVars::from_pairs([
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG"),
            ("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ]);
        let text = redact(
            "403 SignatureDoesNotMatch: key wJalrXUtnFEMI/K7MDENG <Message>no</Message><CanonicalRequest>PUT\nx-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLETOKEN</CanonicalRequest>".into(),
            &vars.secret_values(),
        );
        assert!(
            !text.contains("wJalrXUtnFEMI") && !text.contains("IQoJb3Jp"),
            "{text}"
        );
        assert!(
            text.contains("<Message>no</Message>") && text.ends_with("left out)"),
            "{text}"
        );
        assert!(!format!("{vars:?}").contains("wJalr"), "Debug names only");
    }
}
