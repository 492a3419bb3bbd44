//! Retrying Sheets API calls: 429, 5xx, timeouts and connection failures are retried with
//! exponential backoff and jitter (`min(initial * 2^n + random(0..=half of that), max)`),
//! a server's `Retry-After` is honoured exactly, every attempt has its own timeout, and no
//! wait may cross the caller's deadline. Generic over the call, so it is tested with
//! `tokio::time::pause()` and scripted failures.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How hard to try one call.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// The first backoff; doubled for each further retry.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// The limit for one attempt. Above Google's own 180 s processing limit, so that when an
    /// attempt times out Google has already finished or abandoned it (a write that is still
    /// running could otherwise land after the client re-read the tab).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(32),
            max_attempts: 8,
            request_timeout: Duration::from_secs(190),
        }
    }
}

/// What went wrong with one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// 429: quota; retried.
    Quota,
    /// 5xx; retried.
    Server,
    /// The attempt exceeded its timeout; retried.
    Timeout,
    /// The connection failed; retried.
    Connection,
    /// The OAuth token endpoint refused the key: not retried (a wrong key stays wrong). An
    /// unreachable or garbled token endpoint is a `Connection` failure instead.
    Auth,
    /// Anything else (400, 403, 404...): not retried.
    Permanent,
}

#[derive(Clone, Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
    pub message: String,
}

impl Failure {
    /// Classifies an HTTP status answer.
    pub fn from_status(status: u16, retry_after: Option<Duration>, message: String) -> Failure {
        let kind = match status {
            429 => FailureKind::Quota,
            500..=599 => FailureKind::Server,
            _ => FailureKind::Permanent,
        };
        Failure {
            kind,
            status: Some(status),
            retry_after,
            message,
        }
    }

    /// A timeout or a broken connection: the request may have been carried out, or may still
    /// be. The upsert then reads the tab again rather than resending a write it knows nothing
    /// about (its writes are safe to resend, but a fresh plan also repairs anything else).
    pub fn is_ambiguous(&self) -> bool {
        matches!(self.kind, FailureKind::Timeout | FailureKind::Connection)
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            FailureKind::Quota
                | FailureKind::Server
                | FailureKind::Timeout
                | FailureKind::Connection
        )
    }
}

/// Why [`retry`] stopped.
#[derive(Debug)]
pub enum GiveUp {
    /// A failure that retrying cannot fix.
    Permanent(Failure),
    /// Retryable failures until the attempts or the deadline ran out.
    Exhausted {
        attempts: u32,
        waited: Duration,
        last: Failure,
    },
}

/// Runs `attempt` until it succeeds, fails permanently, or retrying is no longer allowed by
/// `policy` and `deadline`. Returns the value and the number of attempts made.
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    deadline: Instant,
    attempt: F,
) -> Result<(T, u32), GiveUp>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    retry_with(policy, deadline, true, attempt).await
}

/// [`retry`], except that with `retry_ambiguous` false an [ambiguous](Failure::is_ambiguous)
/// failure is returned at once as [`GiveUp::Permanent`]: the caller must find out what
/// landed before writing again.
pub async fn retry_with<T, F, Fut>(
    policy: &RetryPolicy,
    deadline: Instant,
    retry_ambiguous: bool,
    mut attempt: F,
) -> Result<(T, u32), GiveUp>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let limit = policy.request_timeout.min(remaining);
        let failure = match tokio::time::timeout(limit, attempt()).await {
            Ok(Ok(value)) => return Ok((value, attempts)),
            Ok(Err(failure)) => failure,
            Err(_) => Failure {
                kind: FailureKind::Timeout,
                status: None,
                retry_after: None,
                message: format!("no answer within {limit:?}"),
            },
        };
        if !failure.is_retryable() || (!retry_ambiguous && failure.is_ambiguous()) {
            return Err(GiveUp::Permanent(failure));
        }
        let delay = failure
            .retry_after
            .unwrap_or_else(|| backoff(policy, attempts - 1));
        let exhausted = || GiveUp::Exhausted {
            attempts,
            waited: started.elapsed(),
            last: failure.clone(),
        };
        if attempts >= policy.max_attempts || !fits_before(delay, deadline) {
            return Err(exhausted());
        }
        tracing::warn!(
            attempt = attempts,
            status = failure.status,
            delay_ms = delay.as_millis() as u64,
            reason = %failure.message,
            "Sheets API call failed, retrying"
        );
        tokio::time::sleep(delay).await;
    }
}

/// Whether waiting `delay` from now still ends before `deadline`. Never overflows: a huge
/// `Retry-After` (`u64::MAX` seconds) simply does not fit.
pub fn fits_before(delay: Duration, deadline: Instant) -> bool {
    delay < deadline.saturating_duration_since(Instant::now())
}

