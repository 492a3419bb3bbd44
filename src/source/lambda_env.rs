//! Chromium inside an AWS Lambda sandbox: recognising one, and the extra flags and environment
//! Chromium needs there (no user namespaces, no `/dev/shm`, `/` read-only, only `/tmp`
//! writable). Applied by [`super::launch`] only when running there; a laptop or CI launch is
//! left as it is.

use std::ffi::OsStr;
use std::path::Path;

use chromiumoxide::browser::BrowserConfigBuilder;

/// Set by Lambda, by `sam local invoke` and by the Runtime Interface Emulator.
pub const FUNCTION_NAME_ENV: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// Why the process is taken to be in a Lambda-like sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sandbox {
    /// `AWS_LAMBDA_FUNCTION_NAME` is set: Lambda itself or one of its emulators.
    Lambda,
    /// There is no `/dev/shm`: a container that, like Lambda, has none.
    NoDevShm,
}

/// The sandbox this process runs in, if any: Lambda when [`FUNCTION_NAME_ENV`] is set and not
/// empty, else a sandbox without `/dev/shm`.
pub fn detect() -> Option<Sandbox> {
    detect_from(
        std::env::var_os(FUNCTION_NAME_ENV).as_deref(),
        Path::new("/dev/shm").is_dir(),
    )
}

/// [`detect`] with its two observations given.
pub fn detect_from(function_name: Option<&OsStr>, dev_shm_exists: bool) -> Option<Sandbox> {
    match function_name {
        Some(name) if !name.is_empty() => Some(Sandbox::Lambda),
        _ if !dev_shm_exists => Some(Sandbox::NoDevShm),
        _ => None,
    }
}

/// Flags for the sandbox, WITHOUT leading dashes (chromiumoxide 0.9.1 adds them; with them a
/// flag is silently ignored).
/// - `no-sandbox`, `disable-setuid-sandbox`: Lambda has no user namespaces and no setuid
///   helper, so Chromium's own sandbox cannot start.
/// - `no-zygote`: the zygote forks renderers through namespaces Lambda lacks (needs
///   `no-sandbox`).
/// - `disable-dev-shm-usage`: shared memory in `/tmp`, as there is no `/dev/shm`.
/// - `disable-gpu`: no GPU, and the image ships no Mesa drivers.
///
/// `single-process`, which most Lambda projects add, is left out on purpose: the image's runs
/// under bubblewrap (scripts/lambda-image.sh) pass without it, and it has known crash bugs
/// (aborted navigations, `Target closed` with a second browser context).
pub const FLAGS: [&str; 5] = [
    "no-sandbox",
    "disable-setuid-sandbox",
    "no-zygote",
    "disable-dev-shm-usage",
    "disable-gpu",
];

