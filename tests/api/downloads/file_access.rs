//! Who opens an order's files: order tokens on the public URLs, bearer tokens on the private ones; and
//! the listings of available files, whose URLs work.

use std::time::Duration;

use serde_json::Value;

use super::files::{get_file, settled, sub_order_of};
use super::{file_id, get, processed_order, source};
use crate::helpers::TestApp;
use crate::orders::app_with_orders_catalog;
use regards_order::auth::Role;

/// `GET /orders/public/files/{file}`, with `?orderToken=` if any.
async fn get_public_file(app: &TestApp, file: i64, order_token: Option<&str>) -> reqwest::Response {
    let query = order_token.map_or(String::new(), |token| format!("?orderToken={token}"));
    get(
        app,
        &format!("/orders/public/files/{file}{query}"),
        None,
        &[],
    )
    .await
}

#[tokio::test]
async fn order_tokens_open_the_files_of_their_order_only() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let mine = processed_order(&app, &token, "dataset:alpha").await;
    let other_user = app.token("other@example.org", Role::RegisteredUser);
    let theirs = processed_order(&app, &other_user, "dataset:alpha").await;
    let expires = app.state.clock.now().plus(Duration::from_secs(3600));
    let my_token = app
        .state
        .keys
        .order_token("user@example.org", mine, Some(expires));
    let my_file = file_id(&app, mine, "alpha-1").await;
    let their_file = file_id(&app, theirs, "alpha-1").await;

    let response = get_public_file(&app, my_file, Some(&my_token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.unwrap(),
        source(&app, "online", "alpha/1.dat")
    );
    let head = app
        .client
        .head(app.url(&format!(
            "/orders/public/files/{my_file}?orderToken={my_token}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    // Another order's file, with a token of mine, or of a forged owner: 401.
    let response = get_public_file(&app, their_file, Some(&my_token)).await;
    assert_eq!(response.status(), 401);
    let forged = app
        .state
        .keys
        .order_token("user@example.org", theirs, Some(expires));
    let response = get_public_file(&app, their_file, Some(&forged)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(get_public_file(&app, my_file, None).await.status(), 401);
    let response = get_public_file(&app, my_file, Some(&token)).await;
    assert_eq!(response.status(), 401);
    // With bearer tokens: another user's file is 403, an admin's is fine.
    let response = get_file(&app, &token, their_file, &[]).await;
    assert_eq!(response.status(), 403);
    let response = get_file(&app, &app.admin_token(), their_file, &[]).await;
    assert_eq!(response.status(), 200);
}

/// A page of a listing, as the user.
async fn page(app: &TestApp, token: &str, path: &str) -> Value {
    get(app, path, Some(token), &[]).await.json().await.unwrap()
}

#[tokio::test]
async fn the_listings_show_available_files_with_working_urls() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:alpha").await;
    let available = format!("/orders/{id}/files/available");
    let first_page = page(&app, &token, &format!("{available}?size=2")).await;
    assert_eq!(first_page["metadata"]["totalElements"], 5);
    assert_eq!(first_page["metadata"]["size"], 2);
    let first = &first_page["content"][0]["content"];
    assert_eq!(first["productId"], "alpha-1");
    let first_id = first["id"].as_i64().unwrap();

    let sub_order = sub_order_of(&app, first_id).await;
    let sub_order_page = page(
        &app,
        &token,
        &format!("/orders/{id}/filesTask/{sub_order}/files/available"),
    )
    .await;
    assert_eq!(sub_order_page["metadata"]["totalElements"], 2);
    the_dataset_listing_links_each_file(&app, &token, id).await;

    let other = app.token("other@example.org", Role::RegisteredUser);
    let response = get(&app, &available, Some(&other), &[]).await;
    assert_eq!(response.status(), 403);

    let url = first["downloadUrl"].as_str().unwrap();
    let response = app
        .client
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.unwrap(),
        source(&app, "online", "alpha/1.dat")
    );
    settled(&app, first_id, "DOWNLOADED").await;
    let after = page(&app, &token, &available).await;
    assert_eq!(
        after["metadata"]["totalElements"], 4,
        "one downloaded through its URL"
    );
}

async fn the_dataset_listing_links_each_file(app: &TestApp, token: &str, id: i64) {
    let task: i64 = sqlx::query_scalar("SELECT id FROM dataset_tasks WHERE order_id = $1")
        .bind(id)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    let page = page(app, token, &format!("/orders/{id}/dataset/{task}/files")).await;
    assert_eq!(page["metadata"]["totalElements"], 5);
    let file = &page["content"][0];
    assert_eq!(file["content"]["state"], "AVAILABLE");
    assert_eq!(
        file["content"]["ipId"],
        crate::catalog::fixture::object_ip_id("alpha", "alpha-1")
    );
    assert!(
        file["links"][0]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/orders/files/{}", file["content"]["id"]))
    );
}
