//! One re-login for all tabs of a session. When the backend drops the session, every tab that
//! is working finds the login page at about the same time; the first to ask logs in again
//! while the others wait, and those then go on with the fresh session instead of logging in
//! once each (which would also replace the session under the first tab's feet).

use std::future::Future;

use tokio::sync::Mutex;

use super::SourceError;

/// Counts the logins of a session: generation 0 is the first login, each re-login adds one.
#[derive(Debug, Default)]
pub struct ReloginGate {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    generation: u64,
    /// A re-login that failed, with the generation it tried to replace: every tab that saw
    /// that generation expire gets the same error instead of trying again.
    failed: Option<(u64, SourceError)>,
}

/// What [`ReloginGate::relogin`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Relogin {
    /// This caller logged in again.
    LoggedIn,
    /// Another tab had already logged in again after the caller's attempt began.
    AlreadyDone,
}

impl ReloginGate {
    /// The current generation; read it before an attempt starts, and give it to
    /// [`Self::relogin`] if the attempt finds the session expired.
    pub async fn generation(&self) -> u64 {
        self.state.lock().await.generation
    }

    /// Called by a tab whose attempt, begun in generation `seen`, found the session expired.
    /// Runs `log_in` unless another tab already logged in again since `seen`; callers that
    /// arrive while a login runs wait for it. A failed login is returned to every caller that
    /// saw the same generation, and is not repeated.
    pub async fn relogin<F, Fut>(&self, seen: u64, log_in: F) -> Result<Relogin, SourceError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), SourceError>>,
    {
        let mut state = self.state.lock().await;
        if state.generation > seen {
            return Ok(Relogin::AlreadyDone);
        }
        if let Some((generation, error)) = &state.failed
            && *generation == seen
        {
            return Err(error.clone());
        }
        match log_in().await {
            Ok(()) => {
                state.generation += 1;
                Ok(Relogin::LoggedIn)
            }
            Err(e) => {
                state.failed = Some((seen, e.clone()));
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tabs_that_find_the_session_expired_together_log_in_once() {
        let gate = Arc::new(ReloginGate::default());
        let logins = Arc::new(AtomicUsize::new(0));
        let seen = gate.generation().await;
        let tabs: Vec<_> = (0..4)
            .map(|_| {
                let (gate, logins) = (gate.clone(), logins.clone());
                tokio::spawn(async move {
                    gate.relogin(seen, || async {
                        logins.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for tab in tabs {
            outcomes.push(tab.await.unwrap().unwrap());
        }
        assert_eq!(logins.load(Ordering::SeqCst), 1);
        assert_eq!(
            outcomes.iter().filter(|o| **o == Relogin::LoggedIn).count(),
            1
        );
        assert_eq!(gate.generation().await, 1);
        // A later expiry of the new session is a new generation: one more login.
        let again = gate.relogin(1, || async { Ok(()) }).await.unwrap();
        assert_eq!(again, Relogin::LoggedIn);
        assert_eq!(gate.generation().await, 2);
    }

    #[tokio::test]
    async fn a_failed_relogin_is_reported_to_every_tab_and_not_repeated() {
        let gate = ReloginGate::default();
        let rejected = SourceError::LoginRejected {
            email: "a@example.com".into(),
            message: "no".into(),
        };
        let first = gate.relogin(0, || async { Err(rejected.clone()) }).await;
        assert_eq!(first, Err(rejected.clone()));
        // Were the login repeated, this second one would answer its own error.
        let other = SourceError::NoBaseUrl {
            config: "must not log in again".into(),
        };
        let second = gate.relogin(0, || async { Err(other) }).await;
        assert_eq!(second, Err(rejected));
        assert_eq!(gate.generation().await, 0);
    }
}
