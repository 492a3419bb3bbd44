//! `moto_server` (installed by `.ci/run` into its virtualenv, named by `$MOTO_SERVER`) on a
//! free loopback port for one test, stopped and reaped on drop.

#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

/// `moto_server` on a free loopback port, stopped (killed and reaped) on drop.
pub struct Moto {
    child: std::process::Child,
    pub endpoint: String,
    _home: tempfile::TempDir,
}

impl Moto {
    pub async fn start() -> Moto {
        let program = std::env::var("MOTO_SERVER")
            .ok()
            .filter(|p| !p.is_empty())
            .or_else(|| on_path("moto_server"))
            .unwrap_or_else(|| {
                panic!(
                    "moto_server was not found (neither $MOTO_SERVER nor on PATH): .ci/run \
                     installs moto[server] into ~/.cache/exportsync-venv and sets MOTO_SERVER"
                )
            });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let home = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("HOME", home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {program}: {e}; .ci/run installs moto[server] into \
                     ~/.cache/exportsync-venv and sets MOTO_SERVER"
                )
            });
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _home: home,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!(
                    "{program} exited ({status}) before listening: .ci/run installs \
                     moto[server] into ~/.cache/exportsync-venv and sets MOTO_SERVER"
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "moto_server did not listen on port {port} within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(name: &str) -> Option<String> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}

impl Moto {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.endpoint.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Creates an S3 bucket (moto takes unsigned path-style requests).
    pub async fn create_bucket(&self, bucket: &str) {
        // reqwest is built without a rustls provider: the process-wide one comes from here.
        exportsync::tls::install_crypto_provider();
        let response = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .expect("moto answers");
        assert!(
            response.status().is_success(),
            "create bucket: {}",
            response.status()
        );
    }

    /// Stops it now (a store that goes down).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
