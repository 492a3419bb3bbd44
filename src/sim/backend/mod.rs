//! A loopback simulator of the backend admin panel (Laravel-style): login with CSRF and a
//! session cookie, a dashboard, the four export pages of the seed backend (`exports.toml`)
//! with their selectors, date formats and download mechanisms, deterministic xlsx and PDF
//! exports ([`ExportFormats`]), and faults on demand. Started by tests ([`BackendSim::start`]) and by `exportsync sim backend` ([`run_cli`]).

mod catalog;
mod data;
mod formats;
mod helvetica;
mod pages;
mod pdf;
mod routes;
mod rows;
mod session;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;

pub use data::{EXPORTS, export_file, export_rows, served_file};
pub use formats::{ExportFormats, ServedFile};

use routes::{Panel, Shared, lock};

use super::server::LoopbackServer;

/// The demo login of the simulator.
pub const DEMO_EMAIL: &str = "demo@example.com";
/// The demo password of the simulator (not a secret: it is printed at start).
pub const DEMO_PASSWORD: &str = "demo-password";

/// What the simulator accepts and how much data it serves.
#[derive(Clone)]
pub struct BackendOptions {
    pub email: String,
    pub password: String,
    /// Rows generated per day per export (coin payments use 1 or 2, never more than this).
    pub rows_per_day: usize,
    /// Which exports answer PDFs ([`ExportFormats::DEFAULT`] unless set).
    pub formats: ExportFormats,
    pub faults: Faults,
}

impl Default for BackendOptions {
    fn default() -> Self {
        BackendOptions {
            email: DEMO_EMAIL.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            rows_per_day: 5,
            formats: ExportFormats::DEFAULT,
            faults: Faults::default(),
        }
    }
}

impl fmt::Debug for BackendOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendOptions")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("rows_per_day", &self.rows_per_day)
            .field("formats", &self.formats)
            .field("faults", &self.faults)
            .finish()
    }
}

/// Ways the simulator can misbehave; changeable at run time with [`BackendSim::set_faults`].
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Every login fails as a wrong password.
    pub reject_all_logins: bool,
    /// After N authenticated page/export requests the session is dropped (the next request
    /// redirects to /login); a new login gets a fresh budget of N.
    pub expire_session_after: Option<usize>,
    /// `expire_session_after` drops at most this many sessions; later ones never expire.
    pub expire_at_most: Option<usize>,
    /// An export request without a logged-in session is answered with this status (419
    /// "Page Expired", as Laravel's CSRF check answers a form POST; 401 as its auth answers a
    /// script's request) instead of a redirect to /login.
    pub expired_status: Option<u16>,
    /// That export waits this long before answering the download.
    pub slow_export: Option<(String, Duration)>,
    /// Each named export waits this long before answering the download, as a server that
    /// generates the file does (added to `slow_export`'s delay).
    pub export_delay: BTreeMap<String, Duration>,
    /// Every download is offered under this file name (panels that call every file
    /// `export.xlsx`) instead of its own (`<export>_<start>_<end>.xlsx`, `users.pdf`, ...).
    pub fixed_file_name: Option<String>,
    /// That export answers HTTP 500 with an error page.
    pub fail_export: Option<String>,
    /// That export's button is rendered without any handler: clicking it does nothing.
    pub dead_button: Option<String>,
    /// (export, column, new name): that export's file heads the column with another name, as
    /// a panel whose developers renamed it.
    pub rename_column: Option<(String, String, String)>,
    /// Each named export serves at most this many rows (0: an empty export), as a panel whose
    /// filter broke.
    pub max_rows: BTreeMap<String, usize>,
    /// `(export, text)`: that export's Export button is rendered with this text and another
    /// class (`unduh-data` instead of `expot-pdf`, `btn-outline-*` instead of `btn-success`),
    /// as a panel redesign does, so that the configured selector no longer finds it. The
    /// button still works: its script follows the new class.
    pub rename_button: Option<(String, String)>,
    /// That export's date inputs get other names and ids (`tgl_awal` / `tgl_akhir`, ids
    /// `tgl-awal` / `tgl-akhir`), so that the configured selectors no longer find them. The
    /// page still works: its script and its download follow the new names.
    pub rename_date_inputs: Option<String>,
}

