//! The secrets document from a local JSON file (`--secrets-file`), the command line's source.

use std::path::{Path, PathBuf};

use super::{BackendSecrets, GoogleSecrets, Secrets, SecretsError, TelegramSecrets};

/// "secrets file PATH", the origin named in errors.
pub(super) fn origin(path: &Path) -> String {
    format!("secrets file {}", path.display())
}

/// Reads and checks the file.
pub(super) fn read(path: &Path) -> Result<Secrets, SecretsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretsError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    super::parse(&text, &origin(path))
}

/// Secrets read from a file, remembering where they came from for error messages.
#[derive(Debug)]
pub struct SecretsFile {
    pub path: PathBuf,
    pub secrets: Secrets,
}

impl SecretsFile {
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        Ok(SecretsFile {
            path: path.to_owned(),
            secrets: read(path)?,
        })
    }

    /// "secrets file PATH".
    pub fn origin(&self) -> String {
        origin(&self.path)
    }

    pub fn backend(&self) -> Result<&BackendSecrets, SecretsError> {
        self.secrets.backend(&self.origin())
    }

    pub fn google(&self) -> Result<&GoogleSecrets, SecretsError> {
        self.secrets.google(&self.origin())
    }

    pub fn telegram(&self) -> Option<&TelegramSecrets> {
        self.secrets.telegram()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_cannot_be_read_is_named_with_the_flag_to_fix() {
        let e = SecretsFile::load(Path::new("/nonexistent/s.json"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot read secrets file /nonexistent/s.json: ")
                && e.ends_with("check the path given to --secrets-file"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_section_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{}").unwrap();
        let e = SecretsFile::load(&path)
            .unwrap()
            .backend()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!(
                "secrets file {} has no `backend` section",
                path.display()
            )),
            "{e}"
        );
    }
}
