//! The secrets document: one JSON object with `backend`, `google` and `telegram` sections, read
//! from a local file (CLI) or AWS Secrets Manager (Lambda, later). Every secret value is wrapped
//! in [`Secret`], whose `Debug` and `Display` print `[redacted]`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    pub chat_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read secrets file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// serde_json errors carry only a position and a field name, never the input text.
    #[error(
        "secrets file {path} is not valid: {message} (expected a JSON object with `backend`, `google` and `telegram` sections)"
    )]
    Parse { path: PathBuf, message: String },
    #[error("secrets file {path} has no `{section}` section; {hint}")]
    Missing {
        path: PathBuf,
        section: &'static str,
        hint: &'static str,
    },
}

/// Secrets read from a file, remembering where they came from for error messages.
#[derive(Debug)]
pub struct SecretsFile {
    pub path: PathBuf,
    pub secrets: Secrets,
}

impl SecretsFile {
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SecretsError::Read {
            path: path.to_owned(),
            source,
        })?;
        let secrets = parse(&text).map_err(|message| SecretsError::Parse {
            path: path.to_owned(),
            message,
        })?;
        Ok(SecretsFile {
            path: path.to_owned(),
            secrets,
        })
    }

    pub fn backend(&self) -> Result<&BackendSecrets, SecretsError> {
        self.secrets.backend.as_ref().ok_or(SecretsError::Missing {
            path: self.path.clone(),
            section: "backend",
            hint: "add {\"backend\": {\"email\": ..., \"password\": ...}}",
        })
    }

    pub fn google(&self) -> Result<&GoogleSecrets, SecretsError> {
        self.secrets.google.as_ref().ok_or(SecretsError::Missing {
            path: self.path.clone(),
            section: "google",
            hint: "add {\"google\": <the service-account key JSON issued by Google>}",
        })
    }
}

/// Parses the secrets document. The error keeps serde's field names and positions but never
/// the offending value: serde quotes values between backticks ("invalid type: string `...`"),
/// and those are blanked unless they are field names.
pub fn parse(text: &str) -> Result<Secrets, String> {
    serde_json::from_str(text).map_err(|e| redact_serde_message(&e.to_string()))
}

fn redact_serde_message(message: &str) -> String {
    if message.starts_with("unknown field") || message.starts_with("missing field") {
        return message.to_owned();
    }
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for ch in message.chars() {
        if ch == '`' {
            if inside {
                out.push_str("`[redacted]`");
            }
            inside = !inside;
        } else if !inside {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secret_values() {
        let s = parse(
            r#"{"backend":{"email":"ops@example.com","password":"hunter2-very-secret"},
                "telegram":{"bot_token":"123:ABCsecret","chat_id":"42"}}"#,
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(shown.contains("ops@example.com"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("ABCsecret"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn parse_error_does_not_echo_values() {
        let err = parse(r#"{"backend":{"email":"a","password":12345678}}"#).unwrap_err();
        assert!(!err.contains("12345678"), "{err}");
    }

    #[test]
    fn missing_section_names_it() {
        let f = SecretsFile {
            path: "s.json".into(),
            secrets: Secrets::default(),
        };
        let e = f.backend().unwrap_err().to_string();
        assert!(e.contains("s.json") && e.contains("`backend`"), "{e}");
    }
}
