//! The service's metrics about orders: orders and sub-orders by state, the cache, the queued jobs and
//! the bytes served.

use super::{app_with_orders_catalog, id_of, order_of};
use crate::helpers::TestApp;

/// The value of a sample in the Prometheus text (`name{labels}` exactly as written), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

#[tokio::test]
async fn metrics_show_orders_sub_orders_cache_and_bytes_served() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let before = metrics(&app).await;
    assert_eq!(sample(&before, r#"orders{status="RUNNING"}"#), 0.0);
    assert_eq!(
        sample(&before, r#"cache_bytes_used{storage="nearline"}"#),
        0.0
    );
    assert!(
        sample(&before, r#"cache_bytes_capacity{storage="nearline"}"#) > 0.0,
        "{before}"
    );

    // beta: three nearline files of 200 bytes, one sub-order each (250 bytes at most), one slot per user.
    let id = id_of(&order_of(&app, &token, "dataset:beta").await);
    let queued = metrics(&app).await;
    assert_eq!(sample(&queued, r#"orders{status="RUNNING"}"#), 1.0);
    assert_eq!(
        sample(&queued, r#"jobs_queued{kind="expand_order"}"#),
        1.0,
        "{queued}"
    );
    app.run_pending_jobs().await;
    let staged = metrics(&app).await;
    the_staged_order_shows_in_the_metrics(&staged);
    the_bytes_of_a_zip_are_counted(&app, &token, id, &staged).await;
}

/// Staged: the two sound files wait in the cache for their download, the corrupt one is in error.
fn the_staged_order_shows_in_the_metrics(staged: &str) {
    assert_eq!(sample(staged, r#"orders{status="RUNNING"}"#), 0.0);
    assert_eq!(sample(staged, r#"orders{status="DONE_WITH_WARNING"}"#), 1.0);
    assert_eq!(
        sample(staged, r#"sub_orders{state="DONE"}"#),
        3.0,
        "{staged}"
    );
    assert_eq!(sample(staged, r#"sub_orders{state="WAITING"}"#), 0.0);
    assert_eq!(sample(staged, "sub_orders_in_progress"), 0.0);
    assert_eq!(
        sample(staged, r#"cache_bytes_used{storage="nearline"}"#),
        400.0
    );
    assert_eq!(sample(staged, r#"jobs_queued{kind="expand_order"}"#), 0.0);
    assert_eq!(sample(staged, r#"jobs_queued{kind="expire_order"}"#), 1.0);
}

async fn the_bytes_of_a_zip_are_counted(app: &TestApp, token: &str, id: i64, staged: &str) {
    let zip = app
        .client
        .get(app.url(&format!("/user/orders/{id}/download")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let served = metrics(app).await;
    let sent = sample(&served, r#"download_bytes_total{kind="zip"}"#)
        - sample(staged, r#"download_bytes_total{kind="zip"}"#);
    // Other tests of this process may download at the same time: at least this zip.
    assert!(sent >= zip.len() as f64, "{sent} < {}", zip.len());
}
