//! Shared harness for the Lambda tests (included with `#[path] mod` by each test file): every outside
//! service on loopback (the simulated backend, the Sheets emulator, the Telegram fake, the
//! Secrets Manager fake and a Lambda Runtime API), and the real `exportsync` binary started as
//! Lambda starts a function's runtime.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use exportsync::sim::backend::{BackendOptions, BackendSim};
use exportsync::sim::secretsmanager::{SecretsManagerSim, SecretsManagerSimOptions};
use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
use exportsync::sim::telegram::{TelegramSim, TelegramSimOptions};
use serde_json::Value;
use tokio::process::{Child, Command};

pub use crate::runtime_api::{Outcome, RuntimeApi};

pub const SECRET_ID: &str = "exportsync/production";
pub const BOT_TOKEN: &str = "777000111:AAH-bot-token-never-printed-9f8e7d";
pub const CHAT_ID: &str = "-1009876543210";
pub const EXPORTS: [&str; 4] = [
    "transactions",
    "point_transactions",
    "users",
    "coin_payments",
];

pub struct WorldOptions {
    pub backend: BackendOptions,
    /// The secret's JSON text; `None` leaves the secret out of Secrets Manager.
    pub secret: SecretSetup,
    pub rust_log: &'static str,
    /// Extra environment for the function.
    pub env: Vec<(String, String)>,
}

pub enum SecretSetup {
    /// The full document (backend, google as an object, telegram).
    Good,
    /// The full document with `google` as a JSON-encoded string.
    GoogleAsString,
    /// This exact text.
    Text(String),
    Missing,
    Denied,
}

impl Default for WorldOptions {
    fn default() -> Self {
        WorldOptions {
            backend: BackendOptions {
                rows_per_day: 4,
                ..BackendOptions::default()
            },
            secret: SecretSetup::Good,
            rust_log: "info",
            env: Vec::new(),
        }
    }
}

pub struct World {
    pub backend: BackendSim,
    pub sheets: SheetsSim,
    pub telegram: TelegramSim,
    pub secrets: SecretsManagerSim,
    pub api: RuntimeApi,
    pub dir: tempfile::TempDir,
    child: Child,
}

pub struct Logs {
    pub stdout: String,
    pub stderr: String,
}

impl World {
    pub async fn start(options: WorldOptions) -> World {
        let backend = BackendSim::start(options.backend).await.unwrap();
        let config = include_str!("../../examples/sim.toml");
        let spreadsheets = [
            "sim-transactions",
            "sim-point-transactions",
            "sim-users",
            "sim-coin-payments",
        ];
        let sheets = SheetsSim::start(SheetsSimOptions {
            spreadsheets: spreadsheets.iter().map(|s| s.to_string()).collect(),
        })
        .await
        .unwrap();
        let telegram = TelegramSim::start(TelegramSimOptions {
            token: BOT_TOKEN.to_owned(),
            retry_after: 1,
            ..TelegramSimOptions::default()
        })
        .await
        .unwrap();
        let secrets = SecretsManagerSim::start(SecretsManagerSimOptions::default())
            .await
            .unwrap();
        let document = exportsync::sim::secrets_document(&sheets, BOT_TOKEN, CHAT_ID);
        match options.secret {
            SecretSetup::Good => secrets.put(SECRET_ID, document.to_string()),
            SecretSetup::GoogleAsString => {
                let mut d = document.clone();
                d["google"] = Value::String(document["google"].to_string());
                secrets.put(SECRET_ID, d.to_string());
            }
            SecretSetup::Text(text) => secrets.put(SECRET_ID, &text),
            SecretSetup::Missing => {}
            SecretSetup::Denied => {
                secrets.put(SECRET_ID, document.to_string());
                secrets.deny(SECRET_ID);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("exports.toml");
        std::fs::write(
            &config_path,
            config.replace("http://127.0.0.1:8080", &backend.base_url()),
        )
        .unwrap();
        let tmp = dir.path().join("t");
        std::fs::create_dir_all(&tmp).unwrap();
        let api = RuntimeApi::start().await;

        let mut cmd = Command::new(env!("CARGO_BIN_EXE_exportsync"));
        cmd.arg("lambda")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &tmp)
            .env("TMPDIR", &tmp)
            .env("AWS_LAMBDA_RUNTIME_API", api.host())
            .env("AWS_LAMBDA_FUNCTION_NAME", "exportsync")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("RUST_LOG", options.rust_log)
            .env("EXPORTSYNC_CONFIG", &config_path)
            .env("EXPORTSYNC_SECRET_ID", SECRET_ID)
            .env("AWS_REGION", "ap-southeast-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLETESTONLY")
            .env("AWS_SECRET_ACCESS_KEY", "test-only-secret-access-key")
            .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.endpoint_url())
            .env("SHEETS_API_BASE_URL", sheets.base_url())
            .env("TELEGRAM_API_BASE_URL", telegram.base_url())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout.log")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .kill_on_drop(true);
        if let Ok(chromium) = std::env::var("CHROMIUM_PATH") {
            cmd.env("CHROMIUM_PATH", chromium);
        }
        for (k, v) in options.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start the exportsync binary");
        World {
            backend,
            sheets,
            telegram,
            secrets,
            api,
            dir,
            child,
        }
    }

