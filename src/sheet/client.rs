//! The Sheets API client: a google-sheets4 hub authenticated with a yup-oauth2 service-account
//! key, over an HTTPS-or-HTTP connector (so an emulator on 127.0.0.1 works), pointed at
//! `SheetClientOptions::base_url`, else `SHEETS_API_BASE_URL`, else Google. Every call asks
//! for `Scope::Spreadsheet` only, runs under [`retry`](super::retry), and has its failures
//! turned into [`SheetError`]s that name the spreadsheet and tab. Reads use the crate's typed
//! calls; `batchUpdate` bodies are JSON built by [`write`](super::write) and POSTed through the
//! hub's own HTTP client and authenticator (typed requests cost ~30 KB each in memory).

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use google_sheets4::api::{Scope, SheetProperties};
use google_sheets4::common::{self, Retry};
use google_sheets4::hyper::{self, header};
use google_sheets4::hyper_rustls::HttpsConnector;
use google_sheets4::hyper_util::client::legacy::connect::HttpConnector;
use google_sheets4::{Sheets, hyper_rustls, hyper_util, yup_oauth2};

/// The service-account authenticator as yup-oauth2 builds it by default.
type Authenticator = yup_oauth2::authenticator::Authenticator<
    yup_oauth2::hyper_rustls::HttpsConnector<HttpConnector>,
>;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use tokio::time::Instant;

use super::SheetTarget;
use super::error::SheetError;
use super::retry::{self, Failure, FailureKind, GiveUp, RetryPolicy};
use super::write::{DEFAULT_MAX_BATCH_BYTES, Grid};
use crate::secrets::GoogleSecrets;

/// The environment variable that points the client at another Sheets API server.
pub const BASE_URL_ENV: &str = "SHEETS_API_BASE_URL";
const GOOGLE_BASE_URL: &str = "https://sheets.googleapis.com/";
pub(super) const BATCH_UPDATE: &str = "spreadsheets.batchUpdate";
const USER_AGENT: &str = concat!("exportsync/", env!("CARGO_PKG_VERSION"));
/// What a spreadsheet id may not hold unencoded in a URL path.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

/// How the client talks to the API.
#[derive(Clone, Debug)]
pub struct SheetClientOptions {
    /// The API root, e.g. `http://127.0.0.1:8080/`; `None` reads `SHEETS_API_BASE_URL`, then
    /// uses Google's.
    pub base_url: Option<String>,
    /// The time one whole upsert may take, retries included.
    pub deadline: Duration,
    /// Backoff, attempts and the per-request timeout.
    pub retry: RetryPolicy,
    /// The size budget of one batchUpdate body.
    pub max_batch_bytes: usize,
}

impl Default for SheetClientOptions {
    fn default() -> Self {
        SheetClientOptions {
            base_url: None,
            deadline: Duration::from_secs(600),
            retry: RetryPolicy::default(),
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
        }
    }
}

/// An authenticated Sheets API client. Cheap to share by reference; tokens are cached.
pub struct SheetClient {
    hub: Sheets<HttpsConnector<HttpConnector>>,
    /// The same authenticator the hub holds (it is a shared handle), kept typed so that a
    /// token can be force-refreshed; see [`SheetClient::access_token`].
    authenticator: Authenticator,
    client_email: String,
    token_uri: String,
    base_url: String,
    pub(super) options: SheetClientOptions,
}

