//! Errors the simulated API answers, shaped like Google's:
//! `{"error":{"code":400,"message":"...","status":"INVALID_ARGUMENT"}}`.

use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {message}")]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    /// Seconds for a `Retry-After` header (429 faults).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
    }

    pub fn permission_denied() -> ApiError {
        ApiError::new(403, "The caller does not have permission")
    }

    pub fn not_found() -> ApiError {
        ApiError::new(404, "Requested entity was not found.")
    }

    /// Google's canonical status name for an HTTP code.
    pub fn status_name(&self) -> &'static str {
        match self.status {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ABORTED",
            429 => "RESOURCE_EXHAUSTED",
            501 => "UNIMPLEMENTED",
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            _ if self.status >= 500 => "INTERNAL",
            _ => "FAILED_PRECONDITION",
        }
    }

    pub fn body(&self) -> Value {
        json!({
            "error": {
                "code": self.status,
                "message": self.message,
                "status": self.status_name(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_googles_shape() {
        let body = ApiError::permission_denied().body();
        assert_eq!(body["error"]["code"], 403);
        assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
        assert_eq!(
            body["error"]["message"],
            "The caller does not have permission"
        );
        assert_eq!(ApiError::new(429, "x").status_name(), "RESOURCE_EXHAUSTED");
        assert_eq!(ApiError::new(500, "x").status_name(), "INTERNAL");
        assert_eq!(ApiError::new(503, "x").status_name(), "UNAVAILABLE");
    }
}
