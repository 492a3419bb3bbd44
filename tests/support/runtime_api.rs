//! A loopback Lambda Runtime API (what Lambda and the Runtime Interface Emulator serve to a
//! function's runtime): `GET /2018-06-01/runtime/invocation/next` hands out queued events with
//! the `Lambda-Runtime-*` headers, deadline included; `POST .../{id}/response` and
//! `.../{id}/error` complete them; `POST .../init/error` records an init failure.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{Notify, oneshot};

/// How an invocation ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    Response(Value),
    /// The `Lambda-Runtime-Function-Error-Type` header and the error body.
    Error {
        error_type: String,
        body: Value,
    },
    /// The runtime broke the protocol (an error post without its header): the test fails at
    /// once with this, instead of an assertion inside the server's handler (which would only
    /// leave the invocation unanswered).
    Protocol(String),
}

impl Outcome {
    pub fn response(&self) -> &Value {
        match self {
            Outcome::Response(v) => v,
            Outcome::Error { error_type, body } => {
                panic!("expected a response, got error {error_type}: {body}")
            }
            Outcome::Protocol(why) => panic!("the runtime broke the protocol: {why}"),
        }
    }
    pub fn error(&self) -> (&str, &Value) {
        match self {
            Outcome::Error { error_type, body } => (error_type, body),
            Outcome::Response(v) => panic!("expected a function error, got response {v}"),
            Outcome::Protocol(why) => panic!("the runtime broke the protocol: {why}"),
        }
    }
}

struct Pending {
    id: String,
    event: Value,
    deadline_ms: u64,
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Pending>,
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    next_calls: usize,
    init_error: Option<Value>,
}

#[derive(Clone, Default)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    queued: Arc<Notify>,
}

pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Shared,
    counter: Mutex<u32>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let shared = Shared::default();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        RuntimeApi {
            addr,
            shared,
            counter: Mutex::new(0),
            server,
        }
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// How many times the runtime asked for the next invocation (it asks once more after each
    /// completed one, so `n` completed invocations and a waiting runtime show `n + 1`).
    pub fn next_calls(&self) -> usize {
        self.shared.inner.lock().unwrap().next_calls
    }

    pub fn init_error(&self) -> Option<Value> {
        self.shared.inner.lock().unwrap().init_error.clone()
    }

    /// Queues `event` with `budget` until its deadline and waits (at most `wait`) for the
    /// function's answer.
    pub async fn invoke(&self, event: Value, budget: Duration, wait: Duration) -> Outcome {
        let id = {
            let mut n = self.counter.lock().unwrap();
            *n += 1;
            format!("req-{:04}-8f0e1d2c", *n)
        };
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = self.shared.inner.lock().unwrap();
            inner.waiting.insert(id.clone(), tx);
            inner.queue.push_back(Pending {
                id: id.clone(),
                event,
                deadline_ms: now_ms + budget.as_millis() as u64,
            });
        }
        self.shared.queued.notify_waiters();
        self.shared.queued.notify_one();
        tokio::time::timeout(wait, rx)
            .await
            .unwrap_or_else(|_| panic!("no answer to invocation {id} within {wait:?}"))
            .expect("invocation answered")
    }

    pub fn shutdown(self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Shared>) -> Response {
    shared.inner.lock().unwrap().next_calls += 1;
    loop {
        let notified = shared.queued.notified();
        if let Some(p) = shared.inner.lock().unwrap().queue.pop_front() {
            let mut headers = HeaderMap::new();
            headers.insert(
                "Lambda-Runtime-Aws-Request-Id",
                HeaderValue::from_str(&p.id).unwrap(),
            );
            headers.insert(
                "Lambda-Runtime-Deadline-Ms",
                HeaderValue::from_str(&p.deadline_ms.to_string()).unwrap(),
            );
            headers.insert(
                "Lambda-Runtime-Invoked-Function-Arn",
                HeaderValue::from_static(
                    "arn:aws:lambda:ap-southeast-1:123456789012:function:exportsync",
                ),
            );
            headers.insert(
                "Lambda-Runtime-Trace-Id",
                HeaderValue::from_static(
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
                ),
            );
            return (StatusCode::OK, headers, p.event.to_string()).into_response();
        }
        notified.await;
    }
}

async fn response(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    complete(&shared, &id, Outcome::Response(value))
}

async fn error(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let body: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    // lambda_runtime puts "unhandled" in the header and the real type in the body.
    if !headers.contains_key("Lambda-Runtime-Function-Error-Type") {
        complete(
            &shared,
            &id,
            Outcome::Protocol(format!(
                "an error post without Lambda-Runtime-Function-Error-Type: {body}"
            )),
        );
        return StatusCode::BAD_REQUEST;
    }
    let error_type = body
        .get("errorType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    complete(&shared, &id, Outcome::Error { error_type, body })
}

async fn init_error(State(shared): State<Shared>, body: Bytes) -> StatusCode {
    shared.inner.lock().unwrap().init_error =
        Some(serde_json::from_slice(&body).unwrap_or(Value::Null));
    StatusCode::ACCEPTED
}

fn complete(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    match shared.inner.lock().unwrap().waiting.remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::NOT_FOUND,
    }
}
