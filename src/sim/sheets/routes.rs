//! The HTTP face of the simulator (axum): the Sheets v4 paths google-sheets4 calls, the OAuth
//! `/token` grant, and the `/_sim/...` helpers. Paths are parsed by hand because Google's
//! `{id}:batchUpdate` form and unencoded ranges do not fit a router pattern.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::auth::{Authority, TOKEN_LIFETIME_SECS};
use super::error::ApiError;
use super::faults::{Fault, FaultQueue, FaultTiming, RequestCounts, RequestKind, Struck};
use super::model::Workbook;
use super::render::RenderOptions;
use super::requests::apply_batch;
use super::resources::{spreadsheet_json, value_range};

/// One simulated spreadsheet and whether the service account may open it.
pub struct Entry {
    pub workbook: Workbook,
    pub denied: bool,
}

/// Everything the handlers share.
pub struct Shared {
    pub base_url: String,
    pub token_uri: String,
    pub authority: Authority,
    pub books: Mutex<HashMap<String, Entry>>,
    pub faults: Mutex<FaultQueue>,
    pub counts: Mutex<RequestCounts>,
    pub latency: Mutex<Duration>,
    /// Delay before serving requests of one kind, replacing `latency` for them.
    pub latency_by_kind: Mutex<HashMap<RequestKind, Duration>>,
    /// `(n, delay)`: the next `n` batchUpdates that succeed are applied at once and answered
    /// `delay` late, as Google finishes a write whose answer reaches a client after it gave up.
    pub late_write_answers: Mutex<(usize, Duration)>,
}

type AppState = Arc<Shared>;

