//! Where the secrets come from ([`SecretSource`], the `--secrets-file | --secret-id` flags) and
//! the per-container cache ([`SecretsProvider`]): fetched once, fetched again when older than
//! its TTL or after [`SecretsProvider::invalidate`] (a rotated password or key).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::aws::{self, SecretsManagerReader};
use super::{Secrets, SecretsError, file};

/// The variable that names the secret in AWS Secrets Manager (the Lambda function's setting,
/// and the default of `--secret-id`).
pub const SECRET_ID_ENV: &str = "EXPORTSYNC_SECRET_ID";

/// How long a process (a warm Lambda container, a CLI command) keeps the document before
/// asking again; the function's `EXPORTSYNC_SECRETS_TTL_SECS` overrides it.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// A local JSON file.
    File(PathBuf),
    /// A secret's name or ARN in AWS Secrets Manager.
    SecretsManager { secret_id: String },
}

/// `--secrets-file FILE | --secret-id ID`, at most one of them; with neither,
/// `EXPORTSYNC_SECRET_ID` names the secret (so a flag on the command line wins over the
/// variable). Flatten it into a command.
#[derive(Clone, Debug, clap::Args)]
#[group(id = "secrets", multiple = false)]
pub struct SecretSourceArgs {
    /// The secrets JSON file (sections `backend`, `google`, `telegram`).
    #[arg(long, value_name = "FILE")]
    pub secrets_file: Option<PathBuf>,
    /// The secret holding the same JSON document in AWS Secrets Manager (name or ARN)
    /// [default: $EXPORTSYNC_SECRET_ID]. Uses the AWS SDK's settings: AWS_REGION,
    /// credentials, AWS_ENDPOINT_URL_SECRETS_MANAGER.
    #[arg(long, value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub secret_id: Option<String>,
}

impl SecretSourceArgs {
    /// The flag given, else `EXPORTSYNC_SECRET_ID` (an empty value counts as unset).
    pub fn source(&self) -> Result<SecretSource, SecretsError> {
        let from_env = || {
            std::env::var(SECRET_ID_ENV)
                .ok()
                .filter(|id| !id.trim().is_empty())
        };
        match (&self.secrets_file, &self.secret_id) {
            (Some(path), _) => Ok(SecretSource::File(path.clone())),
            (None, Some(id)) => Ok(SecretSource::SecretsManager {
                secret_id: id.clone(),
            }),
            (None, None) => from_env()
                .map(|secret_id| SecretSource::SecretsManager { secret_id })
                .ok_or(SecretsError::NoSource),
        }
    }
}

enum Fetcher {
    File(PathBuf),
    SecretsManager(SecretsManagerReader),
}

#[derive(Default)]
struct Cache {
    document: Option<(Instant, Arc<Secrets>)>,
    /// Bumped by `invalidate`, so a fetch that began before it is not kept.
    generation: u64,
}

