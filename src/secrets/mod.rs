//! The secrets document: one JSON object with `backend`, `google` and `telegram` sections, read
//! from a local file (`file`) or AWS Secrets Manager (`aws`), cached by a [`SecretsProvider`].
//! Every secret value is wrapped in [`Secret`], whose `Debug` and `Display` print `[redacted]`;
//! no error built here carries a value, only the origin, the section and the field.
//!
//! - `parse`: the document's checks (types per field, the two `google` forms).
//! - `file`, `aws`: where the text comes from. `provider`: the cache and the CLI flags.

mod aws;
mod file;
mod parse;
mod provider;

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

pub use file::SecretsFile;
pub use parse::parse;
pub use provider::{DEFAULT_TTL, SECRET_ID_ENV, SecretSource, SecretSourceArgs, SecretsProvider};

/// A value that must never reach a log, a report or an error message.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    /// The wrapped value; call sites that expose it should be few and obvious.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The whole secrets document. Each section is optional so that a command asks only for what
/// it needs (`export` needs `backend`, `upsert` needs `google`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    pub backend: Option<BackendSecrets>,
    pub google: Option<GoogleSecrets>,
    pub telegram: Option<TelegramSecrets>,
}

impl Secrets {
    /// The `backend` section; `origin` (see [`SecretsProvider::origin`]) names the document in
    /// the error.
    pub fn backend(&self, origin: &str) -> Result<&BackendSecrets, SecretsError> {
        self.backend.as_ref().ok_or_else(|| SecretsError::Missing {
            origin: origin.to_owned(),
            section: "backend",
            hint: "add {\"backend\": {\"email\": ..., \"password\": ...}}",
        })
    }

    /// The `google` section: the service-account key.
    pub fn google(&self, origin: &str) -> Result<&GoogleSecrets, SecretsError> {
        self.google.as_ref().ok_or_else(|| SecretsError::Missing {
            origin: origin.to_owned(),
            section: "google",
            hint: "add {\"google\": <the service-account key JSON issued by Google>}",
        })
    }

    /// The `telegram` section, optional: without it no message is sent.
    pub fn telegram(&self) -> Option<&TelegramSecrets> {
        self.telegram.as_ref()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendSecrets {
    /// Used when the configuration file gives no `backend.base_url`.
    pub base_url: Option<String>,
    pub email: String,
    pub password: Secret<String>,
}

/// The service-account key JSON exactly as Google issues it. Only `client_email` and
/// `token_uri` are readable without [`Secret::expose`].
#[derive(Clone, Deserialize)]
pub struct GoogleSecrets(Secret<yup_oauth2::ServiceAccountKey>);

impl GoogleSecrets {
    pub fn new(key: yup_oauth2::ServiceAccountKey) -> Self {
        GoogleSecrets(Secret(key))
    }
    pub fn client_email(&self) -> &str {
        &self.0.expose().client_email
    }
    pub fn token_uri(&self) -> &str {
        &self.0.expose().token_uri
    }
    pub fn key(&self) -> &yup_oauth2::ServiceAccountKey {
        self.0.expose()
    }
}

impl fmt::Debug for GoogleSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleSecrets")
            .field("client_email", &self.client_email())
            .field("private_key", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSecrets {
    pub bot_token: Secret<String>,
    /// Given as a string or a number in the document (`-100123...` for a group).
    pub chat_id: String,
}

/// Why the secrets could not be had. `origin` is "secrets file PATH" or "secret ID in AWS
/// Secrets Manager"; no variant holds a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "no secrets given: pass --secrets-file FILE (a local JSON file) or --secret-id ID (a \
         secret in AWS Secrets Manager), or set {}",
        SECRET_ID_ENV
    )]
    NoSource,
    #[error("cannot read secrets file {path}: {source}; check the path given to --secrets-file")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `problem` is serde_json's syntax message, which names a position and never the input.
    #[error(
        "{origin} is not valid JSON: {problem}; it must be one JSON object with `backend`, \
         `google` and `telegram` sections"
    )]
    Malformed { origin: String, problem: String },
    /// A section or field of the wrong type, empty, missing or unknown.
    #[error("{origin}: {place} {problem}")]
    Invalid {
        origin: String,
        /// `section "google"` or `field "backend.password"`.
        place: String,
        problem: String,
    },
    #[error("{origin} has no `{section}` section; {hint}")]
    Missing {
        origin: String,
        section: &'static str,
        hint: &'static str,
    },
    #[error(
        "secret {secret_id} was not found in AWS Secrets Manager (region {region}): check the \
         secret's name or ARN (--secret-id or {}) and the region (AWS_REGION)",
        SECRET_ID_ENV
    )]
    NotFound { secret_id: String, region: String },
    #[error(
        "access to secret {secret_id} in AWS Secrets Manager was denied: the caller's IAM role \
         needs secretsmanager:GetSecretValue on that secret's ARN (and kms:Decrypt on its key \
         when the secret uses a customer-managed KMS key)"
    )]
    AccessDenied { secret_id: String },
    #[error(
        "secret {secret_id} in AWS Secrets Manager holds no SecretString (a binary secret?): \
         store the JSON document as the secret's text value"
    )]
    NotText { secret_id: String },
    #[error(
        "no AWS region is configured to read secret {secret_id} from AWS Secrets Manager: set \
         AWS_REGION (Lambda sets it) or a region in the AWS profile"
    )]
    NoRegion { secret_id: String },
    /// Unreachable endpoint, missing credentials, throttling and other service errors, on one
    /// line.
    #[error("cannot read secret {secret_id} from AWS Secrets Manager: {detail}")]
    Service { secret_id: String, detail: String },
}
