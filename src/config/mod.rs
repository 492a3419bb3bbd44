//! The export definitions file (`exports.toml`): the backend, the login form, the browser and
//! one `[[export]]` per page to download. Loading validates everything and reports every
//! problem at once, each naming the file, the export and the field.

mod export_rules;
mod model;
mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use export_rules::parse_date_format;
pub use model::*;
pub use validate::{Place, Problem, check_base_url};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin} is not valid ({} problem{}):\n{}", problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
    #[error("{origin}: export \"{name}\" (given to {given_to}): no such export; known exports: {}", known.join(", "))]
    UnknownExport {
        origin: String,
        name: String,
        /// The flag or field the name came from.
        given_to: &'static str,
        known: Vec<String>,
    },
    #[error("{origin}: export \"{name}\": field \"enabled\": the export is disabled; {why}")]
    Disabled {
        origin: String,
        name: String,
        why: String,
    },
}

impl Config {
    /// Reads and validates a configuration file; errors name it as given.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_str(&text, &path.display().to_string())
    }

    /// Validates configuration text; `origin` names it in messages (usually the file name).
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        validate::validate(origin, text).map_err(|problems| ConfigError::Invalid {
            origin: origin.to_owned(),
            problems,
        })
    }

    /// The exports to run: the enabled ones when `only` is empty, else exactly those named
    /// (in the file's order). Unknown or disabled names are errors.
    /// The export called `name`; `given_to` says where the name came from, for the error.
    pub fn export_named(
        &self,
        name: &str,
        given_to: &'static str,
    ) -> Result<&ExportConfig, ConfigError> {
        self.exports
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| ConfigError::UnknownExport {
                origin: self.origin.clone(),
                name: name.to_owned(),
                given_to,
                known: self.exports.iter().map(|e| e.name.clone()).collect(),
            })
    }

    pub fn select(&self, only: &[String]) -> Result<Vec<&ExportConfig>, ConfigError> {
        if only.is_empty() {
            return Ok(self.exports.iter().filter(|e| e.enabled).collect());
        }
        for name in only {
            let e = self.export_named(name, "--only")?;
            if !e.enabled {
                let mut missing = Vec::new();
                if e.page.is_none() {
                    missing.push("page");
                }
                if e.spreadsheet_id.is_none() {
                    missing.push("spreadsheet_id");
                }
                let why = if missing.is_empty() {
                    "set enabled = true to run it".to_owned()
                } else {
                    format!(
                        "it has no {} yet; fill them in and set enabled = true",
                        missing.join(" and ")
                    )
                };
                return Err(ConfigError::Disabled {
                    origin: self.origin.clone(),
                    name: name.clone(),
                    why,
                });
            }
        }
        Ok(self
            .exports
            .iter()
            .filter(|e| only.contains(&e.name))
            .collect())
    }

    /// The base URL: `--backend-url`, then the file, then the secrets document.
    pub fn base_url(&self, cli: Option<&str>, secrets: Option<&str>) -> Option<String> {
        cli.map(str::to_owned)
            .or_else(|| self.backend.base_url.clone())
            .or_else(|| secrets.map(str::to_owned))
            .map(|u| u.trim_end_matches('/').to_owned())
    }
}
