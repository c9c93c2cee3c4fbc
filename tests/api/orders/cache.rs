//! The nearline cache: reserved per sub-order, released by downloads, evicted when space is needed; a
//! sub-order that does not fit waits, one larger than the whole cache errors its files.

use super::{
    app_with_orders_catalog_and, download_available, id_of, order_of, progress, sub_orders,
};

fn nearline_cache(bytes: u64) -> impl FnOnce(&mut regards_order::config::Config) {
    move |config| {
        config.orders.max_running_suborders_per_user = 10;
        for storage in &mut config.storages {
            storage.cache_bytes = bytes;
        }
    }
}

#[tokio::test]
async fn a_sub_order_that_does_not_fit_waits_and_downloads_make_room() {
    let app = app_with_orders_catalog_and(nearline_cache(300)).await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:beta").await);
    app.run_pending_jobs().await;
    let states: Vec<String> = sub_orders(&app, id)
        .await
        .into_iter()
        .map(|s| s.2)
        .collect();
    assert_eq!(
        states,
        ["DONE", "WAITING", "WAITING"],
        "one 200-byte sub-order at a time in 300 bytes"
    );

    download_available(&app, id).await;
    app.run_pending_jobs().await;
    let states: Vec<String> = sub_orders(&app, id)
        .await
        .into_iter()
        .map(|s| s.2)
        .collect();
    assert_eq!(
        states,
        ["DONE", "DONE", "DONE"],
        "the corrupt one, then the third"
    );
    let first_copy: Option<String> = sqlx::query_scalar(
        "SELECT cache_path FROM order_files WHERE order_id = $1 AND provider_id = 'beta-1'",
    )
    .bind(id)
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    assert_eq!(
        first_copy, None,
        "the downloaded copy was evicted for the third"
    );
    let (status, percent, available, errors, _) = progress(&app, &token, id).await;
    assert_eq!(
        (status.as_str(), percent, available, errors),
        ("DONE_WITH_WARNING", 100, 1, 1)
    );
}

#[tokio::test]
async fn a_sub_order_larger_than_the_cache_errors_its_files() {
    let app = app_with_orders_catalog_and(nearline_cache(150)).await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:beta").await);
    app.run_pending_jobs().await;
    let (status, percent, _, errors, _) = progress(&app, &token, id).await;
    assert_eq!((status.as_str(), percent, errors), ("FAILED", 100, 3));
    let reason: String =
        sqlx::query_scalar("SELECT error FROM order_files WHERE order_id = $1 LIMIT 1")
            .bind(id)
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
    assert_eq!(
        reason,
        "sub-order of 200 bytes is larger than the cache of storage nearline (150 bytes)"
    );
}

#[tokio::test]
async fn a_paused_sub_order_larger_than_half_the_cache_starts_again_on_resume() {
    let app = app_with_orders_catalog_and(nearline_cache(300)).await;
    let token = app.user_token();
    let id = id_of(&order_of(&app, &token, "dataset:beta").await);
    // Run jobs one at a time until the first 200-byte sub-order holds its reservation and is RUNNING.
    let runner = regards_order::workers::Runner::new(app.state.clone(), "test-worker".into());
    let stop = tokio_util::sync::CancellationToken::new();
    while !sub_orders(&app, id).await.iter().any(|s| s.2 == "RUNNING") {
        assert!(runner.run_one(&stop).await.unwrap(), "no sub-order started");
    }
    let put = |path: String| {
        let request = app.client.put(app.url(&path)).bearer_auth(&token).send();
        async move { request.await.unwrap().status() }
    };
    assert_eq!(put(format!("/user/orders/pause/{id}")).await, 200);
    app.run_pending_jobs().await;
    let states: Vec<String> = sub_orders(&app, id)
        .await
        .into_iter()
        .map(|s| s.2)
        .collect();
    assert_eq!(states, ["WAITING", "WAITING", "WAITING"], "staging stopped");

    // On resume it starts again: its own reservation does not count against it.
    assert_eq!(put(format!("/user/orders/resume/{id}")).await, 200);
    app.run_pending_jobs().await;
    let states: Vec<String> = sub_orders(&app, id)
        .await
        .into_iter()
        .map(|s| s.2)
        .collect();
    assert_eq!(states, ["DONE", "WAITING", "WAITING"]);
    let reserved: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(reserved_bytes) AS BIGINT) FROM sub_orders WHERE order_id = $1",
    )
    .bind(id)
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    assert_eq!(reserved, 200, "reserved once, not twice");
    download_available(&app, id).await;
    app.run_pending_jobs().await;
    let (status, percent, _, _, _) = progress(&app, &token, id).await;
    assert_eq!((status.as_str(), percent), ("DONE_WITH_WARNING", 100));
}