/// The wait before retry number `n` (0-based): exponential, capped, with up to 50% jitter.
pub fn backoff(policy: &RetryPolicy, n: u32) -> Duration {
    let base = policy
        .initial_backoff
        .saturating_mul(2u32.saturating_pow(n.min(20)))
        .min(policy.max_backoff);
    let jitter_ms = rand::random_range(0..=base.as_millis() as u64 / 2);
    (base + Duration::from_millis(jitter_ms)).min(policy.max_backoff)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_attempts: 6,
            request_timeout: Duration::from_secs(10),
        }
    }

    /// Plays `script` (None = success) and records when each attempt started.
    async fn run_script(
        script: Vec<Option<Failure>>,
        deadline: Duration,
    ) -> (Result<(usize, u32), GiveUp>, Vec<Duration>) {
        let start = Instant::now();
        let seen = Mutex::new(Vec::new());
        let script = Mutex::new(script.into_iter());
        let result = retry(&policy(), start + deadline, || async {
            seen.lock().unwrap().push(start.elapsed());
            match script.lock().unwrap().next().flatten() {
                None => Ok(7usize),
                Some(f) => Err(f),
            }
        })
        .await;
        (result, seen.into_inner().unwrap())
    }

    fn status(code: u16, retry_after: Option<u64>) -> Option<Failure> {
        Some(Failure::from_status(
            code,
            retry_after.map(Duration::from_secs),
            "x".into(),
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn three_429_then_success_with_growing_jittered_backoff() {
        let (result, at) = run_script(
            vec![
                status(429, None),
                status(429, None),
                status(503, None),
                None,
            ],
            Duration::from_secs(300),
        )
        .await;
        assert_eq!(result.unwrap(), (7, 4));
        let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
        for (n, gap) in gaps.iter().enumerate() {
            let base = Duration::from_secs(1 << n);
            assert!(*gap >= base && *gap <= base * 3 / 2, "retry {n}: {gap:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_exactly() {
        let (result, at) =
            run_script(vec![status(429, Some(7)), None], Duration::from_secs(60)).await;
        assert!(result.is_ok());
        assert_eq!(at[1] - at[0], Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_are_not_retried() {
        let (result, at) = run_script(vec![status(403, None), None], Duration::from_secs(60)).await;
        assert!(matches!(result, Err(GiveUp::Permanent(f)) if f.status == Some(403)));
        assert_eq!(at.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn no_wait_crosses_the_deadline() {
        let (result, at) =
            run_script(vec![status(429, Some(50)); 3], Duration::from_secs(60)).await;
        match result {
            Err(GiveUp::Exhausted { attempts, last, .. }) => {
                assert_eq!((attempts, last.kind), (2, FailureKind::Quota));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(at, [Duration::ZERO, Duration::from_secs(50)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_attempt_times_out_and_is_retried() {
        let start = Instant::now();
        let calls = Mutex::new(0);
        let result = retry(&policy(), start + Duration::from_secs(100), || async {
            let n = {
                let mut c = calls.lock().unwrap();
                *c += 1;
                *c
            };
            if n == 1 {
                std::future::pending::<()>().await;
            }
            Ok::<_, Failure>(n)
        })
        .await;
        assert_eq!(result.unwrap(), (2, 2));
        assert!(
            start.elapsed() >= Duration::from_secs(11),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ambiguous_failures_are_not_resent_when_the_caller_says_so() {
        let start = Instant::now();
        let calls = Mutex::new(0);
        let result = retry_with(
            &policy(),
            start + Duration::from_secs(100),
            false,
            || async {
                *calls.lock().unwrap() += 1;
                std::future::pending::<Result<(), Failure>>().await
            },
        )
        .await;
        assert!(
            matches!(result, Err(GiveUp::Permanent(ref f)) if f.kind == FailureKind::Timeout),
            "{result:?}"
        );
        assert_eq!(*calls.lock().unwrap(), 1);
        // A 5xx is still retried: the batch was refused, not carried out.
        let calls = Mutex::new(0);
        let result = retry_with(
            &policy(),
            start + Duration::from_secs(100),
            false,
            || async {
                let mut n = calls.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    Err(Failure::from_status(503, None, "x".into()))
                } else {
                    Ok(*n)
                }
            },
        )
        .await;
        assert_eq!(result.unwrap(), (2, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_beyond_any_clock_gives_up_without_panicking() {
        let (result, at) = run_script(
            vec![status(429, Some(u64::MAX)), None],
            Duration::from_secs(60),
        )
        .await;
        assert!(
            matches!(result, Err(GiveUp::Exhausted { attempts: 1, .. })),
            "{result:?}"
        );
        assert_eq!(at.len(), 1);
        assert!(!fits_before(Duration::MAX, Instant::now()));
        assert!(fits_before(
            Duration::ZERO,
            Instant::now() + Duration::from_secs(1)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded() {
        let (result, at) =
            run_script(vec![status(500, Some(1)); 10], Duration::from_secs(600)).await;
        assert!(matches!(result, Err(GiveUp::Exhausted { attempts: 6, .. })));
        assert_eq!(at.len(), 6);
    }
}