impl std::fmt::Debug for SheetClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SheetClient")
            .field("client_email", &self.client_email)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl SheetClient {
    pub async fn new(
        google: &GoogleSecrets,
        options: SheetClientOptions,
    ) -> Result<SheetClient, SheetError> {
        crate::tls::install_crypto_provider();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| SheetError::Setup(format!("no TLS root certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let http =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        let auth = yup_oauth2::ServiceAccountAuthenticator::builder(google.key().clone())
            .build()
            .await
            .map_err(|e| SheetError::Setup(format!("service-account authenticator: {e}")))?;
        let mut hub = Sheets::new(http, auth.clone());
        let mut base_url = options
            .base_url
            .clone()
            .or_else(|| std::env::var(BASE_URL_ENV).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| GOOGLE_BASE_URL.to_owned());
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        hub.base_url(base_url.clone());
        Ok(SheetClient {
            hub,
            authenticator: auth,
            client_email: google.client_email().to_owned(),
            token_uri: google.token_uri().to_owned(),
            base_url,
            options,
        })
    }

    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `spreadsheets.get` (properties only): the tab's id and grid, `None` if it is missing.
    pub(super) async fn find_tab(
        &self,
        target: &SheetTarget,
        deadline: Instant,
    ) -> Result<(Option<Grid>, u32), SheetError> {
        let fields = "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))";
        let (spreadsheet, attempts) = self
            .call(target, "spreadsheets.get", deadline, || async {
                let mut recorder = Recorder::default();
                let result = self
                    .hub
                    .spreadsheets()
                    .get(&target.spreadsheet_id)
                    .param("fields", fields)
                    .add_scope(Scope::Spreadsheet)
                    .delegate(&mut recorder)
                    .doit()
                    .await;
                result
                    .map(|(_, body)| body)
                    .map_err(|e| recorder.classify(e))
            })
            .await?;
        let tabs: Vec<_> = spreadsheet
            .sheets
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.properties)
            .collect();
        // Sheets tab titles are unique regardless of case ("Sheet1" and "sheet1" cannot both
        // exist), so a configured "sheet1" means the tab "Sheet1": adding it would fail.
        let wanted = target.tab.to_lowercase();
        let grid = tabs
            .iter()
            .find(|p| p.title.as_deref() == Some(target.tab.as_str()))
            .or_else(|| {
                tabs.iter()
                    .find(|p| p.title.as_deref().map(str::to_lowercase) == Some(wanted.clone()))
            })
            .map(grid_of);
        Ok((grid, attempts))
    }

    /// `values.batchGet` of the whole tab, unformatted (the range travels in the query string,
    /// which keeps tab names like `Data #1` intact).
    pub(super) async fn read_rows(
        &self,
        target: &SheetTarget,
        deadline: Instant,
    ) -> Result<(Vec<Vec<Value>>, u32), SheetError> {
        let range = a1_sheet_range(&target.tab);
        let (response, attempts) = self
            .call(target, "values.batchGet", deadline, || async {
                let mut recorder = Recorder::default();
                let result = self
                    .hub
                    .spreadsheets()
                    .values_batch_get(&target.spreadsheet_id)
                    .add_ranges(&range)
                    .value_render_option("UNFORMATTED_VALUE")
                    .date_time_render_option("SERIAL_NUMBER")
                    .major_dimension("ROWS")
                    .add_scope(Scope::Spreadsheet)
                    .delegate(&mut recorder)
                    .doit()
                    .await;
                result
                    .map(|(_, body)| body)
                    .map_err(|e| recorder.classify(e))
            })
            .await?;
        let rows = response
            .value_ranges
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(|r| r.values)
            .unwrap_or_default();
        Ok((rows, attempts))
    }

    /// `addSheet` for a missing tab, wide enough for `columns`; returns its grid and the
    /// attempts made. An `addSheet` that Google carried out but answered with an error (a 5xx,
    /// then "already exists" on the resend) or never answered is found by reading the tab
    /// list again: a tab of that name is success.
    pub(super) async fn add_tab(
        &self,
        target: &SheetTarget,
        columns: usize,
        deadline: Instant,
    ) -> Result<(Grid, u32), SheetError> {
        let body = serde_json::json!({"requests": [{"addSheet": {"properties": {
            "title": target.tab,
            "gridProperties": {"rowCount": 1000, "columnCount": columns.max(26)},
        }}}]});
        let body = Bytes::from(serde_json::to_vec(&body).expect("JSON to memory"));
        let (reply, attempts) = match self.batch_update_with(target, body, deadline, true).await {
            Ok(answer) => answer,
            Err(give_up) => {
                let attempts = match &give_up {
                    GiveUp::Permanent(_) => 1,
                    GiveUp::Exhausted { attempts, .. } => *attempts,
                };
                // Only a refusal that says nothing about the spreadsheet is worth a look.
                let maybe_landed = match &give_up {
                    GiveUp::Permanent(f) => {
                        f.kind == FailureKind::Permanent
                            && !matches!(f.status, Some(401 | 403 | 404))
                    }
                    GiveUp::Exhausted { .. } => true,
                };
                if maybe_landed
                    && Instant::now() < deadline
                    && let Ok((Some(grid), _)) = self.find_tab(target, deadline).await
                {
                    tracing::info!(
                        spreadsheet = %target.spreadsheet_id,
                        tab = %target.tab,
                        "the tab exists after an addSheet that failed: it landed"
                    );
                    return Ok((grid, attempts));
                }
                return Err(self.error(target, BATCH_UPDATE, give_up));
            }
        };
        let properties = reply
            .pointer("/replies/0/addSheet/properties")
            .cloned()
            .and_then(|p| serde_json::from_value::<SheetProperties>(p).ok())
            .filter(|p| p.sheet_id.is_some())
            .ok_or_else(|| SheetError::Protocol {
                spreadsheet_id: target.spreadsheet_id.clone(),
                tab: target.tab.clone(),
                message: "addSheet reply has no sheet id".into(),
            })?;
        Ok((grid_of(&properties), attempts))
    }

    /// One `spreadsheets.batchUpdate` (all-or-nothing), retried; returns the response JSON.
    /// The JSON body is POSTed through the hub's own HTTP client and authenticator (see
    /// [`write`](super::write) for why it is not a typed request). With `retry_ambiguous`
    /// false a timeout or broken connection is not sent again (see [`retry::retry_with`]).
    pub(super) async fn batch_update_with(
        &self,
        target: &SheetTarget,
        body: Bytes,
        deadline: Instant,
        retry_ambiguous: bool,
    ) -> Result<(Value, u32), GiveUp> {
        let url = format!(
            "{}v4/spreadsheets/{}:batchUpdate",
            self.base_url,
            utf8_percent_encode(&target.spreadsheet_id, PATH_SEGMENT)
        );
        retry::retry_with(&self.options.retry, deadline, retry_ambiguous, || async {
            let token = self.access_token().await?;
            let request = hyper::Request::post(url.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::USER_AGENT, USER_AGENT)
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            let request = request
                .body(common::to_body(Some(body.clone())))
                .map_err(|e| failure(FailureKind::Permanent, e.to_string()))?;
            let response =
                self.hub.client.request(request).await.map_err(|e| {
                    failure(FailureKind::Connection, format!("connection failed: {e}"))
                })?;
            let (parts, body) = response.into_parts();
            // A connection lost while the answer arrives leaves the write's fate unknown.
            let bytes = common::to_bytes(body).await.ok_or_else(|| {
                failure(
                    FailureKind::Connection,
                    "connection lost while reading the answer".to_owned(),
                )
            })?;
            let json = serde_json::from_slice::<Value>(&bytes);
            if !parts.status.is_success() {
                let message = json
                    .ok()
                    .and_then(|v| v.pointer("/error/message")?.as_str().map(str::to_owned))
                    .unwrap_or_else(|| parts.status.to_string());
                return Err(Failure::from_status(
                    parts.status.as_u16(),
                    retry_after(&parts.headers),
                    message,
                ));
            }
            json.map_err(|e| failure(FailureKind::Permanent, format!("undecodable response: {e}")))
        })
        .await
    }

    /// A usable access token. yup-oauth2 caches whatever the token endpoint answered, also an
    /// answer without an access token (a JSON error body that is not OAuth-shaped), and would
    /// then send every later request unauthenticated. Such a cached answer is replaced by a
    /// forced refresh; a failure is classified for the retry policy.
    async fn access_token(&self) -> Result<String, Failure> {
        let scopes = &[Scope::Spreadsheet.as_ref()];
        let cached = self.authenticator.token(scopes).await;
        let token = match cached {
            Ok(token) if token.token().is_some() => token,
            Ok(_) => self
                .authenticator
                .force_refreshed_token(scopes)
                .await
                .map_err(|e| token_failure(&e))?,
            Err(e) => return Err(token_failure(&e)),
        };
        token.token().map(str::to_owned).ok_or_else(|| {
            failure(
                FailureKind::Connection,
                "the OAuth token endpoint answered without an access token".to_owned(),
            )
        })
    }

    /// Runs one API call under the retry policy and names the target in its errors.
    async fn call<T, F, Fut>(
        &self,
        target: &SheetTarget,
        call: &'static str,
        deadline: Instant,
        attempt: F,
    ) -> Result<(T, u32), SheetError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut attempt = attempt;
        retry::retry(&self.options.retry, deadline, || {
            let call = attempt();
            async move {
                // The hub then finds the token in the authenticator's cache.
                self.access_token().await?;
                call.await
            }
        })
        .await
        .map_err(|give_up| self.error(target, call, give_up))
    }

    pub(super) fn error(
        &self,
        target: &SheetTarget,
        call: &'static str,
        give_up: GiveUp,
    ) -> SheetError {
        let spreadsheet_id = target.spreadsheet_id.clone();
        let tab = target.tab.clone();
        match give_up {
            GiveUp::Permanent(f) if matches!(f.status, Some(403 | 404)) => SheetError::NoAccess {
                spreadsheet_id,
                status: f.status.unwrap_or_default(),
                client_email: self.client_email.clone(),
            },
            GiveUp::Permanent(f) if f.kind == FailureKind::Auth => SheetError::Token {
                client_email: self.client_email.clone(),
                token_uri: self.token_uri.clone(),
                message: f.message,
            },
            GiveUp::Permanent(f) => SheetError::Rejected {
                spreadsheet_id,
                tab,
                call,
                message: f.message,
            },
            GiveUp::Exhausted {
                attempts,
                waited,
                last,
            } if last.kind == FailureKind::Quota => SheetError::QuotaExhausted {
                spreadsheet_id,
                tab,
                call,
                attempts,
                waited,
            },
            GiveUp::Exhausted {
                attempts,
                waited,
                last,
            } => SheetError::Unavailable {
                spreadsheet_id,
                tab,
                call,
                attempts,
                waited,
                last: last.message,
            },
        }
    }
}

