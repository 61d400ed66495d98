//! The connection loop: HTTP/1.1 with upgrades (WebSocket), a read timeout on request headers,
//! and graceful shutdown. `axum::serve` gives hyper no timer, so a client could hold a connection
//! open for ever by sending its headers a byte at a time; here hyper times the headers out
//! (`CDP_HTTP_READ_TIMEOUT_SECS`; the body has the same budget in `http::graphql`).
//!
//! On shutdown: stop accepting, ask every connection to finish (HTTP connections after their
//! in-flight request, WebSockets with `1001 Going Away`, see `http::ws`), and wait a bounded time
//! for both.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How long shutdown waits for in-flight requests and closing WebSockets.
const DRAIN: Duration = Duration::from_secs(30);

/// A set of open connections that can be asked to close, and awaited until they have.
#[derive(Clone)]
pub struct Drain(Arc<DrainInner>);

struct DrainInner {
    closing: watch::Sender<bool>,
    open: watch::Sender<usize>,
}

/// One open connection, counted while alive.
pub struct Open(Drain);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.0.open.send_modify(|n| *n -= 1);
    }
}

impl Default for Drain {
    fn default() -> Self {
        Drain(Arc::new(DrainInner { closing: watch::Sender::new(false), open: watch::Sender::new(0) }))
    }
}

impl Drain {
    /// Counts a connection in; the receiver turns true when it is asked to close.
    pub fn enter(&self) -> (watch::Receiver<bool>, Open) {
        self.0.open.send_modify(|n| *n += 1);
        (self.0.closing.subscribe(), Open(self.clone()))
    }

    /// Asks every connection, and every later one, to close.
    pub fn close_all(&self) {
        self.0.closing.send_replace(true);
    }

    /// Resolves once no connection is open.
    pub async fn closed(&self) {
        let mut open = self.0.open.subscribe();
        let _ = open.wait_for(|n| *n == 0).await;
    }
}

/// Resolves when the connection is asked to close.
pub async fn asked_to_close(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|c| *c).await;
}

pub async fn serve(
    listener: TcpListener,
    router: Router,
    sockets: Drain,
    read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Drain::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                // Out of file descriptors and the like: wait instead of spinning.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(
            router.clone().map_request(|req: Request<Incoming>| req.map(axum::body::Body::new)),
        );
        let (mut closing, open) = connections.enter();
        tokio::spawn(async move {
            let _open = open;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                () = asked_to_close(&mut closing) => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.close_all();
    sockets.close_all();
    let drained = async {
        connections.closed().await;
        sockets.closed().await;
    };
    if tokio::time::timeout(DRAIN, drained).await.is_err() {
        tracing::warn!("connections still open {}s after shutdown; closing them", DRAIN.as_secs());
    }
    Ok(())
}
