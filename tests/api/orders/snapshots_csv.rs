//! Snapshots of the operators' CSV of orders (`POST /orders/csv`, and the seed's `GET /orders` with
//! `Accept: text/csv`), with ids and dates replaced (`crate::snapshot`).

use serde_json::json;

use super::admin::four_orders;
use crate::helpers::TestApp;
use regards_order::auth::Role;

/// Each order's id, first on its line, becomes whose order it is.
fn settings_for(ids: [i64; 4]) -> insta::Settings {
    let mut settings = crate::snapshot::settings();
    let names = [
        "alice's order",
        "bob's order",
        "carol's order",
        "bob's deleted order",
    ];
    for (id, name) in ids.into_iter().zip(names) {
        settings.add_filter(&format!("(?m)^{id};"), format!("[{name}];"));
    }
    settings
}

async fn post_csv(app: &TestApp, body: Option<serde_json::Value>) -> String {
    let token = app.token("ops@example.org", Role::Exploit);
    let mut request = app.client.post(app.url("/orders/csv")).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    crate::snapshot::document(request.send().await.unwrap()).await
}

async fn get_csv(app: &TestApp, query: &str) -> String {
    let token = app.token("ops@example.org", Role::Exploit);
    let response = app
        .client
        .get(app.url(&format!("/orders{query}")))
        .bearer_auth(token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    crate::snapshot::document(response).await
}

#[tokio::test]
async fn the_orders_csv_is_as_the_snapshots_show() {
    let (app, ids) = four_orders().await;
    let all = post_csv(&app, None).await;
    assert_eq!(
        get_csv(&app, "").await,
        all,
        "the seed's GET sends the same CSV"
    );
    let of_bob = get_csv(&app, "?user=bob@b.org").await;
    let ended = post_csv(
        &app,
        Some(json!({"statuses": {"values": ["DONE", "DONE_WITH_WARNING"], "mode": "INCLUDE"}})),
    )
    .await;

    settings_for(ids).bind(|| {
        insta::assert_snapshot!("orders_csv", all);
        insta::assert_snapshot!("orders_csv_of_one_user", of_bob);
        insta::assert_snapshot!("orders_csv_of_ended_orders", ended);
    });
}
