//! One rate limit across instances: two `serve` processes on one database count the same downloads
//! (docs/decisions.md "Download quotas").

use std::time::Duration;

use serde_json::json;

use super::start_serve;
use crate::downloads::quotas::{big_order, hold, set_quota, usage};
use crate::helpers::{spawn_app, wait_until};

#[tokio::test]
async fn two_instances_on_one_database_enforce_one_rate_limit() {
    let app = spawn_app().await;
    let (_, first, second) = big_order(&app).await;
    let body = json!({"maxQuota": -1, "rateLimit": 1});
    assert_eq!(
        set_quota(&app, "user@example.org", body).await.status(),
        200
    );
    let (_one, a) = start_serve(&app.data_dir(), app.database_url()).await;
    let (_two, b) = start_serve(&app.data_dir(), app.database_url()).await;
    let token = app.user_token();
    let client = crate::helpers::http_client();
    let fetch = |base: &str, file: i64| {
        let request = client
            .get(format!("{base}/orders/files/{file}"))
            .bearer_auth(&token);
        async move { request.send().await.unwrap() }
    };

    let held = hold(&a, &token, &format!("/orders/files/{first}")).await;
    let refused = fetch(&b, second).await;
    assert_eq!(
        refused.status(),
        429,
        "the other instance sees the download running"
    );
    assert_eq!(refused.headers()["retry-after"], "10");
    assert_eq!(fetch(&a, second).await.status(), 429);
    let free = || async {
        wait_until(
            Duration::from_secs(10),
            "the slot to be given back",
            || async { usage(&app).await["currentRate"] == 0 },
        )
        .await
    };
    drop(held);
    free().await;
    let allowed = fetch(&b, second).await;
    assert_eq!(allowed.status(), 200, "free again once the download ended");
    assert_eq!(
        fetch(&a, first).await.status(),
        429,
        "and the other way round"
    );
    drop(allowed);
    free().await;
    assert_eq!(fetch(&a, first).await.status(), 200);
}