fn grid_of(properties: &SheetProperties) -> Grid {
    let grid = properties.grid_properties.as_ref();
    let count = |n: Option<i32>, default: usize| n.map_or(default, |n| n.max(0) as usize);
    Grid {
        sheet_id: properties.sheet_id.unwrap_or_default(),
        row_count: count(grid.and_then(|g| g.row_count), 1000),
        column_count: count(grid.and_then(|g| g.column_count), 26),
    }
}

/// The A1 range of a whole tab: its title in single quotes, inner quotes doubled.
pub fn a1_sheet_range(tab: &str) -> String {
    format!("'{}'", tab.replace('\'', "''"))
}

/// The seconds of a `Retry-After` header (the HTTP-date form is not used by Google).
fn retry_after(headers: &hyper::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    retry_after_value(value, std::time::SystemTime::now())
}

/// The longest `Retry-After` taken as given; longer ones (any clock would overflow on
/// `u64::MAX` seconds) are read as this, which no run's deadline reaches: the call gives up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 9110); a date in the past means
/// "now". Anything else (negative, fractional, garbage) is ignored and the backoff applies;
/// a huge value is capped at [`MAX_RETRY_AFTER`].
fn retry_after_value(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits beyond u64 are still a (huge) delay.
        value
            .parse::<u64>()
            .map_or(MAX_RETRY_AFTER, Duration::from_secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// How a token-endpoint failure is retried: an unreachable endpoint, a garbled answer or an
/// OAuth "server error" is transient; an OAuth refusal (invalid_grant: a wrong or revoked key)
/// stays what it is and is not retried.
fn token_failure(error: &yup_oauth2::Error) -> Failure {
    use yup_oauth2::error::AuthErrorCode;
    let transient = match error {
        yup_oauth2::Error::HttpError(_)
        | yup_oauth2::Error::HttpClientError(_)
        | yup_oauth2::Error::LowLevelError(_)
        | yup_oauth2::Error::JSONError(_)
        | yup_oauth2::Error::MissingAccessToken => true,
        yup_oauth2::Error::AuthError(auth) => matches!(
            &auth.error,
            AuthErrorCode::Other(code)
                if matches!(code.as_str(), "server_error" | "temporarily_unavailable" | "internal_failure")
        ),
        _ => false,
    };
    if transient {
        failure(
            FailureKind::Connection,
            format!("the OAuth token endpoint failed: {error}"),
        )
    } else {
        failure(FailureKind::Auth, error.to_string())
    }
}

fn failure(kind: FailureKind, message: String) -> Failure {
    Failure {
        kind,
        status: None,
        retry_after: None,
        message,
    }
}

/// Records the status and `Retry-After` of a failed response, which google-sheets4 drops
/// when it turns a JSON error body into `Error::BadRequest`.
#[derive(Default)]
struct Recorder {
    status: Option<u16>,
    retry_after: Option<Duration>,
}

impl google_sheets4::Delegate for Recorder {
    fn http_failure(
        &mut self,
        response: &google_sheets4::common::Response,
        _body: Option<&Value>,
    ) -> Retry {
        self.status = Some(response.status().as_u16());
        self.retry_after = retry_after(response.headers());
        Retry::Abort
    }
}

impl Recorder {
    fn classify(&self, error: google_sheets4::Error) -> Failure {
        use google_sheets4::Error as E;
        match error {
            E::BadRequest(body) => {
                let status = self.status.or_else(|| {
                    body.pointer("/error/code")
                        .and_then(Value::as_u64)
                        .and_then(|c| u16::try_from(c).ok())
                });
                let message = body
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .map_or_else(|| body.to_string(), str::to_owned);
                Failure::from_status(status.unwrap_or(400), self.retry_after, message)
            }
            E::Failure(response) => {
                let status = response.status();
                Failure::from_status(status.as_u16(), self.retry_after, status.to_string())
            }
            E::HttpError(e) => failure(FailureKind::Connection, format!("connection failed: {e}")),
            E::Io(e) => failure(FailureKind::Connection, format!("connection failed: {e}")),
            E::MissingToken(e) => match e.downcast_ref::<yup_oauth2::Error>() {
                Some(e) => token_failure(e),
                None => failure(FailureKind::Auth, e.to_string()),
            },
            other => failure(FailureKind::Permanent, other.to_string().trim().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_names_are_quoted_for_a1_ranges() {
        assert_eq!(a1_sheet_range("Data #1"), "'Data #1'");
        assert_eq!(a1_sheet_range("O'Brien"), "'O''Brien'");
    }

    #[test]
    fn retry_after_seconds_and_dates_are_read() {
        let mut headers = hyper::HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            retry_after_value("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after_value("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(retry_after_value("soon", now), None);
    }

    #[test]
    fn huge_or_malformed_retry_after_never_panics() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        for huge in [
            "18446744073709551615",
            "99999999999999999999999999",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(
                retry_after_value(huge, now),
                Some(MAX_RETRY_AFTER),
                "{huge}"
            );
        }
        for junk in [
            "",
            " ",
            "-5",
            "1.5",
            "1e3",
            "+7",
            "Wed, 99 Foo 2015",
            "\u{0}",
        ] {
            assert_eq!(retry_after_value(junk, now), None, "{junk:?}");
        }
        assert_eq!(retry_after_value(" 7 ", now), Some(Duration::from_secs(7)));
    }
}
