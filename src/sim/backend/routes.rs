//! The axum routes of the simulated panel: login and logout, the dashboard, the four export
//! pages and their download endpoints, with the configured faults applied.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::catalog::ExportKind;
use super::formats::{FileTweaks, ServedFile};
use super::session::{Gate, SessionStore, session_cookie, session_id};
use super::{BackendOptions, BackendStats, ExportRequest, Faults, pages};

/// The message Laravel shows for wrong credentials.
pub(crate) const BAD_CREDENTIALS: &str = "These credentials do not match our records.";

/// Everything the handlers share, behind one lock that is never held across an `.await`.
pub(crate) struct Panel {
    pub(crate) options: BackendOptions,
    pub(crate) sessions: SessionStore,
    pub(crate) stats: BackendStats,
}

pub(crate) type Shared = Arc<Mutex<Panel>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, Panel> {
    // A handler that panicked mid-update leaves counters at worst one step behind: keep serving.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn router(shared: Shared) -> Router {
    let mut router = Router::new()
        .route("/", get(root))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/dashboard", get(dashboard));
    for kind in ExportKind::ALL {
        let export_path = format!("{}/export", kind.page_path());
        router = router.route(
            kind.page_path(),
            get(
                move |s: State<Shared>, h: HeaderMap, Query(q): Query<HashMap<String, String>>| {
                    export_page(s, h, kind, q)
                },
            ),
        );
        router = match kind {
            ExportKind::Transactions => router.route(
                &export_path,
                post(
                    move |s: State<Shared>,
                          h: HeaderMap,
                          Form(f): Form<HashMap<String, String>>| {
                        export_download(s, h, kind, f)
                    },
                ),
            ),
            _ => router.route(
                &export_path,
                get(
                    move |s: State<Shared>,
                          h: HeaderMap,
                          Query(q): Query<HashMap<String, String>>| {
                        export_download(s, h, kind, q)
                    },
                ),
            ),
        };
    }
    router.fallback(not_found).with_state(shared)
}

/// A 302 redirect, as Laravel answers.
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(LOCATION, location.to_owned())]).into_response()
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    (status, Html(pages::error(status.as_u16(), title, message))).into_response()
}

fn page_expired() -> Response {
    error_page(
        StatusCode::from_u16(419).expect("419 is a valid status code"),
        "Page Expired",
        "The page has expired (missing or wrong CSRF token). Reload the page and try again.",
    )
}

async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "Not Found", "No such page.")
}

async fn root(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let logged_in = lock(&shared)
        .sessions
        .is_logged_in(session_id(&headers).as_deref());
    found(if logged_in { "/dashboard" } else { "/login" })
}

async fn login_form(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let id = session_id(&headers);
    let mut panel = lock(&shared);
    if panel.sessions.is_logged_in(id.as_deref()) {
        return found("/dashboard");
    }
    let (id, csrf, created) = panel.sessions.ensure(id.as_deref());
    drop(panel);
    let page = Html(pages::login(&csrf, "", None));
    if created {
        ([(SET_COOKIE, session_cookie(&id))], page).into_response()
    } else {
        page.into_response()
    }
}

async fn login_submit(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let id = session_id(&headers);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let mut panel = lock(&shared);
    panel.stats.login_attempts += 1;
    let Some(csrf) = panel.sessions.csrf(id.as_deref()).map(str::to_owned) else {
        return page_expired();
    };
    if field("_token") != csrf {
        return page_expired();
    }
    let options = &panel.options;
    let accepted = !options.faults.reject_all_logins
        && field("email") == options.email
        && field("password") == options.password;
    if !accepted {
        tracing::info!(email = field("email"), "simulated backend: login rejected");
        return Html(pages::login(&csrf, field("email"), Some(BAD_CREDENTIALS))).into_response();
    }
    let new_id = panel.sessions.log_in(id.as_deref(), field("email"));
    panel.stats.logins_ok += 1;
    drop(panel);
    tracing::info!(email = field("email"), "simulated backend: login accepted");
    let mut response = found("/dashboard");
    response.headers_mut().insert(
        SET_COOKIE,
        session_cookie(&new_id)
            .parse()
            .expect("hex session ids are valid header values"),
    );
    response
}

