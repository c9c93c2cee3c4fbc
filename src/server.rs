//! The running service: serves HTTP and runs the job workers until asked to stop.

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;

/// Serves HTTP on `listener` (when given) and runs `workers` job workers until `shutdown` fires; then
/// lets in-flight requests finish and releases the jobs still leased.
pub async fn run(
    state: AppState,
    listener: Option<TcpListener>,
    workers: usize,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut worker_set = crate::workers::spawn_workers(&state, workers, shutdown.clone());
    let server = listener.map(|listener| {
        let app = crate::http::app(state.clone());
        let limits = crate::http::server::Limits::from_config(&state.config.http);
        tokio::spawn(crate::http::server::serve(
            listener,
            app,
            limits,
            shutdown.clone(),
        ))
    });
    if let Some(server) = server {
        server.await.context("the HTTP server task failed")?;
    } else {
        shutdown.cancelled().await;
    }
    while worker_set.join_next().await.is_some() {}
    state.store.close().await;
    Ok(())
}
