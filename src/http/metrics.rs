//! Prometheus metrics: request counts and latency histograms by route and status (recorded by a
//! middleware), job counts by kind and outcome (recorded by the workers), jobs queued by kind (read from
//! the database at scrape time).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The process-wide recorder (metrics are global to a process, whatever number of apps it runs).
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .expect("the latency buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
            }
            handle
        })
        .clone()
}

/// Records every request by method, matched route and status.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    description = "Prometheus metrics (text exposition format). No token needed.",
    responses((status = OK, description = "Metrics", content_type = "text/plain", body = String))
)]
pub async fn metrics_text(State(state): State<AppState>) -> Response {
    let now = state.clock.now();
    match state.store.job_counts(now).await {
        Ok(counts) => {
            for kind in crate::jobs::KINDS {
                let count = counts.iter().find(|c| c.kind == *kind);
                let value =
                    |f: fn(&crate::store::JobCount) -> i64| count.map_or(0.0, |c| f(c) as f64);
                metrics::gauge!("jobs_queued", "kind" => *kind).set(value(|c| c.queued));
                metrics::gauge!("jobs_running", "kind" => *kind).set(value(|c| c.running));
                metrics::gauge!("jobs_failed", "kind" => *kind).set(value(|c| c.failed));
                metrics::gauge!("jobs_oldest_due_seconds", "kind" => *kind)
                    .set(value(|c| c.oldest_due_ms) / 1000.0);
            }
        }
        Err(error) => tracing::warn!(%error, "cannot count jobs for /metrics"),
    }
    state.metrics.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}