/// A snapshot of what the simulator has served.
#[derive(Clone, Debug, Default)]
pub struct BackendStats {
    /// Every POST /login, whatever its outcome.
    pub login_attempts: usize,
    pub logins_ok: usize,
    /// Every download request that reached an export handler (authenticated), in order.
    pub exports: Vec<ExportRequest>,
    /// Sessions dropped by the `expire_session_after` fault.
    pub sessions_expired: usize,
}

/// One download request as the export handler saw it.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    pub export: String,
    /// The date fields exactly as received.
    pub start_raw: String,
    pub end_raw: String,
    /// The dates parsed in the page's format; `None` when malformed or missing.
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// Data rows in the answered file (0 when no file was answered).
    pub rows: usize,
    pub status: u16,
    /// When the request reached the export handler.
    pub received: std::time::Instant,
}

/// A running simulator on 127.0.0.1. Dropping it stops the server too; [`Self::shutdown`]
/// also waits for it.
pub struct BackendSim {
    addr: SocketAddr,
    shared: Shared,
    server: LoopbackServer,
}

impl BackendSim {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start(options: BackendOptions) -> std::io::Result<BackendSim> {
        BackendSim::start_on(0, options).await
    }

    /// Starts on `port` of 127.0.0.1 (0 picks a free one).
    pub async fn start_on(port: u16, options: BackendOptions) -> std::io::Result<BackendSim> {
        let listener = super::server::bind(port).await?;
        let addr = listener.local_addr()?;
        let shared: Shared = Arc::new(Mutex::new(Panel {
            options,
            sessions: Default::default(),
            stats: BackendStats::default(),
        }));
        let app = routes::router(shared.clone());
        let server = LoopbackServer::serve("simulated backend", listener, app)?;
        tracing::info!(%addr, "simulated backend listening");
        Ok(BackendSim {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the faults; takes effect from the next request.
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared).options.faults = faults;
    }

    pub fn stats(&self) -> BackendStats {
        lock(&self.shared).stats.clone()
    }

    /// Stops accepting, lets in-flight requests finish (at most a few seconds), then returns.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// `exportsync sim backend`: the simulator's options and faults.
#[derive(clap::Args)]
pub struct BackendArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The email the login accepts.
    #[arg(long, default_value = DEMO_EMAIL)]
    pub email: String,
    /// The password the login accepts.
    #[arg(long, default_value = DEMO_PASSWORD)]
    pub password: String,
    /// Rows generated per day per export.
    #[arg(long, default_value_t = 5)]
    pub rows_per_day: usize,
    /// `pdf`: point_transactions, users and coin_payments answer PDFs as the real backend does
    /// (transactions stays xlsx); `xlsx`: every export answers an xlsx.
    #[arg(long, value_enum, default_value_t = ExportFormats::DEFAULT)]
    pub formats: ExportFormats,
    /// Reject every login as a wrong password.
    #[arg(long)]
    pub reject_logins: bool,
    /// Drop each session after N authenticated page/export requests.
    #[arg(long, value_name = "N")]
    pub expire_session_after: Option<usize>,
    /// With --expire-session-after: drop at most N sessions, then let sessions live.
    #[arg(long, value_name = "N")]
    pub expire_at_most: Option<usize>,
    /// Answer an export request of an expired session with this status (419 or 401) instead
    /// of a redirect to /login.
    #[arg(long, value_name = "STATUS", value_parser = parse_expired_status)]
    pub expired_status: Option<u16>,
    /// Answer that export's download only after MS milliseconds.
    #[arg(long, value_name = "NAME=MS", value_parser = parse_slow_export)]
    pub slow_export: Option<(String, Duration)>,
    /// Answer that export's download only after MS milliseconds (repeatable, one per export).
    #[arg(long = "export-delay", value_name = "NAME=MS", value_parser = parse_slow_export)]
    pub export_delay: Vec<(String, Duration)>,
    /// Offer every download under this file name.
    #[arg(long, value_name = "NAME")]
    pub fixed_file_name: Option<String>,
    /// Answer that export's download with HTTP 500.
    #[arg(long, value_name = "NAME", value_parser = parse_export_name)]
    pub fail_export: Option<String>,
    /// Render that export's button without any handler.
    #[arg(long, value_name = "NAME", value_parser = parse_export_name)]
    pub dead_button: Option<String>,
    /// Head that export's column FROM as TO in its files.
    #[arg(long, value_name = "NAME:FROM=TO", value_parser = parse_rename_column)]
    pub rename_column: Option<(String, String, String)>,
    /// Serve at most N rows of that export (repeatable, one per export).
    #[arg(long = "max-rows", value_name = "NAME=N", value_parser = parse_max_rows)]
    pub max_rows: Vec<(String, usize)>,
    /// Render that export's Export button with this text and another class (the configured
    /// selector no longer finds it).
    #[arg(long, value_name = "NAME=TEXT", value_parser = parse_rename_button)]
    pub rename_button: Option<(String, String)>,
    /// Give that export's date inputs other names and ids (the configured selectors no longer
    /// find them).
    #[arg(long, value_name = "NAME", value_parser = parse_export_name)]
    pub rename_date_inputs: Option<String>,
}

impl fmt::Debug for BackendArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendArgs")
            .field("port", &self.port)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("rows_per_day", &self.rows_per_day)
            .field("formats", &self.formats)
            .field("reject_logins", &self.reject_logins)
            .field("expire_session_after", &self.expire_session_after)
            .field("expire_at_most", &self.expire_at_most)
            .field("expired_status", &self.expired_status)
            .field("slow_export", &self.slow_export)
            .field("export_delay", &self.export_delay)
            .field("fixed_file_name", &self.fixed_file_name)
            .field("fail_export", &self.fail_export)
            .field("dead_button", &self.dead_button)
            .field("rename_column", &self.rename_column)
            .field("max_rows", &self.max_rows)
            .field("rename_button", &self.rename_button)
            .field("rename_date_inputs", &self.rename_date_inputs)
            .finish()
    }
}