    /// One invocation with Lambda's 900 s budget.
    pub async fn invoke(&self, event: Value) -> Outcome {
        self.invoke_with_budget(event, Duration::from_secs(900))
            .await
    }

    pub async fn invoke_with_budget(&self, event: Value, budget: Duration) -> Outcome {
        self.api
            .invoke(event, budget, Duration::from_secs(240))
            .await
    }

    /// The function's /tmp.
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("t")
    }

    /// Entries left in the function's /tmp.
    pub fn tmp_entries(&self) -> Vec<String> {
        list(&self.tmp())
    }

    /// Data rows in the first tab of a spreadsheet.
    pub fn sheet_rows(&self, id: &str) -> Vec<Vec<Value>> {
        let state = self.sheets.state(id).unwrap();
        state.tabs[0].rows.iter().skip(1).cloned().collect()
    }

    pub fn logs(&self) -> Logs {
        Logs {
            stdout: std::fs::read_to_string(self.dir.path().join("stdout.log")).unwrap_or_default(),
            stderr: std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default(),
        }
    }

    /// Stops the function and every server; returns what the function printed. Between
    /// invocations no Chromium or crashpad process of the function may be left: this is checked
    /// while the function still runs (once it is killed its children are re-parented away).
    pub async fn stop(mut self) -> Logs {
        let mut left = Vec::new();
        if let Some(pid) = self.child.id() {
            // A browser closed at the end of the last run may take a moment to exit.
            for _ in 0..50 {
                left = chromium_descendants_of(pid);
                if left.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let _ = self.child.kill().await;
        let logs = self.logs();
        assert!(left.is_empty(), "processes left behind: {left:?}");
        self.telegram.shutdown().await;
        self.sheets.shutdown().await;
        self.backend.shutdown().await;
        self.secrets.shutdown().await;
        self.api.shutdown();
        logs
    }
}

fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Live Chromium or crashpad processes descending from `pid` (children, grandchildren
/// re-parented to it as a subreaper, and so on), zombies excluded.
pub fn chromium_descendants_of(pid: u32) -> Vec<String> {
    // pid -> (parent, state, command line)
    let mut procs: Vec<(u32, u32, char, String)> = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in rd.flatten() {
        let Ok(id) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{id}/stat")) else {
            continue;
        };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let mut fields = after.split(' ');
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let cmdline = std::fs::read_to_string(format!("/proc/{id}/cmdline")).unwrap_or_default();
        procs.push((id, ppid, state, cmdline.replace('\0', " ")));
    }
    let mut family = vec![pid];
    let mut grew = true;
    while grew {
        grew = false;
        for (id, ppid, _, _) in &procs {
            if family.contains(ppid) && !family.contains(id) {
                family.push(*id);
                grew = true;
            }
        }
    }
    procs
        .iter()
        .filter(|(id, _, state, cmdline)| {
            *id != pid
                && family.contains(id)
                && *state != 'Z'
                && (cmdline.contains("chrom") || cmdline.contains("crashpad"))
        })
        .map(|(id, _, _, cmdline)| format!("{id}: {cmdline}"))
        .collect()
}

/// The export lines of a report, by name.
pub fn export<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["exports"]
        .as_array()
        .expect("exports")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no export {name} in {report}"))
}

/// The report a function error carries in its message is not structured; the tests read the
/// structured report from the response, or the error message.
pub fn error_message(body: &Value) -> String {
    body["errorMessage"].as_str().unwrap_or_default().to_owned()
}