async fn logout(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let id = session_id(&headers);
    let mut panel = lock(&shared);
    let token_ok = panel
        .sessions
        .csrf(id.as_deref())
        .is_some_and(|csrf| form.get("_token").is_some_and(|t| t == csrf));
    if !token_ok {
        return page_expired();
    }
    panel.sessions.log_out(id.as_deref());
    found("/login")
}

/// A request the session middleware let through.
struct Admitted {
    email: String,
    csrf: String,
    faults: Faults,
}

/// A request the session middleware refused: it is sent to the login page.
struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        found("/login")
    }
}

/// Admits an authenticated request (spending one unit of the session's budget) or refuses it.
fn admit(shared: &Shared, headers: &HeaderMap) -> Result<Admitted, ToLogin> {
    let id = session_id(headers);
    let mut panel = lock(shared);
    let faults = &panel.options.faults;
    let expire_after = faults.expire_session_after.filter(|_| {
        faults
            .expire_at_most
            .is_none_or(|most| panel.stats.sessions_expired < most)
    });
    match panel.sessions.authorize(id.as_deref(), expire_after) {
        Gate::Allowed { email, csrf } => Ok(Admitted {
            email,
            csrf,
            faults: panel.options.faults.clone(),
        }),
        Gate::NotLoggedIn => Err(ToLogin),
        Gate::Expired => {
            panel.stats.sessions_expired += 1;
            tracing::info!("simulated backend: session expired by fault");
            Err(ToLogin)
        }
    }
}

async fn dashboard(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    match admit(&shared, &headers) {
        Ok(user) => Html(pages::dashboard(&user.email, &user.csrf)).into_response(),
        Err(refused) => refused.into_response(),
    }
}

/// How many rows the Filter preview shows.
const PREVIEW_ROWS: usize = 10;

/// An export page; with its date fields in the query (the Filter button), it also previews
/// the first rows of that range, or says why the dates are wrong.
async fn export_page(
    State(shared): State<Shared>,
    headers: HeaderMap,
    kind: ExportKind,
    query: HashMap<String, String>,
) -> Response {
    let user = match admit(&shared, &headers) {
        Ok(user) => user,
        Err(refused) => return refused.into_response(),
    };
    let renamed_dates = user.faults.rename_date_inputs.as_deref() == Some(kind.name());
    let (start_field, end_field) = pages::date_fields(kind, renamed_dates);
    let filter = match (query.get(start_field), query.get(end_field)) {
        (Some(start_raw), Some(end_raw)) => {
            let rows_per_day = lock(&shared).options.rows_per_day;
            let format = kind.date_format();
            let outcome = match (format.parse(start_raw), format.parse(end_raw)) {
                (Some(start), Some(end)) if start <= end => Ok(pages::Preview {
                    total: kind.row_count(start, end, rows_per_day),
                    first: kind
                        .row_iter(start, end, rows_per_day)
                        .take(PREVIEW_ROWS)
                        .collect(),
                }),
                (start, end) => Err(date_problem(
                    kind,
                    start_raw,
                    end_raw,
                    start.is_some(),
                    end.is_some(),
                )),
            };
            Some(pages::Filter {
                start_raw: start_raw.clone(),
                end_raw: end_raw.clone(),
                outcome,
            })
        }
        _ => None,
    };
    let dead = user.faults.dead_button.as_deref() == Some(kind.name());
    let renamed = match &user.faults.rename_button {
        Some((export, text)) if export == kind.name() => Some(text.as_str()),
        _ => None,
    };
    let pdf = lock(&shared).options.formats.pdf(kind);
    Html(pages::export_page(
        kind,
        &user.email,
        &user.csrf,
        pages::Button {
            dead,
            file_name: user.faults.fixed_file_name.as_deref(),
            pdf,
            renamed,
        },
        renamed_dates,
        filter.as_ref(),
    ))
    .into_response()
}

