//! Tracing setup: human-readable or JSON logs on stderr (or any writer), filtered by `RUST_LOG`
//! (or Lambda's `AWS_LAMBDA_LOG_LEVEL`). Colour codes only on a terminal.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

/// Logs to stderr: JSON lines when `json`, else readable text, coloured only when stderr is a
/// terminal.
pub fn init_stderr(json: bool) {
    init_with(
        std::io::stderr,
        json,
        !json && std::io::stderr().is_terminal(),
    );
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

/// Libraries that print what goes over the wire at debug or trace level: DevTools messages
/// (the login form's POST body, with the password), HTTP bodies (the secret's value, tokens),
/// signing material. They are capped whatever `RUST_LOG` asks, so that no secret can reach a
/// log; exportsync's own debug and trace output stays available.
const WIRE_LEVEL_CAPS: [&str; 15] = [
    "chromiumoxide=error",
    "tungstenite=info",
    "async_tungstenite=info",
    "chromiumoxide::conn=off",
    "aws_smithy_runtime=info",
    "aws_smithy_runtime_api=info",
    "aws_smithy_http_client=info",
    "aws_sigv4=info",
    "aws_config=info",
    "hyper=info",
    "hyper_util=info",
    "h2=info",
    "reqwest=info",
    "rustls=info",
    "yup_oauth2=info",
];

fn init_with<W>(writer: W, json: bool, ansi: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let mut filter = EnvFilter::try_from_default_env()
        .ok()
        .or_else(|| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .ok()
                .and_then(|level| EnvFilter::try_new(level.to_lowercase()).ok())
        })
        .unwrap_or_else(|| EnvFilter::new("info"));
    for directive in WIRE_LEVEL_CAPS {
        filter = filter.add_directive(directive.parse().expect("static directive"));
    }
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
