//! `--store`, shared by the commands that write or read the run store (`run`, `demo`,
//! `replay`, `history`): the flag or `EXPORTSYNC_STORE`, else the configuration's
//! `[store] url`, else a folder under the user's data directory.

use crate::config::Config;
use crate::store::{RunStore, StoreLocation};

#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Where runs keep their raw files and reports: s3://BUCKET/PREFIX, a folder, or `none`.
    /// Default: [store] url in the configuration, else a folder in the user's data directory.
    #[arg(long, value_name = "URL", env = crate::lambda::STORE_ENV)]
    pub store: Option<String>,
}

impl StoreArgs {
    /// Where the store is, by the rules above.
    pub fn location(&self, config: Option<&Config>) -> anyhow::Result<StoreLocation> {
        if let Some(url) = &self.store {
            let base = std::env::current_dir().unwrap_or_default();
            return StoreLocation::parse(url, &base)
                .map_err(|why| anyhow::anyhow!("--store {why}"));
        }
        Ok(config
            .and_then(|c| c.store.location.clone())
            .unwrap_or_else(StoreLocation::default_local))
    }

    /// The store opened (`None`: off).
    pub fn open(&self, config: Option<&Config>) -> anyhow::Result<Option<RunStore>> {
        Ok(RunStore::open(&self.location(config)?)?)
    }
}
