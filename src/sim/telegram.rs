//! A loopback fake of the Telegram Bot API (`sendMessage`, `sendPhoto`, `sendDocument`,
//! `getMe`): records what it receives, checks it as Telegram would (token, HTML parse mode,
//! length limits, photo dimensions) and can answer 429 or 500. Tests and `demo` start it on
//! port 0 ([`TelegramSim::start`]); users run it with `exportsync sim telegram`.

mod form;
pub mod html;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::report::summary::{MAX_CAPTION_LEN, MAX_MESSAGE_LEN, telegram_len};
use crate::report::telegram::png_size;

use super::server::LoopbackServer;

/// What the fake starts with.
#[derive(Clone, Debug, Default)]
pub struct TelegramSimOptions {
    /// The bot token it accepts; others get 401.
    pub token: String,
    /// Answer the first N requests with 429 and `parameters.retry_after`.
    pub fail_429: u32,
    /// The `retry_after` (seconds) of those 429 answers.
    pub retry_after: u64,
    /// Answer the next N requests (after any 429s) with 500.
    pub fail_500: u32,
}

/// A `sendMessage` the fake accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMessage {
    pub chat_id: String,
    /// As sent (HTML source in HTML parse mode).
    pub text: String,
    pub parse_mode: Option<String>,
    /// What a reader sees: the text after entity parsing.
    pub plain: String,
}

/// A `sendPhoto` (or `sendDocument`) the fake accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentPhoto {
    pub chat_id: String,
    /// As sent.
    pub caption: String,
    pub bytes: Vec<u8>,
    /// `sendDocument` rather than `sendPhoto`.
    pub as_document: bool,
    pub file_name: Option<String>,
}

/// Everything accepted, in order, for watchers ([`TelegramSim::subscribe`]).
#[derive(Clone, Debug)]
pub enum Received {
    Message(SentMessage),
    Photo(SentPhoto),
}

/// One answer given, for tests that check timing (when the 429 came, when the retry did).
#[derive(Clone, Copy, Debug)]
pub struct Answered {
    pub status: u16,
    pub at: std::time::Instant,
}

struct Shared {
    token: String,
    retry_after: u64,
    state: Mutex<SimState>,
    received: tokio::sync::broadcast::Sender<Received>,
}

#[derive(Default)]
struct SimState {
    fail_429: u32,
    fail_500: u32,
    down: bool,
    messages: Vec<SentMessage>,
    photos: Vec<SentPhoto>,
    answers: Vec<Answered>,
}

/// A running fake; dropped or [`TelegramSim::shutdown`] stops it.
pub struct TelegramSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: LoopbackServer,
}

impl TelegramSim {
    /// Starts on 127.0.0.1 on a free port.
    pub async fn start(options: TelegramSimOptions) -> std::io::Result<TelegramSim> {
        TelegramSim::start_on(0, options).await
    }

    /// Starts on 127.0.0.1:`port` (0 picks a free one).
    pub async fn start_on(port: u16, options: TelegramSimOptions) -> std::io::Result<TelegramSim> {
        let listener = super::server::bind(port).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            token: options.token,
            retry_after: options.retry_after,
            state: Mutex::new(SimState {
                fail_429: options.fail_429,
                fail_500: options.fail_500,
                ..SimState::default()
            }),
            received: tokio::sync::broadcast::channel(256).0,
        });
        let app = Router::new()
            .route("/{bot}/{method}", axum::routing::any(handle))
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(shared.clone());
        let server = LoopbackServer::serve("telegram fake", listener, app)?;
        Ok(TelegramSim {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`, the value for `TELEGRAM_API_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn messages(&self) -> Vec<SentMessage> {
        self.state().messages.clone()
    }

    /// Photos and documents, in the order received.
    pub fn photos(&self) -> Vec<SentPhoto> {
        self.state().photos.clone()
    }

    /// Every answer given (including refusals), in order.
    pub fn answers(&self) -> Vec<Answered> {
        self.state().answers.clone()
    }

    /// `true`: every request is answered 500 until set back.
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// Queues more 429 (then 500) answers for the next requests.
    pub fn fail_next(&self, fail_429: u32, fail_500: u32) {
        let mut state = self.state();
        state.fail_429 += fail_429;
        state.fail_500 += fail_500;
    }

    /// Everything accepted from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Received> {
        self.shared.received.subscribe()
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.shared.state.lock().expect("telegram fake lock")
    }
}

fn answer(shared: &Shared, status: StatusCode, body: Value) -> Response {
    shared
        .state
        .lock()
        .expect("telegram fake lock")
        .answers
        .push(Answered {
            status: status.as_u16(),
            at: std::time::Instant::now(),
        });
    (status, axum::Json(body)).into_response()
}

