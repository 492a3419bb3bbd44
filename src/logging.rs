//! Tracing setup: human-readable or JSON logs on stderr (or any writer), filtered by `RUST_LOG`
//! (or Lambda's `AWS_LAMBDA_LOG_LEVEL`). Colour codes only on a terminal.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

/// Logs to stderr: JSON lines when `json`, else readable text, coloured only when stderr is a
/// terminal.
pub fn init_stderr(json: bool) {
    init_with(std::io::stderr, json, !json && std::io::stderr().is_terminal());
}

/// Installs the global subscriber writing to `writer`. `json` switches to one JSON object per
/// line. The filter comes from `RUST_LOG`, defaulting to `info` with chromiumoxide's own noise
/// ("WS Invalid message") at `error`. chromiumoxide's connection log is always off whatever
/// `RUST_LOG` says: at trace level it prints raw DevTools messages, which carry what the login
/// form is filled with. Calling it twice is harmless.
pub fn init<W>(writer: W, json: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    init_with(writer, json, false)
}

fn init_with<W>(writer: W, json: bool, ansi: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .ok()
        .or_else(|| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .ok()
                .and_then(|level| EnvFilter::try_new(format!("{},chromiumoxide=error", level.to_lowercase())).ok())
        })
        .unwrap_or_else(|| EnvFilter::new("info,chromiumoxide=error"))
        .add_directive("chromiumoxide::conn=off".parse().expect("static directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