/// Built once per container (Lambda) or per command; caches the document.
pub struct SecretsProvider {
    fetcher: Fetcher,
    ttl: Duration,
    origin: String,
    cache: Mutex<Cache>,
    /// One fetch at a time: concurrent `get`s after expiry share one request.
    refresh: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SecretsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsProvider")
            .field("origin", &self.origin)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl SecretsProvider {
    /// For `SecretsManager`, builds the aws-sdk-secretsmanager client once from aws-config's
    /// environment (region, credentials, `AWS_ENDPOINT_URL_SECRETS_MANAGER`).
    pub async fn new(source: SecretSource, ttl: Duration) -> Result<Self, SecretsError> {
        match source {
            SecretSource::File(path) => Ok(Self::from_fetcher(Fetcher::File(path), ttl)),
            SecretSource::SecretsManager { secret_id } => {
                crate::tls::install_crypto_provider();
                let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .load()
                    .await;
                Self::secrets_manager(secret_id, ttl, &config)
            }
        }
    }

    /// A Secrets Manager source whose client is built from `config` (a caller that already
    /// loaded one, or a test that sets region, credentials and endpoint on the loader instead
    /// of the process environment).
    pub fn secrets_manager(
        secret_id: String,
        ttl: Duration,
        config: &aws_config::SdkConfig,
    ) -> Result<Self, SecretsError> {
        let reader = SecretsManagerReader::new(secret_id, config)?;
        Ok(Self::from_fetcher(Fetcher::SecretsManager(reader), ttl))
    }

    fn from_fetcher(fetcher: Fetcher, ttl: Duration) -> Self {
        let origin = match &fetcher {
            Fetcher::File(path) => file::origin(path),
            Fetcher::SecretsManager(reader) => aws::origin(reader.secret_id()),
        };
        SecretsProvider {
            fetcher,
            ttl,
            origin,
            cache: Mutex::default(),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// The cached document, fetched again when older than the TTL. Errors are not cached.
    pub async fn get(&self) -> Result<Arc<Secrets>, SecretsError> {
        if let Some(document) = self.fresh() {
            return Ok(document);
        }
        let _one_fetch = self.refresh.lock().await;
        if let Some(document) = self.fresh() {
            return Ok(document);
        }
        let generation = self.cache().generation;
        let document = Arc::new(self.fetch().await?);
        let mut cache = self.cache();
        if cache.generation == generation {
            cache.document = Some((Instant::now(), document.clone()));
        }
        tracing::debug!(origin = %self.origin, "secrets fetched");
        Ok(document)
    }

    /// Drop the cache (called after an authentication failure: a rotated password or key);
    /// the next `get` fetches again.
    pub fn invalidate(&self) {
        let mut cache = self.cache();
        cache.document = None;
        cache.generation += 1;
        tracing::info!(origin = %self.origin, "secrets dropped from the cache; the next use reads them again");
    }

    /// "secrets file x.json" or "secret <id> in AWS Secrets Manager", for messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn fresh(&self) -> Option<Arc<Secrets>> {
        let cache = self.cache();
        let (at, document) = cache.document.as_ref()?;
        (at.elapsed() < self.ttl).then(|| document.clone())
    }

    async fn fetch(&self) -> Result<Secrets, SecretsError> {
        match &self.fetcher {
            Fetcher::File(path) => file::read(path),
            Fetcher::SecretsManager(reader) => reader.fetch().await,
        }
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &std::path::Path, email: &str) {
        let doc = serde_json::json!({ "backend": { "email": email, "password": "pw" } });
        std::fs::write(path, doc.to_string()).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn the_document_is_kept_for_the_ttl_and_read_again_after_it_or_after_invalidate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        write(&path, "first@example.com");
        let ttl = Duration::from_secs(600);
        let provider = SecretsProvider::new(SecretSource::File(path.clone()), ttl)
            .await
            .unwrap();
        let email = |s: &Secrets| s.backend("t").unwrap().email.clone();
        assert_eq!(email(&provider.get().await.unwrap()), "first@example.com");

        write(&path, "second@example.com");
        tokio::time::advance(ttl - Duration::from_secs(1)).await;
        assert_eq!(
            email(&provider.get().await.unwrap()),
            "first@example.com",
            "still cached just before the TTL"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(email(&provider.get().await.unwrap()), "second@example.com");

        write(&path, "third@example.com");
        assert_eq!(email(&provider.get().await.unwrap()), "second@example.com");
        provider.invalidate();
        assert_eq!(email(&provider.get().await.unwrap()), "third@example.com");
    }

    #[tokio::test]
    async fn errors_are_not_cached_and_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{").unwrap();
        let provider = SecretsProvider::new(SecretSource::File(path.clone()), DEFAULT_TTL)
            .await
            .unwrap();
        assert_eq!(
            provider.origin(),
            format!("secrets file {}", path.display())
        );
        let e = provider.get().await.unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "secrets file {} is not valid JSON",
                path.display()
            )),
            "{e}"
        );
        write(&path, "fixed@example.com");
        assert!(
            provider.get().await.is_ok(),
            "the fixed file is read at the next get"
        );
    }
}