fn refuse(shared: &Shared, status: StatusCode, description: &str) -> Response {
    let body = json!({ "ok": false, "error_code": status.as_u16(), "description": description });
    answer(shared, status, body)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(token) = bot.strip_prefix("bot") else {
        return refuse(&shared, StatusCode::NOT_FOUND, "Not Found");
    };
    if token != shared.token {
        return refuse(&shared, StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    {
        let mut state = shared.state.lock().expect("telegram fake lock");
        let fault = if state.down {
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        } else if state.fail_429 > 0 {
            state.fail_429 -= 1;
            Some(StatusCode::TOO_MANY_REQUESTS)
        } else if state.fail_500 > 0 {
            state.fail_500 -= 1;
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        } else {
            None
        };
        drop(state);
        match fault {
            Some(StatusCode::TOO_MANY_REQUESTS) => {
                let retry_after = shared.retry_after;
                let body = json!({
                    "ok": false,
                    "error_code": 429,
                    "description": format!("Too Many Requests: retry after {retry_after}"),
                    "parameters": { "retry_after": retry_after },
                });
                return answer(&shared, StatusCode::TOO_MANY_REQUESTS, body);
            }
            Some(status) => return refuse(&shared, status, "Internal Server Error"),
            None => {}
        }
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fields = match form::read(content_type, &body) {
        Ok(fields) => fields,
        Err(description) => return refuse(&shared, StatusCode::BAD_REQUEST, &description),
    };
    let result = match method.as_str() {
        "getMe" => Ok(json!({
            "id": 1, "is_bot": true, "first_name": "exportsync fake", "username": "exportsync_fake_bot",
        })),
        "sendMessage" => send_message(&shared, &fields),
        "sendPhoto" => send_file(&shared, &fields, false),
        "sendDocument" => send_file(&shared, &fields, true),
        _ => return refuse(&shared, StatusCode::NOT_FOUND, "Not Found"),
    };
    match result {
        Ok(result) => answer(
            &shared,
            StatusCode::OK,
            json!({ "ok": true, "result": result }),
        ),
        Err(description) => refuse(&shared, StatusCode::BAD_REQUEST, &description),
    }
}

type Fields = HashMap<String, form::Field>;

fn chat_id(fields: &Fields) -> Result<String, String> {
    match fields.get("chat_id").map(form::Field::text) {
        Some(id) if !id.trim().is_empty() => Ok(id),
        _ => Err("Bad Request: chat_id is empty".to_owned()),
    }
}

/// The text a reader sees, checked like Telegram checks `parse_mode`.
fn parsed(text: &str, parse_mode: Option<&str>) -> Result<String, String> {
    match parse_mode {
        None | Some("") => Ok(text.to_owned()),
        Some(mode) if mode.eq_ignore_ascii_case("html") => html::parse(text),
        Some(other) => Err(format!("Bad Request: unsupported parse_mode \"{other}\"")),
    }
}

fn message_result(chat_id: &str) -> Value {
    let id = chat_id
        .parse::<i64>()
        .map_or_else(|_| json!(chat_id), |n| json!(n));
    json!({
        "message_id": 1,
        "date": chrono::Utc::now().timestamp(),
        "chat": { "id": id, "type": "private" },
    })
}

fn send_message(shared: &Shared, fields: &Fields) -> Result<Value, String> {
    let chat_id = chat_id(fields)?;
    let text = fields
        .get("text")
        .map(form::Field::text)
        .unwrap_or_default();
    let parse_mode = fields.get("parse_mode").map(form::Field::text);
    let plain = parsed(&text, parse_mode.as_deref())?;
    if plain.trim().is_empty() {
        return Err("Bad Request: message text is empty".to_owned());
    }
    if telegram_len(&plain) > MAX_MESSAGE_LEN {
        return Err("Bad Request: message is too long".to_owned());
    }
    let sent = SentMessage {
        chat_id: chat_id.clone(),
        text,
        parse_mode,
        plain: plain.clone(),
    };
    let mut state = shared.state.lock().expect("telegram fake lock");
    state.messages.push(sent.clone());
    let mut result = message_result(&chat_id);
    result["message_id"] = json!(state.messages.len() + state.photos.len());
    drop(state);
    let _ = shared.received.send(Received::Message(sent));
    result["text"] = json!(plain);
    Ok(result)
}

fn send_file(shared: &Shared, fields: &Fields, as_document: bool) -> Result<Value, String> {
    let chat_id = chat_id(fields)?;
    let field = if as_document { "document" } else { "photo" };
    let file = fields
        .get(field)
        .filter(|f| f.file_name.is_some())
        .ok_or_else(|| format!("Bad Request: there is no {field} in the request"))?;
    let caption = fields
        .get("caption")
        .map(form::Field::text)
        .unwrap_or_default();
    let parse_mode = fields.get("parse_mode").map(form::Field::text);
    let plain_caption = parsed(&caption, parse_mode.as_deref())?;
    if telegram_len(&plain_caption) > MAX_CAPTION_LEN {
        return Err("Bad Request: message caption is too long".to_owned());
    }
    let mut media = json!({ "file_id": "fake-file", "file_size": file.value.len() });
    if as_document {
        if file.value.len() > 50 * 1024 * 1024 {
            return Err("Bad Request: file is too big".to_owned());
        }
        media["file_name"] = json!(file.file_name);
    } else {
        if file.value.len() > 10 * 1024 * 1024 {
            return Err("Bad Request: PHOTO_SAVE_FILE_INVALID".to_owned());
        }
        let (w, h) =
            png_size(&file.value).ok_or_else(|| "Bad Request: IMAGE_PROCESS_FAILED".to_owned())?;
        let (w64, h64) = (u64::from(w), u64::from(h));
        if w == 0 || h == 0 || w64 + h64 > 10_000 || w64.max(h64) > 20 * w64.min(h64) {
            return Err("Bad Request: PHOTO_INVALID_DIMENSIONS".to_owned());
        }
        media["width"] = json!(w);
        media["height"] = json!(h);
    }
    let sent = SentPhoto {
        chat_id: chat_id.clone(),
        caption,
        bytes: file.value.clone(),
        as_document,
        file_name: file.file_name.clone(),
    };
    let mut state = shared.state.lock().expect("telegram fake lock");
    state.photos.push(sent.clone());
    let mut result = message_result(&chat_id);
    result["message_id"] = json!(state.messages.len() + state.photos.len());
    drop(state);
    let _ = shared.received.send(Received::Photo(sent));
    result["caption"] = json!(plain_caption);
    result[field] = if as_document { media } else { json!([media]) };
    Ok(result)
}