/// Largest request body accepted. Google takes batches well past the 2 MB it recommends;
/// axum's own default (2 MB) would refuse what the real API accepts.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub fn router(shared: AppState) -> axum::Router {
    axum::Router::new()
        .route("/token", post(token))
        .route("/_sim/spreadsheets/{id}", get(sim_state))
        .route("/_sim/counts", get(sim_counts))
        .route("/_sim/faults", post(sim_fault))
        .fallback(api)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A request of the Sheets API, as read from its method and raw path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ApiCall {
    kind: RequestKind,
    spreadsheet_id: String,
    range: Option<String>,
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `a=1&ranges=x&ranges=y` with `+` as space, in order.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn classify(method: &Method, raw_path: &str) -> Result<ApiCall, ApiError> {
    let not_found = || {
        ApiError::new(
            404,
            format!(
                "The Sheets simulator does not serve {method} {}. It serves spreadsheets.get, \
                 values.get, values.batchGet and batchUpdate.",
                decode(raw_path)
            ),
        )
    };
    let rest = raw_path
        .strip_prefix("/v4/spreadsheets/")
        .ok_or_else(not_found)?;
    let split = rest.find(['/', ':']).unwrap_or(rest.len());
    let (id, tail) = rest.split_at(split);
    let spreadsheet_id = decode(id);
    if spreadsheet_id.is_empty() {
        return Err(not_found());
    }
    let call = |kind, range| ApiCall {
        kind,
        spreadsheet_id: spreadsheet_id.clone(),
        range,
    };
    match (method, tail) {
        (&Method::GET, "") => Ok(call(RequestKind::Get, None)),
        (&Method::POST, ":batchUpdate") => Ok(call(RequestKind::BatchUpdate, None)),
        (&Method::GET, "/values:batchGet") => Ok(call(RequestKind::ValuesBatchGet, None)),
        (&Method::GET, t) if t.starts_with("/values/") && t.len() > "/values/".len() => Ok(call(
            RequestKind::ValuesGet,
            Some(decode(&t["/values/".len()..])),
        )),
        _ => Err(not_found()),
    }
}

async fn pause(shared: &Shared, kind: RequestKind) {
    let own = shared
        .latency_by_kind
        .lock()
        .expect("latency lock")
        .get(&kind)
        .copied();
    let latency = own.unwrap_or_else(|| *shared.latency.lock().expect("latency lock"));
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

async fn api(
    State(shared): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = match classify(&method, uri.path()) {
        Ok(call) => call,
        Err(error) => {
            shared.counts.lock().expect("counts lock").rejected += 1;
            tracing::info!(%method, path = %uri.path(), "sheets simulator: no such endpoint");
            return error.into_response();
        }
    };
    shared.counts.lock().expect("counts lock").record(call.kind);
    // Served in a task of its own: like Google, the simulator finishes a request whose client
    // hung up (a write that timed out on the client's side still lands).
    let served = tokio::spawn({
        let shared = shared.clone();
        let call = call.clone();
        async move {
            let mut after = None;
            let outcome = serve_api(&shared, &call, &uri, &headers, &body, &mut after).await;
            (outcome, after)
        }
    });
    let (mut outcome, after) = match served.await {
        Ok(served) => served,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let kind = call.kind;
    let spreadsheet_id = call.spreadsheet_id.as_str();
    // A fault that strikes after the request was carried out (no lock is held here).
    if let Some(Struck { error, timing }) = after {
        if timing == FaultTiming::DropAfterApplying {
            tracing::info!(
                ?kind,
                spreadsheet_id,
                "sheets simulator carried out a request and drops its connection unanswered"
            );
            // Unwinding ends the connection's task, which closes the socket without an
            // answer; `resume_unwind` does not run the panic hook, so nothing is printed.
            std::panic::resume_unwind(Box::new("simulated dropped connection"));
        }
        tracing::info!(
            ?kind,
            spreadsheet_id,
            status = error.status,
            "sheets simulator carried out a request and answers an error"
        );
        outcome = Err(error);
    }
    if kind == RequestKind::BatchUpdate && outcome.is_ok() {
        let late = {
            let mut late = shared.late_write_answers.lock().expect("late answers lock");
            (late.0 > 0).then(|| {
                late.0 -= 1;
                late.1
            })
        };
        if let Some(delay) = late {
            tokio::time::sleep(delay).await;
        }
    }
    match outcome {
        Ok(value) => {
            tracing::info!(
                ?kind,
                spreadsheet_id,
                status = 200,
                "sheets simulator answered"
            );
            Json(value).into_response()
        }
        Err(error) => {
            shared.counts.lock().expect("counts lock").rejected += 1;
            tracing::info!(?kind, spreadsheet_id, status = error.status, message = %error.message, "sheets simulator refused a request");
            error.into_response()
        }
    }
}

async fn serve_api(
    shared: &Shared,
    call: &ApiCall,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    after: &mut Option<Struck>,
) -> Result<Value, ApiError> {
    pause(shared, call.kind).await;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !shared.authority.accepts(authorization) {
        return Err(ApiError::unauthenticated());
    }
    let struck = shared.faults.lock().expect("faults lock").strike(call.kind);
    if let Some(struck) = struck {
        if struck.timing == FaultTiming::Instead {
            return Err(struck.error);
        }
        *after = Some(struck);
    }
    let query = query_pairs(uri.query().unwrap_or(""));
    let ranges: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "ranges")
        .map(|(_, v)| v.clone())
        .collect();
    let render = RenderOptions::from_query(
        first(&query, "valueRenderOption"),
        first(&query, "dateTimeRenderOption"),
    )?;
    let dimension = first(&query, "majorDimension");
    let mut books = shared.books.lock().expect("books lock");
    let entry = books
        .get_mut(&call.spreadsheet_id)
        .ok_or_else(ApiError::not_found)?;
    if entry.denied {
        return Err(ApiError::permission_denied());
    }
    match call.kind {
        RequestKind::Get => {
            let include_grid_data = first(&query, "includeGridData") == Some("true");
            spreadsheet_json(
                &entry.workbook,
                &shared.base_url,
                &ranges,
                include_grid_data,
            )
        }
        RequestKind::ValuesGet => {
            let range = call.range.as_deref().unwrap_or_default();
            value_range(&entry.workbook, range, &render, dimension)
        }
        RequestKind::ValuesBatchGet => {
            let ranges = ranges
                .iter()
                .map(|r| value_range(&entry.workbook, r, &render, dimension))
                .collect::<Result<Vec<_>, _>>()?;
            let mut out = json!({ "spreadsheetId": call.spreadsheet_id });
            if !ranges.is_empty() {
                out["valueRanges"] = Value::Array(ranges);
            }
            Ok(out)
        }
        RequestKind::BatchUpdate => {
            let invalid = |why: String| {
                ApiError::bad_request(format!("Invalid JSON payload received. {why}"))
            };
            let request: Value =
                serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
            let Value::Object(mut request) = request else {
                return Err(invalid("The body must be a JSON object.".into()));
            };
            let subrequests = match request.remove("requests") {
                Some(Value::Array(list)) => list,
                None | Some(Value::Null) => Vec::new(),
                Some(_) => return Err(invalid("'requests' must be a list.".into())),
            };
            shared
                .counts
                .lock()
                .expect("counts lock")
                .batch_update_subrequests += subrequests.len();
            let (next, replies) = apply_batch(&entry.workbook, subrequests)?;
            entry.workbook = next;
            let mut out = json!({ "spreadsheetId": call.spreadsheet_id, "replies": replies });
            if request.get("includeSpreadsheetInResponse") == Some(&json!(true)) {
                out["updatedSpreadsheet"] =
                    spreadsheet_json(&entry.workbook, &shared.base_url, &[], false)?;
            }
            Ok(out)
        }
        RequestKind::Token => Err(ApiError::new(404, "Not an API request.")),
    }
}

/// `POST /token`: the service-account JWT-bearer grant.
async fn token(State(shared): State<AppState>, body: Bytes) -> Response {
    shared
        .counts
        .lock()
        .expect("counts lock")
        .record(RequestKind::Token);
    pause(&shared, RequestKind::Token).await;
    if let Some(fault) = shared
        .faults
        .lock()
        .expect("faults lock")
        .take(RequestKind::Token)
    {
        shared.counts.lock().expect("counts lock").rejected += 1;
        return fault.into_response();
    }
    let form = query_pairs(&String::from_utf8_lossy(&body));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let granted = shared.authority.grant(
        first(&form, "grant_type"),
        first(&form, "assertion"),
        &shared.token_uri,
        now,
    );
    match granted {
        Ok(access_token) => Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
        }))
        .into_response(),
        Err(e) => {
            shared.counts.lock().expect("counts lock").rejected += 1;
            tracing::info!(reason = %e, "sheets simulator refused a token grant");
            let body = json!({ "error": e.code(), "error_description": e.to_string() });
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

async fn sim_state(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let books = shared.books.lock().expect("books lock");
    match books.get(&id) {
        Some(entry) => Json(entry.workbook.snapshot()).into_response(),
        None => ApiError::not_found().into_response(),
    }
}

async fn sim_counts(State(shared): State<AppState>) -> Json<RequestCounts> {
    Json(shared.counts.lock().expect("counts lock").clone())
}

async fn sim_fault(State(shared): State<AppState>, Json(fault): Json<Fault>) -> StatusCode {
    shared.faults.lock().expect("faults lock").push(fault);
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_google_paths() {
        let c = classify(&Method::GET, "/v4/spreadsheets/abc").unwrap();
        assert_eq!(
            (c.kind, c.spreadsheet_id.as_str()),
            (RequestKind::Get, "abc")
        );
        let c = classify(&Method::POST, "/v4/spreadsheets/abc:batchUpdate").unwrap();
        assert_eq!(c.kind, RequestKind::BatchUpdate);
        let c = classify(&Method::GET, "/v4/spreadsheets/abc/values:batchGet").unwrap();
        assert_eq!(c.kind, RequestKind::ValuesBatchGet);
        let c = classify(
            &Method::GET,
            "/v4/spreadsheets/abc/values/'Data%20%231'!A1:Z",
        )
        .unwrap();
        assert_eq!(c.kind, RequestKind::ValuesGet);
        assert_eq!(c.range.as_deref(), Some("'Data #1'!A1:Z"));
        for (m, p) in [
            (Method::POST, "/v4/spreadsheets/abc"),
            (Method::GET, "/v4/spreadsheets/abc:batchUpdate"),
            (Method::GET, "/v4/spreadsheets/"),
            (Method::GET, "/v4/spreadsheets/abc/values/"),
            (Method::GET, "/v3/x"),
        ] {
            assert_eq!(classify(&m, p).unwrap_err().status, 404, "{m} {p}");
        }
    }

    #[test]
    fn query_pairs_decode_and_repeat() {
        let q = query_pairs("ranges=%27Data+%231%27%21A1%3AZ&ranges=Sheet1&alt=json");
        assert_eq!(first(&q, "alt"), Some("json"));
        let ranges: Vec<&str> = q
            .iter()
            .filter(|(k, _)| k == "ranges")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(ranges, ["'Data #1'!A1:Z", "Sheet1"]);
    }
}
