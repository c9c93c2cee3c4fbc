//! Prometheus metrics: request counts and latency histograms by route and status (recorded by a
//! middleware), job counts by kind and outcome (recorded by the workers), download bytes (recorded by the
//! download bodies as they go out); and, read from the database at scrape time, jobs queued by kind with
//! the age of the oldest, orders by status, sub-orders by state, nearline cache bytes used per storage.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::app::AppState;
use strum::IntoEnumIterator;

use crate::domain::order::{OrderStatus, SubOrderState};
use crate::error::{AppError, ErrorBody};
use crate::store::{JobCount, NamedCount, StoreError};

/// Records every request by method, matched route and status. Labels come from fixed sets (made-up methods
/// and paths must not grow the metrics): the standard methods or `OTHER`, a route of the router or
/// `unmatched`, the numeric status.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    STANDARD
        .iter()
        .find(|standard| *standard == method)
        .map_or("OTHER", Method::as_str)
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    description = "Prometheus metrics (text exposition format). Open to all, unless the operator sets \
                   `[http] metrics_token`: then it needs `Authorization: Bearer <metrics_token>` (that \
                   token, not an access token).",
    responses(
        (status = OK, description = "Metrics", content_type = "text/plain", body = String),
        (status = UNAUTHORIZED, description = "`metrics_token` is set and the request does not carry it",
         body = ErrorBody),
    )
)]
pub async fn metrics_text(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    check_metrics_token(&state.config.http.metrics_token, &headers)?;
    state.metrics.run_upkeep();
    let mut text = state.metrics.render();
    // Read from the database now: every instance sharing it shows the same figures.
    if let Err(error) = database_gauges(&state, &mut text).await {
        tracing::warn!(%error, "cannot read the database figures for /metrics");
    }
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

/// With a token configured, the request must carry it as a bearer token (compared in constant time).
fn check_metrics_token(token: &str, headers: &HeaderMap) -> Result<(), AppError> {
    if token.is_empty() {
        return Ok(());
    }
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::Unauthorized(
            "/metrics needs 'Authorization: Bearer <metrics_token>'".into(),
        ))
    }
}

/// One gauge family in the text exposition format.
fn gauge(out: &mut String, name: &str, help: &str, label: &str, samples: &[(String, f64)]) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
    for (value_of_label, value) in samples {
        if label.is_empty() {
            out.push_str(&format!("{name} {value}\n"));
        } else {
            let escaped = value_of_label
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            out.push_str(&format!("{name}{{{label}=\"{escaped}\"}} {value}\n"));
        }
    }
    out.push('\n');
}

async fn database_gauges(state: &AppState, out: &mut String) -> Result<(), StoreError> {
    job_gauges(state, out).await?;
    order_gauges(state, out).await?;
    cache_gauges(state, out).await
}

/// The value of `name` among counts (0 when absent).
fn value(counts: &[NamedCount], name: &str) -> f64 {
    counts
        .iter()
        .find(|c| c.name == name)
        .map_or(0.0, |c| c.value as f64)
}

/// Jobs queued, running and failed, and the age of the oldest due, by kind.
async fn job_gauges(state: &AppState, out: &mut String) -> Result<(), StoreError> {
    let jobs = state.store.job_counts(state.clock.now()).await?;
    let per_kind = |f: fn(&JobCount) -> i64| -> Vec<(String, f64)> {
        crate::workers::KINDS
            .iter()
            .map(|kind| {
                let count = jobs.iter().find(|c| c.kind == *kind);
                ((*kind).to_owned(), count.map_or(0.0, |c| f(c) as f64))
            })
            .collect()
    };
    gauge(
        out,
        "jobs_queued",
        "Jobs waiting for a worker, by kind",
        "kind",
        &per_kind(|c| c.queued),
    );
    gauge(
        out,
        "jobs_running",
        "Jobs leased by a worker, by kind",
        "kind",
        &per_kind(|c| c.running),
    );
    gauge(
        out,
        "jobs_failed",
        "Jobs out of attempts, by kind",
        "kind",
        &per_kind(|c| c.failed),
    );
    let age = per_kind(|c| c.oldest_due_ms)
        .into_iter()
        .map(|(kind, ms)| (kind, ms / 1000.0))
        .collect::<Vec<_>>();
    gauge(
        out,
        "jobs_oldest_due_seconds",
        "Age of the oldest job due and waiting, by kind",
        "kind",
        &age,
    );
    Ok(())
}

