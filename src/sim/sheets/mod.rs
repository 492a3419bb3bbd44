//! A stateful loopback emulator of the Google Sheets API v4 and of Google's OAuth token
//! endpoint, wire-compatible with google-sheets4 7 and yup-oauth2 12: tests and `demo` start it
//! on port 0 ([`SheetsSim::start`]), users run it with `exportsync sim sheets`.
//!
//! - `auth`: service-account keys, the `/token` JWT grant, bearer tokens.
//! - `a1`: A1 range notation. `render`: how values read back.
//! - `model`: spreadsheets as pure data. `requests`: batchUpdate, all or nothing; `wire`: its
//!   JSON bodies and field masks.
//! - `resources`: the Spreadsheet and ValueRange JSON answers.
//! - `faults`: injected errors and request counts. `routes`: the HTTP layer.

mod a1;
mod auth;
mod error;
mod faults;
mod model;
mod render;
mod requests;
mod resources;
mod routes;
mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;

pub use auth::SIM_CLIENT_EMAIL;
pub use faults::{Fault, FaultTiming, RequestCounts, RequestKind};
pub use model::{MAX_CELLS_PER_SPREADSHEET, SpreadsheetState, TabState};

use model::Workbook;
use routes::{Entry, Shared};

use super::server::LoopbackServer;

/// What a simulator starts with.
#[derive(Clone, Debug, Default)]
pub struct SheetsSimOptions {
    /// Ids of spreadsheets that exist from the start, each empty with one tab `Sheet1`
    /// (sheetId 0) of 1000 x 26.
    pub spreadsheets: Vec<String>,
}

/// A running simulator; dropped or [`SheetsSim::shutdown`] stops it.
pub struct SheetsSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: LoopbackServer,
}

impl SheetsSim {
    /// Starts on 127.0.0.1 on a free port.
    pub async fn start(options: SheetsSimOptions) -> std::io::Result<SheetsSim> {
        SheetsSim::start_on(0, options).await
    }