impl BackendArgs {
    pub fn options(&self) -> BackendOptions {
        BackendOptions {
            email: self.email.clone(),
            password: self.password.clone(),
            rows_per_day: self.rows_per_day,
            formats: self.formats,
            faults: Faults {
                reject_all_logins: self.reject_logins,
                expire_session_after: self.expire_session_after,
                expire_at_most: self.expire_at_most,
                expired_status: self.expired_status,
                slow_export: self.slow_export.clone(),
                export_delay: self.export_delay.iter().cloned().collect(),
                fixed_file_name: self.fixed_file_name.clone(),
                fail_export: self.fail_export.clone(),
                dead_button: self.dead_button.clone(),
                rename_column: self.rename_column.clone(),
                max_rows: self.max_rows.iter().cloned().collect(),
                rename_button: self.rename_button.clone(),
                rename_date_inputs: self.rename_date_inputs.clone(),
            },
        }
    }
}

fn parse_export_name(name: &str) -> Result<String, String> {
    if EXPORTS.contains(&name) {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "unknown export {name:?}; the simulator has {}",
            EXPORTS.join(", ")
        ))
    }
}

fn parse_rename_column(spec: &str) -> Result<(String, String, String), String> {
    let bad = || format!("{spec:?} is not NAME:FROM=TO (for example users:Phone=No HP)");
    let (name, rename) = spec.split_once(':').ok_or_else(bad)?;
    let (from, to) = rename.split_once('=').ok_or_else(bad)?;
    let kind = catalog::ExportKind::from_name(&parse_export_name(name)?).expect("a known export");
    if !kind.header().contains(&from) {
        return Err(format!(
            "{from:?} is not a column of {name}; it has {}",
            kind.header().join(", ")
        ));
    }
    if to.trim().is_empty() {
        return Err(bad());
    }
    Ok((name.to_owned(), from.to_owned(), to.to_owned()))
}

fn parse_max_rows(spec: &str) -> Result<(String, usize), String> {
    let (name, n) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?} is not NAME=N (for example users=0)"))?;
    let n = n
        .parse()
        .map_err(|_| format!("{n:?} in {spec:?} is not a whole number of rows"))?;
    Ok((parse_export_name(name)?, n))
}

