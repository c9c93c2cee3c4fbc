//! Metalinks 3 and 4, private and public.

use std::time::Duration;

use serde_json::Value;

use super::{get, processed_order};
use crate::helpers::TestApp;
use crate::orders::{app_with_orders_catalog, files_in, id_of, order_of};

/// (name, url) of each file of a metalink, in order.
pub fn files_of(xml: &str) -> Vec<(String, String)> {
    xml.split("<file name=\"")
        .skip(1)
        .map(|part| {
            let name = part.split('"').next().unwrap().to_owned();
            let url = part
                .split("<url")
                .nth(1)
                .unwrap()
                .split('>')
                .nth(1)
                .unwrap()
                .split("</url")
                .next()
                .unwrap();
            (name, url.replace("&amp;", "&"))
        })
        .collect()
}

/// The private metalink of an order.
async fn metalink(app: &TestApp, id: i64, token: &str) -> reqwest::Response {
    get(
        app,
        &format!("/user/orders/{id}/metalink/download"),
        Some(token),
        &[],
    )
    .await
}

/// The public metalink, opened with `orderToken` alone.
async fn public_metalink(app: &TestApp, order_token: &str) -> reqwest::Response {
    get(
        app,
        &format!("/user/orders/metalink/download?orderToken={order_token}"),
        None,
        &[],
    )
    .await
}

#[tokio::test]
async fn the_metalink_lists_every_file_not_in_error_with_a_public_url() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "").await;
    let response = metalink(&app, id, &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/metalink+xml"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with(&format!("attachment;filename=order_{id}_"))
            && disposition.ends_with(".metalink")
    );
    let xml = response.text().await.unwrap();
    assert!(
        xml.contains("<metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\""),
        "{xml}"
    );
    let listed = files_of(&xml);
    the_files_are_those_not_in_error_with_unique_names(&app, id, &xml, &listed).await;
    let order_token = the_urls_are_public_with_a_token_for_the_order(&app, id, &listed);
    metalink_4_is_asked_by_query_or_by_accept(&app, id, &token, listed.len()).await;

    // The public metalink opens with the token alone.
    let public = public_metalink(&app, &order_token).await;
    assert_eq!(public.status(), 200);
    assert_eq!(files_of(&public.text().await.unwrap()).len(), listed.len());
}

async fn the_files_are_those_not_in_error_with_unique_names(
    app: &TestApp,
    id: i64,
    xml: &str,
    listed: &[(String, String)],
) {
    let errors = files_in(app, id, "ERROR").await.len();
    assert_eq!(
        listed.len(),
        10 - errors,
        "pending and available files, not those in error"
    );
    let mut names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), listed.len(), "unique names: {listed:?}");
    assert!(xml.contains("<hash type=\"md5\">"), "{xml}");
    assert!(xml.contains("<size>100</size>"), "{xml}");
}

/// Checks the first file's URL; returns its order token.
fn the_urls_are_public_with_a_token_for_the_order(
    app: &TestApp,
    id: i64,
    listed: &[(String, String)],
) -> String {
    let (_, url) = &listed[0];
    let prefix = format!("{}/orders/public/files/", app.address);
    assert!(
        url.starts_with(&prefix) && url.contains("?orderToken="),
        "{url}"
    );
    let order_token = url.split("orderToken=").nth(1).unwrap();
    let grant = app
        .state
        .keys
        .verify_order(order_token, app.state.clock.now())
        .unwrap();
    assert_eq!(grant.order_id, id);
    order_token.to_owned()
}

async fn metalink_4_is_asked_by_query_or_by_accept(
    app: &TestApp,
    id: i64,
    token: &str,
    files: usize,
) {
    for (path, accept) in [
        (
            format!("/user/orders/{id}/metalink/download?format=meta4"),
            "*/*",
        ),
        (
            format!("/user/orders/{id}/metalink/download"),
            "application/metalink4+xml",
        ),
    ] {
        let response = get(app, &path, Some(token), &[("accept", accept)]).await;
        assert_eq!(
            response.headers()["content-type"],
            "application/metalink4+xml"
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .ends_with(".meta4")
        );
        let xml = response.text().await.unwrap();
        assert!(
            xml.contains("<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\""),
            "{xml}"
        );
        assert_eq!(files_of(&xml).len(), files);
    }
}

#[tokio::test]
async fn bad_tokens_strangers_and_ended_orders_are_refused() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:gamma").await;
    strangers_and_bad_tokens_are_refused(&app, &token, id).await;
    failed_deleted_and_pending_orders_have_no_metalink(&app, &token).await;
    an_expired_order_has_none_even_with_a_valid_token(&app, id).await;
}

async fn strangers_and_bad_tokens_are_refused(app: &TestApp, token: &str, id: i64) {
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    assert_eq!(metalink(app, id, &other).await.status(), 403);
    for query in ["", "?orderToken=", "?orderToken=garbage"] {
        let response = get(
            app,
            &format!("/user/orders/metalink/download{query}"),
            None,
            &[],
        )
        .await;
        assert_eq!(response.status(), 401, "{query}");
    }
    let expired = app.state.keys.order_token(
        "user@example.org",
        id,
        Some(regards_order::time::Timestamp(1000)),
    );
    assert_eq!(public_metalink(app, &expired).await.status(), 401);
    // A token claiming another owner for this order opens nothing.
    let forged = app.state.keys.order_token(
        "other@example.org",
        id,
        Some(app.state.clock.now().plus(Duration::from_secs(60))),
    );
    assert_eq!(public_metalink(app, &forged).await.status(), 401);
    // An access token is not an order token.
    assert_eq!(public_metalink(app, token).await.status(), 401);
}

async fn set_status(app: &TestApp, id: i64, status: &str) {
    sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(app.state.store.pool())
        .await
        .unwrap();
}

/// The first message of an error body.
async fn message(response: reqwest::Response) -> Value {
    let body: Value = response.json().await.unwrap();
    body["messages"][0].clone()
}

async fn failed_deleted_and_pending_orders_have_no_metalink(app: &TestApp, token: &str) {
    let failed = id_of(&order_of(app, token, "dataset:beta").await);
    set_status(app, failed, "FAILED").await;
    let response = metalink(app, failed, token).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        message(response).await,
        format!("Order {failed} is FAILED: it has no files to download")
    );
    set_status(app, failed, "DELETED").await;
    assert_eq!(metalink(app, failed, token).await.status(), 404);

    // Nor has an order not yet expanded (REGARDS' PENDING).
    let pending = id_of(&order_of(app, token, "dataset:alpha").await);
    let response = metalink(app, pending, token).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        message(response).await,
        format!("Order {pending} is still being prepared: its files are not listed yet")
    );
}

async fn an_expired_order_has_none_even_with_a_valid_token(app: &TestApp, id: i64) {
    let live = app.state.keys.order_token(
        "user@example.org",
        id,
        Some(app.state.clock.now().plus(Duration::from_secs(30 * 86_400))),
    );
    app.state.clock.advance(Duration::from_secs(3 * 86_400 + 1));
    app.run_pending_jobs().await;
    let response = public_metalink(app, &live).await;
    assert_eq!(response.status(), 404);
    assert_eq!(message(response).await, format!("Order {id} has expired"));
}
