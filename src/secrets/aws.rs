//! The secrets document from AWS Secrets Manager (GetSecretValue), the Lambda function's
//! source. The client is built once from an `aws_config::SdkConfig` (region, credentials,
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`) and reused; service errors become [`SecretsError`]
//! variants that name the secret id and the remedy, never the secret's value.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;

use super::{Secrets, SecretsError};

/// The AWS SDK's variable naming the Secrets Manager endpoint (emulators, VPC endpoints).
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
/// The AWS SDK's variable naming one endpoint for every service.
const GLOBAL_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";

/// "secret ID in AWS Secrets Manager", the origin named in errors.
pub(super) fn origin(secret_id: &str) -> String {
    format!("secret {secret_id} in AWS Secrets Manager")
}

/// One secret in Secrets Manager and the client that reads it.
#[derive(Debug)]
pub(super) struct SecretsManagerReader {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    region: String,
}

impl SecretsManagerReader {
    /// Builds the client from `config`. An empty endpoint variable (`sam local` fills a
    /// declared but unset variable with "") counts as unset instead of panicking the SDK.
    pub(super) fn new(
        secret_id: String,
        config: &aws_config::SdkConfig,
    ) -> Result<Self, SecretsError> {
        crate::tls::install_crypto_provider();
        let Some(region) = config.region().map(|r| r.to_string()) else {
            return Err(SecretsError::NoRegion { secret_id });
        };
        let mut builder = aws_sdk_secretsmanager::config::Builder::from(config);
        let service_env = std::env::var(ENDPOINT_ENV).ok();
        if let Some(endpoint) = endpoint_without_empty(service_env.as_deref(), config) {
            builder.set_endpoint_url(endpoint);
        }
        if config.timeout_config().is_none() {
            builder.set_timeout_config(Some(default_timeouts()));
        }
        Ok(SecretsManagerReader {
            client: aws_sdk_secretsmanager::Client::from_conf(builder.build()),
            secret_id,
            region,
        })
    }

    pub(super) fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// One GetSecretValue call, parsed.
    pub(super) async fn fetch(&self) -> Result<Secrets, SecretsError> {
        let answer = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        let Some(text) = answer.secret_string() else {
            return Err(SecretsError::NotText {
                secret_id: self.secret_id.clone(),
            });
        };
        super::parse(text, &origin(&self.secret_id))
    }

    fn classify(&self, error: SdkError<GetSecretValueError>) -> SecretsError {
        let secret_id = self.secret_id.clone();
        let detail = match &error {
            SdkError::ServiceError(context) => {
                let e = context.err();
                match e.code() {
                    Some("ResourceNotFoundException") => {
                        return SecretsError::NotFound {
                            secret_id,
                            region: self.region.clone(),
                        };
                    }
                    Some("AccessDeniedException") => {
                        return SecretsError::AccessDenied { secret_id };
                    }
                    code => format!(
                        "{} (HTTP {}): {}",
                        code.unwrap_or("unknown error"),
                        context.raw().status().as_u16(),
                        e.message().unwrap_or("no message")
                    ),
                }
            }
            // The body could not be read as a GetSecretValue answer; it may hold the secret, so
            // none of it is shown.
            SdkError::ResponseError(context) => format!(
                "the answer (HTTP {}) could not be read as a GetSecretValue response",
                context.raw().status().as_u16()
            ),
            SdkError::TimeoutError(_) => "no answer in time (timeout)".to_owned(),
            other => {
                let text = crate::text::error_chain(other);
                if text.contains("credentials") {
                    format!(
                        "{text}; give AWS credentials (the Lambda role, AWS_PROFILE, or \
                         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                    )
                } else {
                    text
                }
            }
        };
        SecretsError::Service {
            secret_id,
            detail: crate::text::one_line(&detail, usize::MAX),
        }
    }
}

/// Bounds one read: a Lambda run has a deadline, and an unreachable endpoint must not eat it.
fn default_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build()
}

/// `Some(endpoint)` to set on the client when an endpoint variable is set but empty (the SDK
/// would take "" as the endpoint); `None` to keep what the SDK resolved.
fn endpoint_without_empty(
    service_env: Option<&str>,
    config: &aws_config::SdkConfig,
) -> Option<Option<String>> {
    let blank = |s: &str| s.trim().is_empty();
    let global = config.endpoint_url();
    if !service_env.is_some_and(blank) && !global.is_some_and(blank) {
        return None;
    }
    if service_env.is_some_and(blank) {
        tracing::warn!(
            variable = ENDPOINT_ENV,
            "the variable is set but empty; it is ignored"
        );
    }
    if global.is_some_and(blank) {
        tracing::warn!(
            variable = GLOBAL_ENDPOINT_ENV,
            "the variable (or the profile's endpoint_url) is set but empty; it is ignored"
        );
    }
    let chosen = service_env
        .filter(|s| !blank(s))
        .or(global.filter(|s| !blank(s)));
    Some(chosen.map(str::to_owned))
}
