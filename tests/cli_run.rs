//! `exportsync run` from the outside: values a user types that once panicked the binary.

use std::process::Command;

#[test]
fn a_huge_timeout_is_taken_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    std::fs::write(
        &secrets,
        r#"{"backend": {"email": "a@example.com", "password": "x"}}"#,
    )
    .unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sim.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .args([
            "run",
            "--timeout",
            &u64::MAX.to_string(),
            "--config",
            config,
        ])
        .arg("--secrets-file")
        .arg(&secrets)
        // An unknown export: the run stops once its budget is set, before any browser.
        .args(["--only", "no_such_export"])
        .env("TMPDIR", dir.path())
        .env("EXPORTSYNC_STORE", "none")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("no_such_export"), "{stderr}");
}