    /// Starts on 127.0.0.1:`port` (0 picks a free one).
    pub async fn start_on(port: u16, options: SheetsSimOptions) -> std::io::Result<SheetsSim> {
        let listener = super::server::bind(port).await?;
        let addr = listener.local_addr()?;
        let books = options
            .spreadsheets
            .iter()
            .map(|id| (id.clone(), new_entry(id)))
            .collect::<HashMap<_, _>>();
        let shared = Arc::new(Shared {
            base_url: format!("http://{addr}/"),
            token_uri: format!("http://{addr}/token"),
            authority: auth::Authority::default(),
            books: Mutex::new(books),
            faults: Mutex::default(),
            counts: Mutex::default(),
            latency: Mutex::default(),
            latency_by_kind: Mutex::default(),
            late_write_answers: Mutex::default(),
        });
        let app = routes::router(shared.clone());
        let server = LoopbackServer::serve("sheets emulator", listener, app)?;
        Ok(SheetsSim {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT/`, with the trailing slash google-sheets4's `base_url` needs.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/token`.
    pub fn token_uri(&self) -> String {
        self.shared.token_uri.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A fresh service-account key (2048-bit RSA, PKCS#8 PEM) whose `token_uri` points here;
    /// JWTs signed with it are accepted by `/token`, others are refused.
    pub fn service_account_key(&self) -> yup_oauth2::ServiceAccountKey {
        self.shared.authority.issue_key(&self.shared.token_uri)
    }

    /// Adds an empty spreadsheet (one tab `Sheet1`); an existing one is left as it is.
    pub fn add_spreadsheet(&self, id: &str) {
        self.books()
            .entry(id.to_string())
            .or_insert_with(|| new_entry(id));
    }

    /// Makes `id` answer 403 PERMISSION_DENIED, as when it is not shared with the account.
    pub fn deny_access(&self, id: &str) {
        self.books()
            .entry(id.to_string())
            .or_insert_with(|| new_entry(id))
            .denied = true;
    }

    /// Replaces the contents of tab `tab` (created if missing; the spreadsheet too) with
    /// `rows`: strings, numbers, booleans; null is an empty cell.
    pub fn set_rows(&self, id: &str, tab: &str, rows: Vec<Vec<serde_json::Value>>) {
        self.books()
            .entry(id.to_string())
            .or_insert_with(|| new_entry(id))
            .workbook
            .set_rows(tab, rows);
    }

    pub fn state(&self, id: &str) -> Option<SpreadsheetState> {
        self.books().get(id).map(|e| e.workbook.snapshot())
    }

    /// Queues a fault; matching requests consume queued faults in order.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.lock().expect("faults lock").push(fault);
    }

    /// Fault answers still queued.
    pub fn pending_faults(&self) -> usize {
        self.shared.faults.lock().expect("faults lock").pending()
    }

    /// Delay added before serving every request (a request is carried out after it).
    pub fn set_latency(&self, delay: Duration) {
        *self.shared.latency.lock().expect("latency lock") = delay;
    }

    /// Delay before serving requests of `kind`, instead of the [`set_latency`] one; `None`
    /// goes back to it.
    ///
    /// [`set_latency`]: SheetsSim::set_latency
    pub fn set_latency_for(&self, kind: RequestKind, delay: Option<Duration>) {
        let mut by_kind = self.shared.latency_by_kind.lock().expect("latency lock");
        match delay {
            Some(delay) => by_kind.insert(kind, delay),
            None => by_kind.remove(&kind),
        };
    }

    /// The next `n` batchUpdates that succeed are applied, then answered `delay` late (a client
    /// whose timeout is shorter sees a timeout for a write that landed).
    pub fn answer_writes_late(&self, n: usize, delay: Duration) {
        *self
            .shared
            .late_write_answers
            .lock()
            .expect("late answers lock") = (n, delay);
    }

    pub fn counts(&self) -> RequestCounts {
        self.shared.counts.lock().expect("counts lock").clone()
    }

    pub fn reset_counts(&self) {
        *self.shared.counts.lock().expect("counts lock") = RequestCounts::default();
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    fn books(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.shared.books.lock().expect("books lock")
    }
}

fn new_entry(id: &str) -> Entry {
    Entry {
        workbook: Workbook::new(id),
        denied: false,
    }
}

#[derive(Debug, clap::Args)]
pub struct SheetsArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A spreadsheet id to serve, empty with one tab `Sheet1` (repeatable).
    #[arg(long = "spreadsheet", value_name = "ID")]
    pub spreadsheets: Vec<String>,
    /// Answer the first N API requests with 429 RESOURCE_EXHAUSTED (Retry-After: 1).
    #[arg(long, value_name = "N")]
    pub fail_429: Option<usize>,
    /// Answer the first N API requests (after any 429s) with 500 INTERNAL.
    #[arg(long, value_name = "N")]
    pub fail_500: Option<usize>,
    /// Delay every answer by this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Write a service-account key JSON for this simulator to FILE (mode 0600), usable as the
    /// `google` section of a secrets file for `exportsync upsert`.
    #[arg(long, value_name = "FILE")]
    pub key_out: Option<PathBuf>,
    /// Write a secrets document `{"google": KEY}` for this simulator to FILE (mode 0600), ready
    /// for `exportsync upsert --secrets-file FILE`.
    #[arg(long, value_name = "FILE")]
    pub secrets_out: Option<PathBuf>,
}

/// `exportsync sim sheets`: serve until Ctrl-C.
pub async fn run_cli(args: SheetsArgs) -> anyhow::Result<()> {
    let options = SheetsSimOptions {
        spreadsheets: args.spreadsheets.clone(),
    };
    let sim = SheetsSim::start_on(args.port, options)
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    for (status, count) in [(429, args.fail_429), (500, args.fail_500)] {
        if let Some(times) = count.filter(|&n| n > 0) {
            sim.inject(Fault {
                retry_after: (status == 429).then_some(1),
                ..Fault::new(None, status, times)
            });
        }
    }
    if let Some(ms) = args.latency_ms {
        sim.set_latency(Duration::from_millis(ms));
    }
    if args.key_out.is_some() || args.secrets_out.is_some() {
        let key = sim.service_account_key();
        if let Some(path) = &args.key_out {
            write_private_json(path, &serde_json::to_value(&key)?)?;
            println!("service-account key:  {}", path.display());
        }
        if let Some(path) = &args.secrets_out {
            write_private_json(path, &serde_json::json!({ "google": key }))?;
            println!("secrets file:         {}", path.display());
        }
    }
    println!("Sheets API simulator: {}", sim.base_url());
    println!("token endpoint:       {}", sim.token_uri());
    println!("service account:      {SIM_CLIENT_EMAIL}");
    if args.spreadsheets.is_empty() {
        println!("no spreadsheets: pass --spreadsheet ID to serve one");
    }
    for id in &args.spreadsheets {
        println!("spreadsheet:          {id}");
    }
    println!(
        "state: GET {}_sim/spreadsheets/ID, counts: GET {}_sim/counts",
        sim.base_url(),
        sim.base_url()
    );
    println!(
        "use it with SHEETS_API_BASE_URL={}; Ctrl-C stops",
        sim.base_url()
    );
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}

/// Writes JSON holding a private key, readable only by the owner.
fn write_private_json(path: &std::path::Path, value: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write as _;
    let json = serde_json::to_string_pretty(value).context("cannot encode the key as JSON")?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(json.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
