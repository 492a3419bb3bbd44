//! Logging in to the backend and recognising an expired session. The login submits the form
//! once and then waits for the NEW document to load: a successful login leaves the login page,
//! a rejected one renders the login form again (with its error message, if configured).

use chromiumoxide::Page;
use serde::Deserialize;
use tokio::time::Instant;

use super::dom;
use super::error::{SourceError, browser_failure};
use crate::config::{FillMethod, LoginConfig, LoginSuccess};
use crate::secrets::Secret;

/// The backend account; `Debug` never shows the password.
#[derive(Clone, Debug)]
pub struct BackendCredentials {
    pub email: String,
    pub password: Secret<String>,
}

impl From<&crate::secrets::BackendSecrets> for BackendCredentials {
    fn from(s: &crate::secrets::BackendSecrets) -> Self {
        BackendCredentials {
            email: s.email.clone(),
            password: s.password.clone(),
        }
    }
}

/// What the page looks like after the form was submitted.
#[derive(Debug, Deserialize)]
struct AfterSubmit {
    /// The marker set before submitting is gone: a new document has loaded.
    fresh: bool,
    ready: String,
    url: String,
    success: bool,
    form: bool,
    error: String,
}

const MARKER: &str = "window.__exportsyncLoginPending";

/// Logs in on `page`. Exactly one form submission; `LoginRejected` when the login form comes
/// back, `LoginTimeout` when nothing conclusive happens before the login deadline.
pub async fn log_in(
    page: &Page,
    login: &LoginConfig,
    base_url: &str,
    credentials: &BackendCredentials,
) -> Result<(), SourceError> {
    let deadline = Instant::now() + login.timeout;
    // Every step below has the same deadline, also those that talk to a page that stopped
    // answering (a script in an endless loop).
    match tokio::time::timeout_at(
        deadline,
        log_in_until(page, login, base_url, credentials, deadline),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(SourceError::LoginTimeout {
            url: dom::url(page).await,
            waited: login.timeout,
            message: "the login page stopped answering".into(),
        }),
    }
}

async fn log_in_until(
    page: &Page,
    login: &LoginConfig,
    base_url: &str,
    credentials: &BackendCredentials,
    deadline: Instant,
) -> Result<(), SourceError> {
    let url = dom::page_url(base_url, &login.path);
    let timeout = |message: String, at: &str| SourceError::LoginTimeout {
        url: at.to_owned(),
        waited: login.timeout,
        message,
    };
    match tokio::time::timeout_at(deadline, page.goto(url.as_str())).await {
        Err(_) => return Err(timeout("the login page did not load".into(), &url)),
        Ok(Err(e)) => {
            return Err(SourceError::Unreachable {
                url,
                message: e.to_string(),
            });
        }
        Ok(Ok(_)) => {}
    }
    let Some(email) = dom::wait_element(page, &login.email_selector, deadline).await else {
        if success_now(page, login).await {
            return Ok(());
        }
        let at = dom::url(page).await;
        return Err(timeout(
            format!("the email field `{}` never appeared", login.email_selector),
            &at,
        ));
    };
    let missing =
        |what: &str, selector: &str| format!("the {what} `{selector}` is not on the login page");
    dom::fill(&email, &credentials.email, FillMethod::SetValue, false)
        .await
        .map_err(|e| browser_failure("login", "filling the email", e))?;
    let password = page
        .find_element(login.password_selector.as_str())
        .await
        .map_err(|_| timeout(missing("password field", &login.password_selector), &url))?;
    let accepted = dom::fill(
        &password,
        credentials.password.expose(),
        FillMethod::SetValue,
        true,
    )
    .await
    .map_err(|e| browser_failure("login", "filling the password", e))?;
    if !accepted.is_empty() {
        return Err(timeout(
            "the password field did not accept the password".into(),
            &url,
        ));
    }
    let submit = page
        .find_element(login.submit_selector.as_str())
        .await
        .map_err(|_| timeout(missing("submit button", &login.submit_selector), &url))?;
    page.evaluate(format!("{MARKER} = true"))
        .await
        .map_err(|e| browser_failure("login", "marking the page", e))?;
    submit
        .click()
        .await
        .map_err(|e| browser_failure("login", "clicking the submit button", e))?;

    let probe = after_submit_probe(login);
    loop {
        if let Some(state) = dom::eval_until::<AfterSubmit>(page, &probe, deadline).await
            && state.fresh
            && state.ready == "complete"
        {
            if state.success {
                tracing::debug!(url = %state.url, "logged in");
                return Ok(());
            }
            if state.form {
                let message = if state.error.trim().is_empty() {
                    "the login form came back without a message".to_owned()
                } else {
                    format!("the page says \"{}\"", state.error.trim())
                };
                return Err(SourceError::LoginRejected {
                    email: credentials.email.clone(),
                    message,
                });
            }
        }
        if Instant::now() >= deadline {
            let at = dom::url(page).await;
            return Err(timeout(
                "no page after the login form was submitted".into(),
                &at,
            ));
        }
        tokio::time::sleep(dom::POLL_INTERVAL).await;
    }
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn success_test(login: &LoginSuccess) -> String {
    match login {
        LoginSuccess::UrlNotContains(text) => format!("!location.href.includes({})", js_str(text)),
        LoginSuccess::Selector(selector) => {
            format!("!!document.querySelector({})", js_str(selector))
        }
    }
}

fn after_submit_probe(login: &LoginConfig) -> String {
    let error = match &login.error_selector {
        Some(sel) => format!(
            "(document.querySelector({}) || {{ innerText: '' }}).innerText",
            js_str(sel)
        ),
        None => "''".to_owned(),
    };
    format!(
        "({{ fresh: {MARKER} !== true, ready: document.readyState, url: location.href, \
           success: {success}, form: !!document.querySelector({form}), error: {error} }})",
        success = success_test(&login.success),
        form = js_str(&login.password_selector),
    )
}

async fn success_now(page: &Page, login: &LoginConfig) -> bool {
    dom::eval::<bool>(page, &success_test(&login.success))
        .await
        .unwrap_or(false)
}

/// Whether `page` shows the login form instead of what was asked: the session has expired.
/// A page that does not answer by `deadline` counts as not the login page.
pub async fn on_login_page(page: &Page, login: &LoginConfig, deadline: Instant) -> bool {
    let probe = format!(
        "location.pathname.replace(/\\/+$/, '') === {path} || !!document.querySelector({form})",
        path = js_str(login.path.trim_end_matches('/')),
        form = js_str(&login.password_selector),
    );
    dom::eval_until::<bool>(page, &probe, deadline)
        .await
        .unwrap_or(false)
}
