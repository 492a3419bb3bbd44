//! The loopback HTTP server under every simulator: bound on 127.0.0.1, served by axum, stopped
//! gracefully by [`LoopbackServer::shutdown`] or when dropped.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`LoopbackServer::shutdown`] lets requests in flight finish before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running server; dropping it stops accepting (requests in flight still finish).
pub struct LoopbackServer {
    name: &'static str,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Binds 127.0.0.1:`port` (0 picks a free one). Separate from [`LoopbackServer::serve`] for
/// simulators whose state needs their own address (the Sheets emulator's token URI).
pub async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

impl LoopbackServer {
    /// Serves `app` on `listener` in a task of its own; `name` labels its log lines.
    pub fn serve(
        name: &'static str,
        listener: TcpListener,
        app: axum::Router,
    ) -> std::io::Result<LoopbackServer> {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                // Resolves on an explicit stop and when the server is dropped.
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(server = name, %error, "simulator stopped with an error");
            }
        });
        tracing::debug!(server = name, %addr, "simulator listening");
        Ok(LoopbackServer {
            name,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (at most [`SHUTDOWN_GRACE`]), returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(server = self.name, %error, "simulator task failed")
                }
                Err(_) => {
                    tracing::warn!(
                        server = self.name,
                        "requests still running at shutdown, aborted"
                    );
                    task.abort();
                }
            }
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_on_loopback_and_stops_on_shutdown() {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "up" }));
        let server = LoopbackServer::serve("test", bind(0).await.unwrap(), app).unwrap();
        let addr = server.addr();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        let body = reqwest::get(format!("http://{addr}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "up");
        server.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}