/// What a launch in a sandbox adds: flags (some with a value) and environment variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxLaunch {
    pub sandbox: Sandbox,
    /// `(name, value)`; names without leading dashes.
    pub args: Vec<(&'static str, Option<String>)>,
    pub env: Vec<(&'static str, String)>,
}

/// The flags and environment for a launch whose private directory is `session_dir` (deleted
/// after the session): HOME, the XDG config and cache homes, the disk cache and crash dumps all
/// live in it, so a warm container's `/tmp` holds nothing of the run afterwards.
pub fn sandbox_launch(sandbox: Sandbox, session_dir: &Path) -> SandboxLaunch {
    let home = session_dir.join("home");
    let path = |p: &Path| p.display().to_string();
    let mut args: Vec<(&'static str, Option<String>)> =
        FLAGS.iter().map(|&flag| (flag, None)).collect();
    args.push(("disk-cache-dir", Some(path(&session_dir.join("cache")))));
    args.push(("crash-dumps-dir", Some(path(&session_dir.join("crash")))));
    SandboxLaunch {
        sandbox,
        args,
        env: vec![
            ("HOME", path(&home)),
            ("XDG_CONFIG_HOME", path(&home.join(".config"))),
            ("XDG_CACHE_HOME", path(&home.join(".cache"))),
        ],
    }
}

impl SandboxLaunch {
    /// Adds the flags and environment to a launch configuration.
    pub fn apply(&self, mut builder: BrowserConfigBuilder) -> BrowserConfigBuilder {
        for (name, value) in &self.args {
            builder = match value {
                Some(value) => builder.arg((*name, value.as_str())),
                None => builder.arg(*name),
            };
        }
        builder.envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
    }
}

/// The hook [`super::launch`] calls: in a sandbox, adds its flags and environment for the
/// session directory `session_dir`; elsewhere returns `builder` unchanged.
pub fn apply_if_sandboxed(
    builder: BrowserConfigBuilder,
    session_dir: &Path,
) -> BrowserConfigBuilder {
    let Some(sandbox) = detect() else {
        return builder;
    };
    let launch = sandbox_launch(sandbox, session_dir);
    tracing::debug!(sandbox = ?launch.sandbox, flags = ?launch.args, "chromium flags for a Lambda-like sandbox");
    launch.apply(builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chromiumoxide::browser::BrowserConfig;

    #[test]
    fn lambda_is_recognised_by_its_function_name_and_a_bare_container_by_no_dev_shm() {
        let name = OsStr::new("exportsync");
        assert_eq!(detect_from(Some(name), true), Some(Sandbox::Lambda));
        assert_eq!(detect_from(Some(name), false), Some(Sandbox::Lambda));
        assert_eq!(detect_from(None, false), Some(Sandbox::NoDevShm));
        assert_eq!(
            detect_from(Some(OsStr::new("")), false),
            Some(Sandbox::NoDevShm)
        );
        // An empty variable (what `sam local` gives a declared but unset one) is not Lambda.
        assert_eq!(detect_from(Some(OsStr::new("")), true), None);
        assert_eq!(detect_from(None, true), None);
    }

    #[test]
    fn flag_names_have_no_leading_dashes_and_no_zygote_comes_with_no_sandbox() {
        let launch = sandbox_launch(Sandbox::Lambda, Path::new("/tmp/exportsync-x"));
        let names: Vec<&str> = launch.args.iter().map(|(n, _)| *n).collect();
        for name in &names {
            assert!(!name.starts_with('-'), "{name} would be sent as ----{name}");
            assert!(!name.contains('='), "{name}: values go in the second field");
        }
        for needed in [
            "no-sandbox",
            "no-zygote",
            "disable-dev-shm-usage",
            "disable-gpu",
        ] {
            assert!(names.contains(&needed), "{needed} missing from {names:?}");
        }
        assert!(!names.contains(&"single-process"));
    }

    #[test]
    fn every_path_chromium_writes_is_inside_the_session_directory() {
        let session = Path::new("/tmp/exportsync-abc");
        let launch = sandbox_launch(Sandbox::NoDevShm, session);
        let paths = launch
            .args
            .iter()
            .filter_map(|(_, v)| v.as_deref())
            .chain(launch.env.iter().map(|(_, v)| v.as_str()));
        let mut count = 0;
        for path in paths {
            assert!(
                Path::new(path).starts_with(session),
                "{path} is outside {session:?}"
            );
            count += 1;
        }
        assert_eq!(count, 5, "disk cache, crash dumps, HOME and two XDG homes");
        let env: Vec<&str> = launch.env.iter().map(|(k, _)| *k).collect();
        assert_eq!(env, ["HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"]);
    }

    #[test]
    fn apply_puts_flags_and_environment_into_the_launch_configuration() {
        let session = Path::new("/tmp/exportsync-apply");
        let launch = sandbox_launch(Sandbox::Lambda, session);
        let config = launch
            .apply(BrowserConfig::builder().chrome_executable("/bin/true"))
            .build()
            .expect("a valid configuration");
        let envs = config.process_envs.clone().expect("environment set");
        assert_eq!(envs["HOME"], "/tmp/exportsync-apply/home");
        assert_eq!(envs["XDG_CACHE_HOME"], "/tmp/exportsync-apply/home/.cache");
        // The argument list is private to chromiumoxide; its Debug output shows it.
        let shown = format!("{config:?}");
        for needle in [
            "key: \"no-zygote\"",
            "key: \"disable-dev-shm-usage\"",
            "key: \"crash-dumps-dir\", values: [\"/tmp/exportsync-apply/crash\"]",
        ] {
            assert!(shown.contains(needle), "{needle} not in {shown}");
        }
    }
}
