//! Order size limits (`[orders] max_files`, `max_bytes`) and an expiration that grows with the order
//! (`expiration_per_suborder`, `expiration_max`), moved on retry.

use std::time::Duration;

use serde_json::Value;

use super::{create, get_order, id_of, order_of_basket, select};
use crate::catalog::fixture::{app_with_fixture_and, object_ip_id};
use crate::helpers::TestApp;

const DAY: u64 = 86_400;

async fn refused(app: &TestApp, token: &str) -> String {
    let response = create(app, token, None).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    body["messages"][0].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_basket_over_a_limit_is_refused_with_regards_sentence_and_kept() {
    // Everything: 5 orderable files, 1120 bytes.
    let app = app_with_fixture_and(|config| config.orders.max_bytes = 1119).await;
    let token = app.user_token();
    select(&app, &token, "").await;
    assert_eq!(
        refused(&app, &token).await,
        "The size of the basket [1120 bytes] exceeds the maximum size allowed [1119 bytes]. Please review \
         the order requested so that it does not exceed the maximum size configured."
    );
    let (status, _) = crate::basket::basket(&app, &token).await;
    assert_eq!(status, 200, "the basket is kept");

    let app = app_with_fixture_and(|config| {
        config.orders.max_files = 4;
        config.orders.max_bytes = 1000;
    })
    .await;
    select(&app, &app.user_token(), "").await;
    let message = refused(&app, &app.user_token()).await;
    assert!(
        message.starts_with("The size of the basket [1120 bytes]"),
        "over both: bytes first: {message}"
    );

    let app = app_with_fixture_and(|config| config.orders.max_files = 4).await;
    let token = app.user_token();
    select(&app, &token, "").await;
    assert!(refused(&app, &token).await.starts_with(
        "The size of the basket [5 files] exceeds the maximum size allowed [4 files]."
    ));

    let app = app_with_fixture_and(|config| {
        config.orders.max_files = 5;
        config.orders.max_bytes = 1120;
    })
    .await;
    let token = app.user_token();
    select(&app, &token, "").await;
    order_of_basket(&app, &token).await;
}

async fn expiry_job_at(app: &TestApp, order_id: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT run_at FROM jobs WHERE kind = 'expire_order' AND payload LIKE $1")
        .bind(format!("%\"order_id\":{order_id}}}%"))
        .fetch_all(app.state.store.pool())
        .await
        .unwrap()
}

async fn dates(app: &TestApp, order_id: i64) -> (i64, i64) {
    let (_, body) = get_order(app, &app.user_token(), order_id).await;
    let date = |key: &str| {
        regards_order::time::Timestamp::parse_iso(body["content"][key].as_str().unwrap())
            .unwrap()
            .millis()
    };
    (date("creationDate"), date("expirationDate"))
}

#[tokio::test]
async fn the_expiration_grows_per_sub_order_up_to_the_cap_and_its_job_follows() {
    let app = app_with_fixture_and(|config| {
        config.orders.suborder_max_files = 1;
        config.orders.expiration_per_suborder = Duration::from_secs(DAY);
    })
    .await;
    let token = app.user_token();
    // opt-1 (online), opt-2 (nearline), rad-1 (online): three sub-orders of stored files; opt-3 external.
    select(&app, &token, "").await;
    let id = id_of(&order_of_basket(&app, &token).await);
    let (created, expires) = dates(&app, id).await;
    assert_eq!(
        expires - created,
        3 * DAY as i64 * 1000,
        "before expansion: the fixed rule"
    );
    app.run_pending_jobs().await;
    let (created, expires) = dates(&app, id).await;
    assert_eq!(
        expires - created,
        6 * DAY as i64 * 1000,
        "3 d + 3 sub-orders x 1 d"
    );
    assert_eq!(
        expiry_job_at(&app, id).await,
        [expires],
        "one expiry job, moved"
    );

    // Not expired at the first date: the job runs at the new one.
    app.state.clock.advance(Duration::from_secs(3 * DAY + 60));
    app.run_pending_jobs().await;
    let status = super::progress(&app, &app.user_token(), id).await.0;
    assert_ne!(status, "EXPIRED");
    app.state.clock.advance(Duration::from_secs(3 * DAY));
    app.run_pending_jobs().await;
    assert_eq!(
        super::progress(&app, &app.user_token(), id).await.0,
        "EXPIRED"
    );

    let app = app_with_fixture_and(|config| {
        config.orders.suborder_max_files = 1;
        config.orders.expiration_per_suborder = Duration::from_secs(2 * DAY);
        config.orders.expiration_max = Duration::from_secs(7 * DAY);
    })
    .await;
    let token = app.user_token();
    select(&app, &token, "").await;
    let id = id_of(&order_of_basket(&app, &token).await);
    app.run_pending_jobs().await;
    let (created, expires) = dates(&app, id).await;
    assert_eq!(
        expires - created,
        7 * DAY as i64 * 1000,
        "3 + 3 x 2 = 9 d, capped at 7 d"
    );
}

#[tokio::test]
async fn a_retry_sets_the_date_again_from_the_retry() {
    let app = app_with_fixture_and(|config| {
        config.orders.expiration_per_suborder = Duration::from_secs(DAY);
    })
    .await;
    let token = app.user_token();
    select(
        &app,
        &token,
        &format!("ipId:\"{}\"", object_ip_id("optical", "opt-1")),
    )
    .await;
    let id = id_of(&order_of_basket(&app, &token).await);
    let online = app.data_dir().join("archive/online");
    std::fs::rename(&online, app.data_dir().join("online-away")).unwrap();
    app.run_pending_jobs().await;
    assert_eq!(super::progress(&app, &token, id).await.0, "FAILED");
    std::fs::rename(app.data_dir().join("online-away"), &online).unwrap();
    app.state.clock.advance(Duration::from_secs(DAY));
    let retried_at = app.state.clock.now().millis();
    let retried = app
        .client
        .put(app.url(&format!("/user/orders/{id}/retry")))
        .bearer_auth(app.user_token())
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    let (_, expires) = dates(&app, id).await;
    let grown = expires - retried_at;
    assert!(
        (4 * DAY as i64 * 1000..4 * DAY as i64 * 1000 + 5000).contains(&grown),
        "retry + 3 d + 1 sub-order x 1 d: {grown} ms"
    );
    let jobs = expiry_job_at(&app, id).await;
    assert!(jobs.contains(&expires), "{jobs:?} {expires}");
}
