//! The outside clients a run uses, built once per process (a Lambda container, a CLI command)
//! and reused by every run in it: the HTTP client (Telegram), and the Sheets client, rebuilt
//! only when the Google key changes (a rotated key) or after it was refused.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::secrets::GoogleSecrets;
use crate::sheet::{SheetClient, SheetClientOptions, SheetError};
use crate::store::RunStore;

/// Where the outside services are; `None` means the environment variable, then the real one.
#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    /// The Sheets API root (`SHEETS_API_BASE_URL`).
    pub sheets: Option<String>,
    /// The Telegram Bot API root (`TELEGRAM_API_BASE_URL`).
    pub telegram: Option<String>,
}

/// Clients shared by the runs of one process.
pub struct Services {
    pub endpoints: Endpoints,
    pub http: reqwest::Client,
    /// The run store (`None`: off). Runs keep their files and reports in it; replays and
    /// `history` read it.
    pub store: Option<RunStore>,
    /// The Sheets client and the fingerprint of the key it was built from.
    sheets: Mutex<Option<(u64, Arc<SheetClient>)>>,
}

impl Services {
    pub fn new(endpoints: Endpoints) -> Result<Services, reqwest::Error> {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("exportsync/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Services {
            endpoints,
            http,
            store: None,
            sheets: Mutex::new(None),
        })
    }

    /// The same services with `store` as the run store.
    pub fn with_store(mut self, store: Option<RunStore>) -> Services {
        self.store = store;
        self
    }

    /// The Sheets client for `google`, built on first use and whenever the key changes.
    pub async fn sheet_client(
        &self,
        google: &GoogleSecrets,
    ) -> Result<Arc<SheetClient>, SheetError> {
        let fingerprint = fingerprint(google);
        let mut slot = self.sheets.lock().await;
        if let Some((fp, client)) = slot.as_ref()
            && *fp == fingerprint
        {
            return Ok(client.clone());
        }
        let client = Arc::new(
            SheetClient::new(
                google,
                SheetClientOptions {
                    base_url: self.endpoints.sheets.clone(),
                    ..SheetClientOptions::default()
                },
            )
            .await?,
        );
        *slot = Some((fingerprint, client.clone()));
        Ok(client)
    }

    /// Drops the cached Sheets client (after Google refused its key).
    pub async fn forget_sheet_client(&self) {
        *self.sheets.lock().await = None;
    }
}

/// A hash of the whole key, so a rotated key builds a new client; the key itself is not kept.
fn fingerprint(google: &GoogleSecrets) -> u64 {
    let key = google.key();
    let mut h = DefaultHasher::new();
    key.client_email.hash(&mut h);
    key.private_key.hash(&mut h);
    key.token_uri.hash(&mut h);
    key.private_key_id.hash(&mut h);
    h.finish()
}
