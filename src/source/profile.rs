//! The directories of one browser session: a private folder (profile, downloads, HOME) deleted
//! afterwards, the profile's preferences that make Chromium download PDFs instead of showing
//! them in its viewer, and Chromium's own TMPDIR, kept short whatever the system's temporary
//! directory is: Chromium puts its `SingletonSocket` under `$TMPDIR/org.chromium.Chromium.XXXXXX/`,
//! and a Unix socket path holds at most 107 bytes (macOS gives every user a `TMPDIR` of about
//! 50 characters, under which the session folder's own `tmp` is far too long).

use std::path::{Path, PathBuf};

/// The profile preferences written before launch. `always_open_pdf_externally` turns a PDF that
/// the server sends inline (`Content-Disposition: inline`, laravel-dompdf's `stream()`), in the
/// same tab or a new one, into a normal download with the server's file name; without it
/// headless Chromium shows the PDF in its viewer and no download event ever fires.
const PREFERENCES: &str =
    r#"{"plugins":{"always_open_pdf_externally":true},"download":{"prompt_for_download":false}}"#;

/// What Chromium appends to its TMPDIR for its singleton socket.
const SOCKET_TAIL: &str = "/org.chromium.Chromium.XXXXXX/SingletonSocket";
/// The longest TMPDIR (bytes) under which that socket path fits in `sun_path` (108 bytes with
/// its terminating NUL).
pub const MAX_CHROMIUM_TMPDIR: usize = 107 - SOCKET_TAIL.len();
/// Where a short TMPDIR is made when the session folder's is too long: the one directory every
/// Unix (and Lambda) has, with a short name.
const SHORT_BASE: &str = "/tmp";

/// The folders of one session. Dropping it deletes them (without reaping: see
/// [`super::launch`]).
pub struct SessionDirs {
    /// The session folder: `profile/`, `downloads/`, `home/` and, when short enough, `tmp/`.
    pub root: tempfile::TempDir,
    pub profile: PathBuf,
    pub downloads: PathBuf,
    pub home: PathBuf,
    /// Chromium's TMPDIR: `root/tmp`, or `short` when that path is too long.
    pub tmp: PathBuf,
    /// A private `/tmp/esx-XXXXXX` (mode 0700) used as Chromium's TMPDIR when `root/tmp` is too
    /// long for its socket; deleted with the session.
    pub short: Option<tempfile::TempDir>,
}

impl SessionDirs {
    /// Creates the session folder under `temp_root` (the system's temporary directory when
    /// `None`), its subfolders and the profile's preferences.
    pub fn create(temp_root: Option<&Path>) -> Result<SessionDirs, String> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("exportsync-");
        let root = match temp_root {
            Some(dir) => builder.tempdir_in(dir),
            None => builder.tempdir(),
        }
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let profile = root.path().join("profile");
        let downloads = root.path().join("downloads");
        let home = root.path().join("home");
        let own_tmp = root.path().join("tmp");
        let (tmp, short) = if own_tmp.as_os_str().len() <= MAX_CHROMIUM_TMPDIR {
            (own_tmp, None)
        } else {
            let short = short_tmp(Path::new(SHORT_BASE)).map_err(|e| {
                format!(
                    "{} is too long for Chromium's socket ({} bytes, at most {MAX_CHROMIUM_TMPDIR}) \
                     and no short directory could be made in {SHORT_BASE}: {e}",
                    own_tmp.display(),
                    own_tmp.as_os_str().len()
                )
            })?;
            (short.path().to_owned(), Some(short))
        };
        for dir in [&profile, &downloads, &home, &tmp] {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        write_preferences(&profile)
            .map_err(|e| format!("cannot write the profile's preferences: {e}"))?;
        Ok(SessionDirs {
            root,
            profile,
            downloads,
            home,
            tmp,
            short,
        })
    }

    /// Deletes the folders; a failure is logged, not returned.
    pub fn remove(self) {
        for dir in [Some(self.root), self.short].into_iter().flatten() {
            let path = dir.path().to_owned();
            if let Err(e) = dir.close() {
                tracing::warn!(dir = %path.display(), error = %e, "cannot delete the browser's temporary directory");
            }
        }
    }
}

/// A new private directory `esx-XXXXXX` in `base`, readable by this user only.
fn short_tmp(base: &Path) -> std::io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("esx-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(base)?;
    // The umask may have cleared bits, never added any; say so explicitly anyway.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// Writes `Default/Preferences` in a fresh profile.
fn write_preferences(profile: &Path) -> std::io::Result<()> {
    let default = profile.join("Default");
    std::fs::create_dir_all(&default)?;
    std::fs::write(default.join("Preferences"), PREFERENCES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_tail_leaves_room_for_a_62_byte_tmpdir() {
        assert_eq!(MAX_CHROMIUM_TMPDIR, 62);
    }

    #[test]
    fn preferences_are_json_that_opens_pdfs_externally() {
        let prefs: serde_json::Value = serde_json::from_str(PREFERENCES).unwrap();
        assert_eq!(prefs["plugins"]["always_open_pdf_externally"], true);
    }

    #[test]
    fn a_long_root_gets_a_short_private_tmp_that_is_deleted_with_the_session() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let long = base.path().join("x".repeat(70));
        std::fs::create_dir_all(&long).unwrap();
        let dirs = SessionDirs::create(Some(&long)).unwrap();
        assert!(dirs.tmp.starts_with(SHORT_BASE), "{}", dirs.tmp.display());
        assert!(dirs.tmp.as_os_str().len() <= MAX_CHROMIUM_TMPDIR);
        let mode = std::fs::metadata(&dirs.tmp).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(dirs.profile.join("Default/Preferences").is_file());
        let (root, tmp) = (dirs.root.path().to_owned(), dirs.tmp.clone());
        dirs.remove();
        assert!(!root.exists() && !tmp.exists());

        let short = SessionDirs::create(Some(Path::new("/tmp"))).unwrap();
        assert!(short.short.is_none(), "a short root keeps its own tmp");
        assert_eq!(short.tmp, short.root.path().join("tmp"));
        short.remove();
    }
}
