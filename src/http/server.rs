//! The HTTP listener (docs/ARCHITECTURE.md, "Hostile clients"): at most `max_connections` connections at
//! once — at the limit the accept loop waits for one to close, and new clients wait in the kernel's
//! backlog —, each served by hyper's HTTP/1 server under the read deadlines of `timeouts.rs`. On shutdown it
//! stops accepting, closes the connections that wait for a request and lets the requests in flight finish.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::response::Response;
use axum::serve::Listener;
use futures::future::BoxFuture;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::App;
use super::timeouts::{
    ClockedIo, ClockedRequestBody, ClockedResponseBody, ConnectionClock, Timeouts,
};
use crate::config::HttpConfig;
use crate::download::delivery::{Connection, Watched, WatchedListener};

/// File descriptors kept for the rest of the process (database, logs, mail, …).
const RESERVED_FILES: u64 = 256;

/// How much the listener serves, and how patiently.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: u32,
    pub timeouts: Timeouts,
}

impl Limits {
    /// The configured limits; the soft file limit is raised to the hard one first, and the connection
    /// count lowered if the file limit cannot hold it. Says what applies.
    pub fn from_config(http: &HttpConfig) -> Limits {
        let file_limit = raise_file_limit();
        let max_connections = match file_limit {
            Some(files) => connections_within(files, http.max_connections),
            None => http.max_connections,
        };
        let files = file_limit.map_or_else(|| "unknown".to_owned(), |files| files.to_string());
        tracing::info!(
            "serving at most {max_connections} connections at once (http.max_connections = {}, \
             open file limit {files})",
            http.max_connections
        );
        Limits {
            max_connections,
            timeouts: Timeouts {
                header_read: http.header_read_timeout,
                body_read: http.body_read_timeout,
                idle: http.idle_timeout,
            },
        }
    }
}

/// Raises the soft limit of open files to the hard one; the limit now in force, if known.
fn raise_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

/// The connections that fit `file_limit`: each may hold its socket and a file it sends, and
/// [`RESERVED_FILES`] stay for the rest.
fn connections_within(file_limit: u64, configured: u32) -> u32 {
    let fitting = file_limit.saturating_sub(RESERVED_FILES) / 2;
    u32::try_from(fitting).map_or(configured, |fitting| configured.min(fitting.max(1)))
}

/// Serves `app` on `listener` until `shutdown` fires, then until the last connection closes.
pub async fn serve(listener: TcpListener, app: App, limits: Limits, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let mut listener = WatchedListener(listener);
    loop {
        let slot = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            slot = slots.clone().acquire_owned() => slot.expect("the slots are never closed"),
        };
        let io = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            (io, _) = listener.accept() => io,
        };
        let connection = serve_connection(io, app.clone(), limits.timeouts, shutdown.clone());
        tokio::spawn(async move {
            connection.await;
            drop::<OwnedSemaphorePermit>(slot);
        });
    }
    drop(listener);
    // Every slot back: every connection closed.
    let _all = slots.acquire_many(limits.max_connections).await;
}

async fn serve_connection(io: Watched, app: App, timeouts: Timeouts, shutdown: CancellationToken) {
    let clock = ConnectionClock::start(timeouts);
    let service = ConnectionService {
        app,
        connection: io.connection(),
        clock: clock.clone(),
    };
    let io = TokioIo::new(ClockedIo::new(io, clock.clone()));
    let mut builder = http1::Builder::new();
    // The clock times heads itself: hyper's timer would also run while a connection is idle.
    builder.header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            phase = clock.expired() => {
                tracing::debug!(?phase, "connection closed: its read deadline passed");
                return;
            }
            () = shutdown.cancelled(), if !draining => {
                if clock.waits_for_request() {
                    return;
                }
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The app as hyper calls it for one connection: each request carries `ConnectInfo<Connection>` and
/// its body and response tell the connection's clock how they go.
struct ConnectionService {
    app: App,
    connection: Connection,
    clock: ConnectionClock,
}

type ServedResponse = hyper::Response<ClockedResponseBody<axum::body::Body>>;

impl hyper::service::Service<hyper::Request<Incoming>> for ConnectionService {
    type Response = ServedResponse;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<ServedResponse, Infallible>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let clock = self.clock.clone();
        let number = clock.request_started(!request.body().is_end_stream());
        let mut request: Request = request.map(|body| {
            axum::body::Body::new(ClockedRequestBody::new(body, clock.clone(), number))
        });
        request
            .extensions_mut()
            .insert(ConnectInfo(self.connection.clone()));
        let app = self.app.clone();
        Box::pin(async move {
            let response: Response = app.oneshot(request).await?;
            clock.body_done(number);
            Ok(response.map(|body| ClockedResponseBody::new(body, clock, number)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_stay_within_the_file_limit() {
        assert_eq!(connections_within(1_048_576, 10_000), 10_000);
        assert_eq!(connections_within(4096, 10_000), 1920);
        assert_eq!(connections_within(100, 10_000), 1);
        assert_eq!(connections_within(u64::MAX, 10_000), 10_000);
    }
}
