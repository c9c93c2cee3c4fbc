//! Links a browser can follow without a bearer header: `GET /user/orders/{id}/publicLinks` gives the
//! order's token, and the zip and metalink accept it (docs/decisions.md "Web application").

use regards_order::auth::Role;
use serde_json::Value;

use super::{get, processed_order};
use crate::orders::app_with_orders_catalog;

#[tokio::test]
async fn the_public_links_open_the_zip_and_the_metalink_of_their_order_only() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let path = format!("/user/orders/{order}/publicLinks");
    let other = app.token("other@example.org", Role::RegisteredUser);
    assert_eq!(get(&app, &path, Some(&other), &[]).await.status(), 403);
    assert_eq!(get(&app, &path, None, &[]).await.status(), 401);
    let links: Value = get(&app, &path, Some(&token), &[])
        .await
        .json()
        .await
        .unwrap();
    let order_token = links["orderToken"].as_str().unwrap();
    assert!(links["expirationDate"].as_str().unwrap().ends_with('Z'));

    let client = crate::helpers::http_client();
    let zip = client
        .get(links["zip"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let by_bearer = get(
        &app,
        &format!("/user/orders/{order}/download"),
        Some(&token),
        &[],
    )
    .await;
    let names = |bytes: &[u8]| -> Vec<String> {
        super::zip::entries(bytes)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    };
    assert_eq!(
        names(&zip.bytes().await.unwrap()),
        names(&by_bearer.bytes().await.unwrap())
    );
    let metalink = client
        .get(links["metalink"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(metalink.status(), 200);
    assert!(metalink.text().await.unwrap().contains("<metalink"));

    // Another order's token opens nothing here; a bad one is a 401 saying so.
    let theirs = processed_order(&app, &other, "dataset:alpha").await;
    let foreign = format!("/user/orders/{theirs}/download?orderToken={order_token}");
    assert_eq!(get(&app, &foreign, None, &[]).await.status(), 401);
    let bad = format!("/user/orders/{order}/metalink/download?orderToken=nope");
    assert_eq!(get(&app, &bad, None, &[]).await.status(), 401);
    assert_eq!(
        get(&app, &format!("/user/orders/{order}/download"), None, &[])
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn the_sub_orders_of_an_order_are_listed_with_their_counts() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = processed_order(&app, &token, "dataset:alpha").await;
    let path = format!("/orders/{order}/filesTasks?size=2");
    let other = app.token("other@example.org", Role::RegisteredUser);
    assert_eq!(get(&app, &path, Some(&other), &[]).await.status(), 403);
    assert_eq!(get(&app, &path, None, &[]).await.status(), 401);
    let first: Value = get(&app, &path, Some(&token), &[])
        .await
        .json()
        .await
        .unwrap();
    let total = first["metadata"]["totalElements"].as_i64().unwrap();
    let all: Value = get(
        &app,
        &format!("/orders/{order}/filesTasks?size=100"),
        Some(&token),
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    let tasks = all["content"].as_array().unwrap();
    assert_eq!(tasks.len() as i64, total);
    assert!(total >= 2, "small sub-orders: {all}");
    assert_eq!(first["content"].as_array().unwrap().len(), 2);
    let files: i64 = tasks
        .iter()
        .map(|t| t["content"]["filesCount"].as_i64().unwrap())
        .sum();
    let ordered =
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM order_files WHERE order_id = $1")
            .bind(order)
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
    assert_eq!(files, ordered);
    for task in tasks {
        let task = &task["content"];
        assert_eq!(task["state"], "DONE", "{task}");
        let available = task["availableFilesCount"].as_i64().unwrap();
        assert_eq!(
            task["waitingForUser"],
            available > 0 && task["pendingFilesCount"] == 0
        );
    }
}
