//! Launching and dropping Chromium with real Chromium: a long temporary directory (macOS gives
//! every user a `TMPDIR` of about 50 characters) no longer pushes Chromium's singleton socket
//! past the 107 bytes of a Unix socket path, its short TMPDIR is private and deleted with the
//! session; and a session dropped without `close` reaps its processes on the blocking pool,
//! never stalling the async thread.
//!
//! Browser tests run one at a time (a static semaphore): this machine has two cores.

#[allow(dead_code)]
#[path = "support/browser.rs"]
mod browser;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use exportsync::config::Config;
use exportsync::sim::backend::{BackendOptions, BackendSim, DEMO_EMAIL};
use exportsync::source::profile::MAX_CHROMIUM_TMPDIR;
use exportsync::source::{BrowserSession, procs};
use tokio::sync::Semaphore;

use browser::assert_nothing_left;

static ONE_BROWSER_AT_A_TIME: Semaphore = Semaphore::const_new(1);

const SIM_CONFIG: &str = include_str!("../examples/sim.toml");

/// A directory whose path is exactly `len` bytes, like macOS's
/// `/var/folders/xx/yyyyyyyyyyyyyyyyyyyyyyyyyyyy/T/` (49).
fn long_dir(base: &Path, len: usize) -> PathBuf {
    let have = base.as_os_str().len() + 1;
    assert!(
        have < len,
        "{} is already longer than {len}",
        base.display()
    );
    let dir = base.join("T".repeat(len - have));
    std::fs::create_dir_all(&dir).unwrap();
    assert_eq!(dir.as_os_str().len(), len);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_temp_root_gives_chromium_a_short_private_tmpdir_deleted_at_close() {
    let _permit = ONE_BROWSER_AT_A_TIME.acquire().await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let root = long_dir(work.path(), 64);
    let config = Config::from_str(SIM_CONFIG, "examples/sim.toml").unwrap();
    let session = BrowserSession::launch(&config.browser, Some(&root))
        .await
        .expect("chromium launches under a long temporary directory");
    let tmp = session.chromium_tmp_dir().to_owned();
    assert!(
        tmp.as_os_str().len() <= MAX_CHROMIUM_TMPDIR,
        "{}",
        tmp.display()
    );
    assert!(!tmp.starts_with(&root), "not under the long root");
    let mode = std::fs::metadata(&tmp).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "private to this user");
    // Chromium made its singleton socket there: the profile's SingletonSocket links to it.
    let link = std::fs::read_link(session.profile_dir().join("SingletonSocket"))
        .expect("the profile has a SingletonSocket link");
    assert!(
        link.starts_with(&tmp),
        "{} not in {}",
        link.display(),
        tmp.display()
    );
    assert!(link.as_os_str().len() < 108);
    session.close().await;
    assert!(!tmp.exists(), "the short TMPDIR is deleted");
    assert_nothing_left(&root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_command_works_with_a_macos_length_tmpdir() {
    let _permit = ONE_BROWSER_AT_A_TIME.acquire().await.unwrap();
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let tmpdir = long_dir(work.path(), 49);
    let secrets = work.path().join("secrets.json");
    let doc =
        serde_json::json!({ "backend": { "email": DEMO_EMAIL, "password": "demo-password" } });
    std::fs::write(&secrets, doc.to_string()).unwrap();
    let out = work.path().join("out");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .args(["export", "--config", "examples/sim.toml", "--backend-url"])
        .arg(sim.base_url())
        .arg("--secrets-file")
        .arg(&secrets)
        .args(["--from", "2024-11-20", "--to", "2024-11-20", "--json"])
        .args(["--only", "users", "--only", "point_transactions"])
        .arg("--out")
        .arg(&out)
        .env("TMPDIR", &tmpdir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("Socket path too long"), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for e in json["exports"].as_array().unwrap() {
        assert_eq!(e["status"], "ok", "{e}");
    }
    assert_nothing_left(&tmpdir);
    sim.shutdown().await;
}

#[test]
fn dropping_a_session_reaps_on_the_blocking_pool_not_the_async_thread() {
    // One thread for every task: anything that blocks it stops the ticker below.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let _permit = ONE_BROWSER_AT_A_TIME.acquire().await.unwrap();
        let work = tempfile::tempdir().unwrap();
        let root = work.path().join("browser");
        std::fs::create_dir_all(&root).unwrap();
        let config = Config::from_str(SIM_CONFIG, "examples/sim.toml").unwrap();
        let session = BrowserSession::launch(&config.browser, Some(&root))
            .await
            .expect("chromium launches");
        let session_dir = session.profile_dir().parent().unwrap().to_owned();
        let needle = session_dir.to_str().unwrap().to_owned();
        // Helpers that name the session's directory keep appearing: the reaping is kept busy
        // for its whole limit, as with a browser whose helpers keep forking.
        // Four loops, in a process group of their own, so that a busy machine (slow forks)
        // still never leaves the reaping a pass with nothing to find.
        let mut respawner = std::process::Command::new("sh")
            .arg("-c")
            .arg(
                "for i in 1 2 3 4; do \
                   (while :; do python3 -c 'import time; time.sleep(5)' \"$D\" & sleep 0.01; done) & \
                 done; wait",
            )
            .env("D", &session_dir)
            .process_group(0)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !procs::list()
            .iter()
            .any(|p| p.cmdline.contains(&needle) && p.name.starts_with("python"))
        {
            assert!(Instant::now() < deadline, "no helper started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let longest_gap = Arc::new(std::sync::Mutex::new(Duration::ZERO));
        let gap = longest_gap.clone();
        let ticker = tokio::spawn(async move {
            loop {
                let before = Instant::now();
                tokio::time::sleep(Duration::from_millis(10)).await;
                let mut longest = gap.lock().unwrap();
                *longest = (*longest).max(before.elapsed());
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let dropping = Instant::now();
        drop(session);
        let drop_took = dropping.elapsed();
        // The reaping ends when the directory is deleted (after its limit, helpers respawning).
        let deadline = Instant::now() + Duration::from_secs(15);
        while session_dir.exists() {
            assert!(
                Instant::now() < deadline,
                "the session directory is never deleted"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let reap_took = dropping.elapsed();
        tokio::time::sleep(Duration::from_millis(50)).await;
        ticker.abort();

        // SAFETY: kill(2) and waitpid(2) on our own child's process group and the helpers this
        // test started.
        unsafe {
            libc::kill(-(respawner.id() as i32), libc::SIGKILL);
        }
        let _ = respawner.wait();
        for p in procs::list() {
            if p.cmdline.contains(&needle) {
                // SAFETY: kill(2) on a helper this test started.
                unsafe {
                    libc::kill(p.pid as i32, libc::SIGKILL);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let me = std::process::id();
        for p in procs::list() {
            if p.ppid == me && p.state == 'Z' {
                let mut status = 0;
                // SAFETY: waitpid on a zombie child of ours (adopted as subreaper).
                unsafe {
                    libc::waitpid(p.pid as i32, &mut status, libc::WNOHANG);
                }
            }
        }

        let longest = *longest_gap.lock().unwrap();
        assert!(
            reap_took >= Duration::from_millis(300),
            "the reaping was kept busy (took {reap_took:?})"
        );
        assert!(
            drop_took * 10 < reap_took,
            "drop returned after {drop_took:?}, the reaping took {reap_took:?}"
        );
        assert!(
            longest * 4 < reap_took,
            "the async thread was blocked for {longest:?} while the reaping took {reap_took:?}"
        );
    });
}
