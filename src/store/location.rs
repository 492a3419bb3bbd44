//! Where the run store lives, parsed from a URL (pure): `s3://bucket/prefix`, a local folder
//! (a path or `file://` URL), or `none`; and the CLI's default, a folder under the user's data
//! directory.

use std::fmt;
use std::path::{Path, PathBuf};

/// A parsed store URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// The store is off: nothing is kept, replay and history have nothing to read.
    Off,
    /// A folder on this machine.
    Local(PathBuf),
    /// A bucket and a key prefix (no leading or trailing slash; may be empty).
    S3 { bucket: String, prefix: String },
}

impl StoreLocation {
    /// Parses `url` as written in `--store`, `EXPORTSYNC_STORE` or `[store] url`. Relative
    /// paths are taken relative to `base` (the configuration file's folder, or the working
    /// directory).
    pub fn parse(url: &str, base: &Path) -> Result<StoreLocation, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("is empty; give s3://BUCKET/PREFIX, a folder, or none".into());
        }
        if url.eq_ignore_ascii_case("none") || url.eq_ignore_ascii_case("off") {
            return Ok(StoreLocation::Off);
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            check_bucket(bucket)?;
            let prefix = prefix.trim_matches('/');
            if prefix.split('/').any(|part| part == "." || part == "..") {
                return Err(format!(
                    "\"{url}\": the prefix may not contain \".\" or \"..\" parts"
                ));
            }
            if prefix.contains("//") {
                return Err(format!("\"{url}\": the prefix has an empty part (\"//\")"));
            }
            return Ok(StoreLocation::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            });
        }
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "\"{url}\": a file URL needs an absolute path (file:///path)"
                ));
            }
            return Ok(StoreLocation::Local(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "\"{url}\": unsupported scheme \"{scheme}\"; give s3://BUCKET/PREFIX, a folder, or none"
            ));
        }
        let path = Path::new(url);
        Ok(StoreLocation::Local(if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        }))
    }

    /// The CLI's default: `<data dir>/exportsync/store` (`~/.local/share/...` on Linux,
    /// `~/Library/Application Support/...` on macOS), or off when the system has no data
    /// directory (no home).
    pub fn default_local() -> StoreLocation {
        match dirs::data_dir() {
            Some(dir) => StoreLocation::Local(dir.join("exportsync").join("store")),
            None => StoreLocation::Off,
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self, StoreLocation::Off)
    }
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Off => f.write_str("none"),
            StoreLocation::Local(path) => write!(f, "{}", path.display()),
            StoreLocation::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            StoreLocation::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// S3's bucket naming rules, enough to catch a typo before the first request.
fn check_bucket(bucket: &str) -> Result<(), String> {
    let ok_chars = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ok_ends = bucket
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && bucket
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if (3..=63).contains(&bucket.len()) && ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "\"s3://{bucket}\": \"{bucket}\" is not a bucket name (3 to 63 lowercase letters, digits, '-' or '.')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<StoreLocation, String> {
        StoreLocation::parse(url, Path::new("/etc/exportsync"))
    }

    #[test]
    fn s3_urls_give_bucket_and_prefix_without_slashes() {
        assert_eq!(
            parse("s3://my-bucket/exportsync/").unwrap(),
            StoreLocation::S3 {
                bucket: "my-bucket".into(),
                prefix: "exportsync".into()
            }
        );
        assert_eq!(
            parse("s3://my-bucket").unwrap(),
            StoreLocation::S3 {
                bucket: "my-bucket".into(),
                prefix: String::new()
            }
        );
        assert_eq!(parse("s3://b-1/a/b").unwrap().to_string(), "s3://b-1/a/b");
    }

    #[test]
    fn folders_none_and_file_urls() {
        assert_eq!(parse("none").unwrap(), StoreLocation::Off);
        assert_eq!(parse(" NONE ").unwrap(), StoreLocation::Off);
        assert_eq!(
            parse("store").unwrap(),
            StoreLocation::Local("/etc/exportsync/store".into())
        );
        assert_eq!(
            parse("/var/lib/x").unwrap(),
            StoreLocation::Local("/var/lib/x".into())
        );
        assert_eq!(
            parse("file:///var/lib/x").unwrap(),
            StoreLocation::Local("/var/lib/x".into())
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, says) in [
            ("", "empty"),
            ("s3://My_Bucket/x", "not a bucket name"),
            ("s3:///x", "not a bucket name"),
            ("s3://bucket/../x", "\"..\""),
            ("s3://bucket/a//b", "empty part"),
            ("gs://bucket/x", "unsupported scheme \"gs\""),
            ("file://relative", "absolute path"),
        ] {
            let err = parse(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }
}
