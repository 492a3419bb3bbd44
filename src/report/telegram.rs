//! Sends the run's Telegram summary through the Bot API (reqwest): the summary messages, then
//! one screenshot per failed export. Never fails the run: [`TelegramClient::send_report`]
//! returns a [`TelegramOutcome`]. The bot token lives in the URL path
//! (`{base}/bot<token>/<method>`), so no URL is ever logged and every error is built without it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::model::{ExportReport, ExportStatus, RunReport, TelegramOutcome, TelegramStatus};
pub use super::summary::{
    MAX_CAPTION_LEN, MAX_MESSAGE_LEN, render_caption, render_shared_caption, render_summary,
};
use crate::config::Notify;
use crate::secrets::{Secret, TelegramSecrets};
use crate::text::error_chain;

/// Points the client at another Bot API server (a local one, or a test fake).
pub const BASE_URL_ENV: &str = "TELEGRAM_API_BASE_URL";
pub const DEFAULT_BASE_URL: &str = "https://api.telegram.org";

/// Longest wait for one request (further bounded by the run's deadline).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts per request when Telegram cannot be reached or answers 5xx.
const MAX_ATTEMPTS: u32 = 3;
/// Backoff after the first unreachable/5xx attempt; doubled after each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// 429 answers honoured per request before giving up.
const MAX_RATE_LIMITS: u32 = 5;
/// `sendPhoto` limits: 10 MB, width + height <= 10,000, aspect ratio <= 20. Larger or odder
/// screenshots (full-page ones) go as a document instead.
const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
const MAX_PHOTO_SIDES: u32 = 10_000;
const MAX_PHOTO_RATIO: u32 = 20;

/// Whether a run's summary goes out under `[telegram] notify`: `failures` sends only when an
/// export is not ok (failed or skipped).
pub fn should_notify(notify: Notify, report: &RunReport) -> bool {
    match notify {
        Notify::Always => true,
        Notify::Failures => report.exports.iter().any(|e| e.status != ExportStatus::Ok),
    }
}

/// Why one Bot API call failed. No variant carries a URL or the token.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error(
        "Telegram {method}: cannot reach {host}: {detail}; check the network, or TELEGRAM_API_BASE_URL if it is set"
    )]
    Unreachable {
        method: &'static str,
        host: String,
        detail: String,
    },
    #[error(
        "Telegram {method}: the bot token was refused ({code} {description}); check `telegram.bot_token` in the secrets (the token BotFather gave)"
    )]
    BadToken {
        method: &'static str,
        code: u16,
        description: String,
    },
    #[error("Telegram {method}: refused ({code} {description}); {remedy}")]
    Refused {
        method: &'static str,
        code: u16,
        description: String,
        remedy: &'static str,
    },
    #[error(
        "Telegram {method}: server error {code} ({description}), attempt {attempts} of {MAX_ATTEMPTS}"
    )]
    Server {
        method: &'static str,
        code: u16,
        description: String,
        attempts: u32,
    },
    #[error(
        "Telegram {method}: rate limited (429), asked to wait {retry_after} s, which would pass the run's deadline; gave up"
    )]
    RateLimitedPastDeadline {
        method: &'static str,
        retry_after: u64,
    },
    #[error("Telegram {method}: still rate limited (429) after {attempts} waits; gave up")]
    RateLimited { method: &'static str, attempts: u32 },
    #[error("Telegram {method}: the run's deadline arrived before it could be sent")]
    Deadline { method: &'static str },
}

impl TelegramError {
    /// Errors after which the next call would fail the same way (Telegram down, token wrong,
    /// no time left): the rest of the report is not attempted.
    fn stops_the_rest(&self) -> bool {
        !matches!(self, TelegramError::Refused { .. })
    }
}

/// The Bot API's answer envelope.
#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<AnswerParameters>,
}

#[derive(Debug, Default, Deserialize)]
struct AnswerParameters {
    retry_after: Option<u64>,
}

/// A Bot API client for one bot and one chat. Cheap to clone; build it once per container.
#[derive(Clone)]
pub struct TelegramClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    token: Secret<String>,
    chat_id: String,
}

impl fmt::Debug for TelegramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramClient")
            .field("base_url", &self.inner.base_url)
            .field("token", &self.inner.token)
            .field("chat_id", &self.inner.chat_id)
            .finish()
    }
}

/// What one request's body is; rebuilt for every attempt (a multipart form is used up).
enum Body<'a> {
    Json(serde_json::Value),
    File {
        field: &'static str,
        file_name: String,
        bytes: &'a [u8],
        caption: String,
    },
}