/// A download request: authenticated, CSRF-checked when it is a form POST, dates validated in
/// the page's format, faults applied, then the file: an xlsx attachment, or a PDF sent as
/// [`ExportFormats`](super::ExportFormats) says.
async fn export_download(
    State(shared): State<Shared>,
    headers: HeaderMap,
    kind: ExportKind,
    params: HashMap<String, String>,
) -> Response {
    let Admitted { csrf, faults, .. } = match admit(&shared, &headers) {
        Ok(user) => user,
        Err(refused) => {
            let status = lock(&shared).options.faults.expired_status;
            return match status.and_then(|s| StatusCode::from_u16(s).ok()) {
                Some(status) if status.as_u16() == 419 => page_expired(),
                Some(status) => error_page(status, "Unauthorized", "Unauthenticated."),
                None => refused.into_response(),
            };
        }
    };
    let renamed_dates = faults.rename_date_inputs.as_deref() == Some(kind.name());
    let (start_field, end_field) = pages::date_fields(kind, renamed_dates);
    let start_raw = params.get(start_field).cloned().unwrap_or_default();
    let end_raw = params.get(end_field).cloned().unwrap_or_default();
    let format = kind.date_format();
    let start = format.parse(&start_raw);
    let end = format.parse(&end_raw);
    let received = std::time::Instant::now();
    let record = |status: StatusCode, rows: usize| {
        let request = ExportRequest {
            received,
            export: kind.name().to_owned(),
            start_raw: start_raw.clone(),
            end_raw: end_raw.clone(),
            start,
            end,
            rows,
            status: status.as_u16(),
        };
        tracing::info!(export = kind.name(), start = %start_raw, end = %end_raw, rows, status = status.as_u16(), "simulated backend: export request");
        lock(&shared).stats.exports.push(request);
    };

    if kind == ExportKind::Transactions && params.get("_token") != Some(&csrf) {
        let response = page_expired();
        record(response.status(), 0);
        return response;
    }
    let (start, end) = match (start, end) {
        (Some(start), Some(end)) if start <= end => (start, end),
        _ => {
            let message = date_problem(kind, &start_raw, &end_raw, start.is_some(), end.is_some());
            record(StatusCode::UNPROCESSABLE_ENTITY, 0);
            return error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unprocessable Content",
                &message,
            );
        }
    };
    if faults.fail_export.as_deref() == Some(kind.name()) {
        record(StatusCode::INTERNAL_SERVER_ERROR, 0);
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Server Error",
            "Whoops, something went wrong on our servers.",
        );
    }
    let (rows_per_day, formats) = {
        let panel = lock(&shared);
        (panel.options.rows_per_day, panel.options.formats)
    };
    let tweaks = FileTweaks {
        fixed_name: faults.fixed_file_name.clone(),
        rename_column: faults
            .rename_column
            .as_ref()
            .filter(|(export, _, _)| export == kind.name())
            .map(|(_, from, to)| (from.clone(), to.clone())),
        max_rows: faults.max_rows.get(kind.name()).copied(),
    };
    let built =
        tokio::task::spawn_blocking(move || kind.serve(formats, start, end, rows_per_day, &tweaks))
            .await
            .map_err(|e| format!("the file task failed: {e}"))
            .and_then(|built| built);
    let (file, rows) = match built {
        Ok(built) => built,
        Err(problem) => {
            tracing::error!(export = kind.name(), %problem, "simulated backend: cannot build the file");
            record(StatusCode::INTERNAL_SERVER_ERROR, 0);
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Server Error",
                "Cannot build the export file.",
            );
        }
    };
    record(StatusCode::OK, rows);
    let delay = faults
        .slow_export
        .as_ref()
        .filter(|(name, _)| name == kind.name())
        .map(|(_, delay)| *delay)
        .unwrap_or_default()
        + faults
            .export_delay
            .get(kind.name())
            .copied()
            .unwrap_or_default();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let ServedFile {
        bytes,
        content_type,
        disposition,
        ..
    } = file;
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The 422 message: which field is wrong and what format the page expects.
fn date_problem(
    kind: ExportKind,
    start_raw: &str,
    end_raw: &str,
    start_ok: bool,
    end_ok: bool,
) -> String {
    let (start_field, end_field) = kind.date_fields();
    let hint = kind.date_format().hint();
    let describe = |field: &str, raw: &str| {
        if raw.is_empty() {
            format!("The {field} field is required ({hint}).")
        } else {
            format!("The {field} field \"{raw}\" does not match the format {hint}.")
        }
    };
    match (start_ok, end_ok) {
        (false, false) => format!(
            "{} {}",
            describe(start_field, start_raw),
            describe(end_field, end_raw)
        ),
        (false, true) => describe(start_field, start_raw),
        (true, false) => describe(end_field, end_raw),
        (true, true) => format!("The {end_field} must be a date after or equal to {start_field}."),
    }
}
