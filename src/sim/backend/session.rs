//! Sessions of the simulated panel: the `laravel_session` cookie, the per-session CSRF token,
//! login state and the request budget behind the `expire_session_after` fault.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The cookie that carries the session id, as Laravel names it.
pub(crate) const SESSION_COOKIE: &str = "laravel_session";

#[derive(Debug)]
struct Session {
    csrf: String,
    /// The email of the logged-in user; `None` before login.
    user: Option<String>,
    /// Authenticated page and export requests served in this session.
    requests: usize,
}

/// What the session middleware decided for an authenticated route.
#[derive(Debug)]
pub(crate) enum Gate {
    Allowed {
        email: String,
        csrf: String,
    },
    /// No cookie, an unknown session or a session that never logged in.
    NotLoggedIn,
    /// The session used up its `expire_session_after` budget and was dropped just now.
    Expired,
}

#[derive(Debug, Default)]
pub(crate) struct SessionStore {
    sessions: HashMap<String, Session>,
}

impl SessionStore {
    /// The session named by the cookie, creating an anonymous one when there is none (as
    /// Laravel does on the first visit). Returns its id, its CSRF token and whether it is new
    /// (so the caller sets the cookie).
    pub(crate) fn ensure(&mut self, id: Option<&str>) -> (String, String, bool) {
        if let Some(id) = id
            && let Some(session) = self.sessions.get(id)
        {
            return (id.to_owned(), session.csrf.clone(), false);
        }
        let id = random_token();
        let csrf = random_token();
        self.sessions.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                user: None,
                requests: 0,
            },
        );
        (id, csrf, true)
    }

    /// The CSRF token of an existing session.
    pub(crate) fn csrf(&self, id: Option<&str>) -> Option<&str> {
        Some(self.sessions.get(id?)?.csrf.as_str())
    }

    /// Whether the session is logged in (without spending its budget).
    pub(crate) fn is_logged_in(&self, id: Option<&str>) -> bool {
        id.and_then(|id| self.sessions.get(id))
            .is_some_and(|s| s.user.is_some())
    }

    /// Replaces the session with a fresh logged-in one (new id, new CSRF token, fresh
    /// budget), as Laravel regenerates the session on login. Returns the new id.
    pub(crate) fn log_in(&mut self, old_id: Option<&str>, email: &str) -> String {
        if let Some(old) = old_id {
            self.sessions.remove(old);
        }
        let id = random_token();
        self.sessions.insert(
            id.clone(),
            Session {
                csrf: random_token(),
                user: Some(email.to_owned()),
                requests: 0,
            },
        );
        id
    }

    pub(crate) fn log_out(&mut self, id: Option<&str>) {
        if let Some(id) = id {
            self.sessions.remove(id);
        }
    }

    /// Admits one authenticated request, spending one unit of the session's budget. A session
    /// that already served `expire_after` requests is dropped and the request refused.
    pub(crate) fn authorize(&mut self, id: Option<&str>, expire_after: Option<usize>) -> Gate {
        let Some(id) = id else {
            return Gate::NotLoggedIn;
        };
        let Some(session) = self.sessions.get_mut(id) else {
            return Gate::NotLoggedIn;
        };
        let Some(email) = session.user.clone() else {
            return Gate::NotLoggedIn;
        };
        if expire_after.is_some_and(|limit| session.requests >= limit) {
            self.sessions.remove(id);
            return Gate::Expired;
        }
        session.requests += 1;
        Gate::Allowed {
            email,
            csrf: session.csrf.clone(),
        }
    }
}

/// The session id carried by the request's cookies, if any.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value for a session id.
pub(crate) fn session_cookie(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax")
}

/// 32 random hex characters (128 bits), for session ids and CSRF tokens.
fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_expires_once_and_a_new_login_gets_a_fresh_one() {
        let mut store = SessionStore::default();
        let id = store.log_in(None, "a@example.com");
        assert!(matches!(
            store.authorize(Some(&id), Some(2)),
            Gate::Allowed { .. }
        ));
        assert!(matches!(
            store.authorize(Some(&id), Some(2)),
            Gate::Allowed { .. }
        ));
        assert!(matches!(store.authorize(Some(&id), Some(2)), Gate::Expired));
        assert!(matches!(
            store.authorize(Some(&id), Some(2)),
            Gate::NotLoggedIn
        ));
        let again = store.log_in(Some(&id), "a@example.com");
        assert_ne!(again, id);
        assert!(matches!(
            store.authorize(Some(&again), Some(2)),
            Gate::Allowed { .. }
        ));
    }

    #[test]
    fn anonymous_sessions_are_not_logged_in() {
        let mut store = SessionStore::default();
        let (id, csrf, created) = store.ensure(None);
        assert!(created);
        assert_eq!(store.csrf(Some(&id)), Some(csrf.as_str()));
        assert!(matches!(
            store.authorize(Some(&id), None),
            Gate::NotLoggedIn
        ));
        let (same, _, created) = store.ensure(Some(&id));
        assert_eq!(same, id);
        assert!(!created);
    }

    #[test]
    fn reads_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "XSRF-TOKEN=x; laravel_session=abc; other=1"
                .parse()
                .unwrap(),
        );
        assert_eq!(session_id(&headers).as_deref(), Some("abc"));
    }
}
