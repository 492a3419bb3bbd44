//! Tracing setup: human-readable or JSON logs on stderr (or any writer), filtered by `RUST_LOG`.

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

/// Installs the global subscriber writing to `writer`. `json` switches to one JSON object per
/// line. The filter comes from `RUST_LOG`, defaulting to `info` with chromiumoxide's own noise
/// ("WS Invalid message") at `error`. chromiumoxide's connection log is always off whatever
/// `RUST_LOG` says: at trace level it prints raw DevTools messages, which carry what the login
/// form is filled with. Calling it twice is harmless.
pub fn init<W>(writer: W, json: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,chromiumoxide=error"))
        .add_directive("chromiumoxide::conn=off".parse().expect("static directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