impl TelegramClient {
    /// `base_url` None: [`BASE_URL_ENV`] when set and not empty, else Telegram's.
    pub fn new(secrets: &TelegramSecrets, base_url: Option<String>, http: reqwest::Client) -> Self {
        let base_url = base_url
            .or_else(|| std::env::var(BASE_URL_ENV).ok())
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
            .trim()
            .trim_end_matches('/')
            .to_owned();
        TelegramClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                token: secrets.bot_token.clone(),
                chat_id: secrets.chat_id.clone(),
            }),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends the summary (split under 4096 chars) and each distinct screenshot of the failed
    /// exports once (caption = the first one's one-line error and the others' names, <= 1024
    /// chars; a refused login gives every export the same one). Never fails: the outcome says
    /// how it went. Honours 429 `parameters.retry_after` but never waits past `deadline`.
    pub async fn send_report(&self, report: &RunReport, deadline: Instant) -> TelegramOutcome {
        let mut outcome = TelegramOutcome {
            status: TelegramStatus::Sent,
            messages: 0,
            photos: 0,
            error: None,
        };
        let mut first_error: Option<TelegramError> = None;
        for text in render_summary(report) {
            match self.send_message(&text, deadline).await {
                Ok(()) => outcome.messages += 1,
                Err(e) => {
                    first_error = Some(e);
                    break;
                }
            }
        }
        if first_error.is_none() {
            for (export, also) in distinct_screenshots(report) {
                match self.send_screenshot(export, &also, deadline).await {
                    Ok(()) => outcome.photos += 1,
                    Err(e) => {
                        let stop = e.stops_the_rest();
                        tracing::warn!(export = %export.name, error = %self.redact(&e.to_string()), "telegram: screenshot not sent");
                        first_error.get_or_insert(e);
                        if stop {
                            break;
                        }
                    }
                }
            }
        }
        if let Some(e) = first_error {
            let error = self.redact(&e.to_string());
            tracing::warn!(
                messages = outcome.messages,
                photos = outcome.photos,
                error = %error,
                "telegram summary not fully delivered; the run is not failed for it"
            );
            outcome.status = TelegramStatus::Failed;
            outcome.error = Some(error);
        } else {
            tracing::info!(
                messages = outcome.messages,
                photos = outcome.photos,
                "telegram summary sent"
            );
        }
        outcome
    }

    /// One `sendMessage` in HTML parse mode, link previews off.
    pub async fn send_message(&self, html: &str, deadline: Instant) -> Result<(), TelegramError> {
        let body = serde_json::json!({
            "chat_id": self.inner.chat_id,
            "text": html,
            "parse_mode": "HTML",
            "link_preview_options": { "is_disabled": true },
        });
        self.call("sendMessage", &Body::Json(body), deadline).await
    }

    /// A failed export's screenshot as a photo (or a document when Telegram would refuse it
    /// as a photo) captioned with its error.
    async fn send_screenshot(
        &self,
        export: &ExportReport,
        also: &[&str],
        deadline: Instant,
    ) -> Result<(), TelegramError> {
        let png = export.screenshot.as_ref().map_or(&[][..], |s| &s.png[..]);
        let as_photo = png.len() <= MAX_PHOTO_BYTES
            && png_size(png).is_some_and(|(w, h)| {
                let (w, h) = (u64::from(w), u64::from(h));
                w > 0
                    && h > 0
                    && w + h <= u64::from(MAX_PHOTO_SIDES)
                    && w.max(h) <= u64::from(MAX_PHOTO_RATIO) * w.min(h)
            });
        let (method, field) = if as_photo {
            ("sendPhoto", "photo")
        } else {
            ("sendDocument", "document")
        };
        let file_name = format!(
            "{}.png",
            export
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                })
                .take(60)
                .collect::<String>()
        );
        let body = Body::File {
            field,
            file_name,
            bytes: png,
            caption: render_shared_caption(export, also),
        };
        self.call(method, &body, deadline).await
    }

    /// One Bot API call with its retries: unreachable or 5xx up to [`MAX_ATTEMPTS`] with
    /// backoff, 429 after `retry_after`; never past `deadline`.
    async fn call(
        &self,
        method: &'static str,
        body: &Body<'_>,
        deadline: Instant,
    ) -> Result<(), TelegramError> {
        let url = format!(
            "{}/bot{}/{method}",
            self.inner.base_url,
            self.inner.token.expose()
        );
        let mut failures = 0u32;
        let mut rate_limits = 0u32;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(TelegramError::Deadline { method });
            }
            let timeout = REQUEST_TIMEOUT.min(deadline - now);
            let request = self.inner.http.post(&url).timeout(timeout);
            let request = match body {
                Body::Json(json) => request.json(json),
                Body::File {
                    field,
                    file_name,
                    bytes,
                    caption,
                } => {
                    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                        .file_name(file_name.clone())
                        .mime_str("image/png")
                        .expect("static mime type");
                    let form = reqwest::multipart::Form::new()
                        .text("chat_id", self.inner.chat_id.clone())
                        .text("caption", caption.clone())
                        .text("parse_mode", "HTML")
                        .part(*field, part);
                    request.multipart(form)
                }
            };
            let retryable = match request.send().await {
                Err(e) => TelegramError::Unreachable {
                    method,
                    host: self.host(),
                    detail: self.redact(&error_chain(&e.without_url())),
                },
                Ok(response) => {
                    let code = response.status().as_u16();
                    let answer = match response.bytes().await {
                        Ok(bytes) => serde_json::from_slice::<Answer>(&bytes).unwrap_or_default(),
                        Err(e) => {
                            tracing::debug!(method, code, error = %self.redact(&error_chain(&e.without_url())), "telegram: answer body unreadable");
                            Answer::default()
                        }
                    };
                    let description =
                        self.redact(answer.description.as_deref().unwrap_or("no description"));
                    if (200..300).contains(&code) && answer.ok {
                        tracing::debug!(method, "telegram: sent");
                        return Ok(());
                    }
                    match code {
                        429 => {
                            let retry_after =
                                answer.parameters.and_then(|p| p.retry_after).unwrap_or(1);
                            let wait = Duration::from_secs(retry_after);
                            // A huge `retry_after` must not overflow the instant.
                            if Instant::now()
                                .checked_add(wait)
                                .is_none_or(|until| until >= deadline)
                            {
                                return Err(TelegramError::RateLimitedPastDeadline {
                                    method,
                                    retry_after,
                                });
                            }
                            rate_limits += 1;
                            if rate_limits > MAX_RATE_LIMITS {
                                return Err(TelegramError::RateLimited {
                                    method,
                                    attempts: MAX_RATE_LIMITS,
                                });
                            }
                            tracing::warn!(
                                method,
                                retry_after,
                                "telegram: rate limited (429); waiting as asked"
                            );
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        401 | 404 => {
                            return Err(TelegramError::BadToken {
                                method,
                                code,
                                description,
                            });
                        }
                        500..=599 => TelegramError::Server {
                            method,
                            code,
                            description,
                            attempts: failures + 1,
                        },
                        200..=299 => TelegramError::Server {
                            method,
                            code,
                            description: "an answer that is not {\"ok\": true}".to_owned(),
                            attempts: failures + 1,
                        },
                        _ => {
                            let remedy = match code {
                                400 => {
                                    "check `telegram.chat_id` in the secrets (a chat the bot is in)"
                                }
                                403 => {
                                    "add the bot to the chat (or unblock it) and check `telegram.chat_id`"
                                }
                                _ => "check the bot's settings and `telegram.chat_id`",
                            };
                            return Err(TelegramError::Refused {
                                method,
                                code,
                                description,
                                remedy,
                            });
                        }
                    }
                }
            };
            failures += 1;
            let backoff = FIRST_BACKOFF * 2u32.pow(failures - 1);
            if failures >= MAX_ATTEMPTS || Instant::now() + backoff >= deadline {
                return Err(match retryable {
                    TelegramError::Server {
                        method,
                        code,
                        description,
                        ..
                    } => TelegramError::Server {
                        method,
                        code,
                        description,
                        attempts: failures,
                    },
                    other => other,
                });
            }
            tracing::warn!(
                method,
                attempt = failures,
                backoff_ms = backoff.as_millis() as u64,
                error = %retryable,
                "telegram: request failed; retrying"
            );
            tokio::time::sleep(backoff).await;
        }
    }

    /// The base URL's host and port, for errors (never the path, which holds the token).
    fn host(&self) -> String {
        let rest = self
            .inner
            .base_url
            .split_once("://")
            .map_or(self.inner.base_url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_owned()
    }

    /// Belt and braces: no text leaves this module with the token in it.
    fn redact(&self, text: &str) -> String {
        let token = self.inner.token.expose();
        if token.is_empty() {
            text.to_owned()
        } else {
            text.replace(token.as_str(), "[redacted]")
        }
    }
}

/// The failed exports' screenshots, each distinct one once: the first export that has it and
/// the names of the others that have the same.
fn distinct_screenshots(report: &RunReport) -> Vec<(&ExportReport, Vec<&str>)> {
    let mut distinct: Vec<(&ExportReport, Vec<&str>)> = Vec::new();
    let failed = report.exports.iter().filter(|e| {
        e.status == ExportStatus::Failed && e.screenshot.as_ref().is_some_and(|s| !s.png.is_empty())
    });
    for export in failed {
        let png = export.screenshot.as_ref().map(|s| &s.png);
        match distinct
            .iter_mut()
            .find(|(first, _)| first.screenshot.as_ref().map(|s| &s.png) == png)
        {
            Some((_, also)) => also.push(&export.name),
            None => distinct.push((export, Vec::new())),
        }
    }
    distinct
}

/// Width and height from a PNG's IHDR chunk.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 24 || &png[..8] != SIGNATURE || &png[12..16] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let height = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((width, height))
}