/// Orders by status, sub-orders by state.
async fn order_gauges(state: &AppState, out: &mut String) -> Result<(), StoreError> {
    let orders = state.store.orders_by_status().await?;
    let samples: Vec<(String, f64)> = OrderStatus::ALL
        .iter()
        .map(|status| (status.as_str().to_owned(), value(&orders, status.as_str())))
        .collect();
    gauge(out, "orders", "Orders by status", "status", &samples);

    let sub_orders = state.store.sub_orders_by_state().await?;
    let samples: Vec<(String, f64)> = SubOrderState::iter()
        .map(|sub_state| {
            (
                sub_state.to_string(),
                value(&sub_orders, sub_state.as_str()),
            )
        })
        .collect();
    gauge(
        out,
        "sub_orders",
        "Sub-orders by state: OPEN (being filled), WAITING (for a slot), RUNNING (being staged), DONE, \
         CANCELLED",
        "state",
        &samples,
    );
    gauge(
        out,
        "sub_orders_in_progress",
        "Sub-orders being staged",
        "",
        &[(
            String::new(),
            value(&sub_orders, SubOrderState::Running.as_str()),
        )],
    );
    Ok(())
}

/// Nearline cache bytes used and capacity, by storage.
async fn cache_gauges(state: &AppState, out: &mut String) -> Result<(), StoreError> {
    let cache = state.store.cache_bytes_by_storage().await?;
    let nearline: Vec<_> = state
        .storages
        .all()
        .into_iter()
        .filter(|s| s.is_nearline())
        .collect();
    let used: Vec<(String, f64)> = nearline
        .iter()
        .map(|storage| (storage.name().to_owned(), value(&cache, storage.name())))
        .collect();
    let capacity: Vec<(String, f64)> = nearline
        .iter()
        .map(|storage| (storage.name().to_owned(), storage.cache_bytes() as f64))
        .collect();
    gauge(
        out,
        "cache_bytes_used",
        "Nearline cache bytes held (reserved for staging or not yet evicted), by storage",
        "storage",
        &used,
    );
    gauge(
        out,
        "cache_bytes_capacity",
        "Nearline cache size, by storage",
        "storage",
        &capacity,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let made_up = Method::from_bytes(b"B00000001").unwrap();
        assert_eq!(method_label(&made_up), "OTHER");
    }

    #[test]
    fn the_metrics_token_is_a_bearer_token_when_set() {
        let mut headers = HeaderMap::new();
        assert!(check_metrics_token("", &headers).is_ok());
        assert!(check_metrics_token("s3cret", &headers).is_err());
        headers.insert(AUTHORIZATION, "Bearer s3cre".parse().unwrap());
        assert!(check_metrics_token("s3cret", &headers).is_err());
        headers.insert(AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert!(check_metrics_token("s3cret", &headers).is_ok());
        headers.insert(AUTHORIZATION, "s3cret".parse().unwrap());
        assert!(check_metrics_token("s3cret", &headers).is_err());
    }

    #[test]
    fn gauges_follow_the_exposition_format() {
        let mut out = String::new();
        gauge(
            &mut out,
            "g",
            "A gauge",
            "s",
            &[("a\"b".into(), 2.0), ("c".into(), 0.5)],
        );
        gauge(&mut out, "h", "Another", "", &[(String::new(), 3.0)]);
        assert_eq!(
            out,
            "# HELP g A gauge\n# TYPE g gauge\ng{s=\"a\\\"b\"} 2\ng{s=\"c\"} 0.5\n\n\
             # HELP h Another\n# TYPE h gauge\nh 3\n\n"
        );
    }
}