fn parse_slow_export(spec: &str) -> Result<(String, Duration), String> {
    let (name, ms) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?} is not NAME=MS (for example users=3000)"))?;
    let name = parse_export_name(name)?;
    let ms: u64 = ms
        .parse()
        .map_err(|_| format!("{ms:?} in {spec:?} is not a whole number of milliseconds"))?;
    Ok((name, Duration::from_millis(ms)))
}

fn parse_rename_button(spec: &str) -> Result<(String, String), String> {
    let (name, text) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?} is not NAME=TEXT (for example users=Unduh Excel)"))?;
    let name = parse_export_name(name)?;
    if text.trim().is_empty() {
        return Err(format!("{spec:?} gives the button no text"));
    }
    Ok((name, text.to_owned()))
}

fn parse_expired_status(status: &str) -> Result<u16, String> {
    match status {
        "419" => Ok(419),
        "401" => Ok(401),
        other => Err(format!(
            "{other:?} is not 419 (Page Expired) or 401 (Unauthorized)"
        )),
    }
}

/// Runs the simulator until Ctrl-C, after printing its URL and demo credentials.
pub async fn run_cli(args: BackendArgs) -> anyhow::Result<()> {
    let options = args.options();
    let sim = BackendSim::start_on(args.port, options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    println!(
        "backend simulator on {}  login: {} / {}",
        sim.base_url(),
        args.email,
        args.password
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| anyhow::anyhow!("cannot wait for Ctrl-C: {e}"))?;
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_export_spec_is_parsed_and_checked() {
        assert_eq!(
            parse_slow_export("users=250"),
            Ok(("users".to_owned(), Duration::from_millis(250)))
        );
        assert!(parse_slow_export("users").unwrap_err().contains("NAME=MS"));
        assert!(
            parse_slow_export("nope=1")
                .unwrap_err()
                .contains("unknown export")
        );
        assert!(
            parse_slow_export("users=soon")
                .unwrap_err()
                .contains("milliseconds")
        );
    }

    #[test]
    fn rename_button_spec_is_parsed_and_checked() {
        assert_eq!(
            parse_rename_button("users=Unduh Excel"),
            Ok(("users".to_owned(), "Unduh Excel".to_owned()))
        );
        assert!(
            parse_rename_button("users")
                .unwrap_err()
                .contains("NAME=TEXT")
        );
        assert!(
            parse_rename_button("users= ")
                .unwrap_err()
                .contains("no text")
        );
        assert!(
            parse_rename_button("nope=x")
                .unwrap_err()
                .contains("unknown export")
        );
    }

    #[test]
    fn renamed_buttons_and_date_inputs_leave_the_configured_selectors_nothing_to_find() {
        use catalog::ExportKind;
        for kind in ExportKind::ALL {
            let button = pages::Button {
                renamed: Some("Unduh <Excel>"),
                ..pages::Button::default()
            };
            let page = pages::export_page(kind, DEMO_EMAIL, "csrf", button, true, None);
            assert!(!page.contains("expot-pdf"), "{}: {page}", kind.name());
            assert!(!page.contains(">Export<"), "{}", kind.name());
            assert!(page.contains("Unduh &lt;Excel&gt;</"), "{}", kind.name());
            assert!(page.contains(pages::RENAMED_CLASS), "{}", kind.name());
            for old in ["filter-start", "name=\"start\"", "name=\"start_date\""] {
                assert!(!page.contains(old), "{}: {old}", kind.name());
            }
            assert!(page.contains("tgl_awal") && page.contains("tgl_akhir"));
        }
    }

    #[test]
    fn expired_status_is_419_or_401() {
        assert_eq!(parse_expired_status("419"), Ok(419));
        assert_eq!(parse_expired_status("401"), Ok(401));
        assert!(parse_expired_status("500").unwrap_err().contains("419"));
    }

    #[test]
    fn debug_output_redacts_the_password() {
        let options = BackendOptions {
            password: "hunter2-secret".into(),
            ..BackendOptions::default()
        };
        assert!(!format!("{options:?}").contains("hunter2-secret"));
    }
}
