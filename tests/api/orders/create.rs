//! Creating orders: from the basket, labels, bodies, expansion counts.

use std::time::Duration;

use serde_json::{Value, json};

use super::{app_with_orders_catalog, create, get_order, id_of, order_of, progress, rels, select};
use crate::helpers::TestApp;

#[tokio::test]
async fn an_order_consumes_the_basket_and_starts_running() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    select(&app, &token, "").await;
    let response = create(
        &app,
        &token,
        Some(json!({"label": "My order", "onSuccessUrl": "/orders/mine"})),
    )
    .await;
    assert_eq!(response.status(), 200);
    let order: Value = response.json().await.unwrap();
    a_new_order_runs_and_expires_three_days_after_its_creation(&order["content"]);
    assert_eq!(
        dataset_tasks(&order["content"]),
        [
            ("Alpha".into(), 5, 5, 410),
            ("Beta".into(), 3, 3, 600),
            ("Gamma".into(), 2, 2, 300)
        ],
        "the basket's counts"
    );
    assert_eq!(rels(&order), ["self", "list", "pause"]);
    let (status, _) = crate::basket::basket(&app, &token).await;
    assert_eq!(status, 204, "the basket is consumed");
    let (status, none) = (create(&app, &token, None).await.status(), ());
    assert_eq!((status.as_u16(), none), (204, ()), "no basket: 204");
}

fn a_new_order_runs_and_expires_three_days_after_its_creation(content: &Value) {
    assert_eq!(content["owner"], "user@example.org");
    assert_eq!(content["label"], "My order");
    assert_eq!(content["status"], "RUNNING");
    assert_eq!(
        (
            content["percentCompleted"].as_i64(),
            content["availableFilesCount"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(content["waitingForUser"], false);
    let created =
        regards_order::time::Timestamp::parse_iso(content["creationDate"].as_str().unwrap())
            .unwrap();
    let expires =
        regards_order::time::Timestamp::parse_iso(content["expirationDate"].as_str().unwrap())
            .unwrap();
    assert_eq!(
        expires.millis() - created.millis(),
        3 * 86_400_000,
        "creation + 3 days"
    );
    assert_eq!(content["statusDate"], content["creationDate"]);
}

/// (datasetLabel, objectsCount, filesCount, filesSize) of each dataset task of an order.
fn dataset_tasks(content: &Value) -> Vec<(String, i64, i64, i64)> {
    content["datasetTasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let n = |k: &str| t[k].as_i64().unwrap();
            (
                t["datasetLabel"].as_str().unwrap().to_owned(),
                n("objectsCount"),
                n("filesCount"),
                n("filesSize"),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_empty_basket_is_a_204() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    select(&app, &token, "dataset:alpha").await;
    let (_, basket) = crate::basket::basket(&app, &token).await;
    let selection = basket.unwrap()["content"]["datasetSelections"][0]["id"]
        .as_i64()
        .unwrap();
    crate::basket::delete(&app, &token, &format!("/order/basket/dataset/{selection}")).await;
    assert_eq!(create(&app, &token, None).await.status(), 204);
}

async fn error(app: &TestApp, token: &str, body: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/user/orders"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn labels_are_checked_or_generated_unique() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    select(&app, &token, "dataset:gamma").await;
    let long = "x".repeat(51);
    let body = json!({"label": long}).to_string();
    assert_eq!(
        error(&app, &token, &body).await,
        (422, json!({"messages": ["TOO_MANY_CHARACTERS_IN_LABEL"]}))
    );
    let first = create(&app, &token, Some(json!({"label": "x".repeat(50)}))).await;
    assert_eq!(first.status(), 200, "50 characters are fine");

    select(&app, &token, "dataset:gamma").await;
    let body = json!({"label": "x".repeat(50)}).to_string();
    assert_eq!(
        error(&app, &token, &body).await,
        (422, json!({"messages": ["LABEL_NOT_UNIQUE_FOR_OWNER"]}))
    );
    let generated: Value = create(&app, &token, None).await.json().await.unwrap();
    let label = generated["content"]["label"].as_str().unwrap().to_owned();
    assert!(
        label.starts_with("Order of ") && label.len() == "Order of 2026/11/26 at 19:32:48".len(),
        "{label}"
    );
    a_generated_label_already_taken_is_made_unique(&app, &token, &label).await;

    // Another owner may use the same label.
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    select(&app, &other, "dataset:gamma").await;
    assert_eq!(
        create(&app, &other, Some(json!({"label": "x".repeat(50)})))
            .await
            .status(),
        200
    );
}

/// `label` is the generated label of an order of the user's already.
async fn a_generated_label_already_taken_is_made_unique(app: &TestApp, token: &str, label: &str) {
    // A collision made certain whatever the seconds: the labels of the next seconds are taken already.
    let now = app.state.clock.now();
    for second in 0..5 {
        let taken = regards_order::domain::order::generated_label(regards_order::time::Timestamp(
            now.millis() + second * 1000,
        ));
        if taken != label {
            select(app, token, "dataset:gamma").await;
            let explicit = create(app, token, Some(json!({"label": taken}))).await;
            assert_eq!(explicit.status(), 200);
        }
    }
    select(app, token, "dataset:gamma").await;
    let again: Value = create(app, token, Some(json!({})))
        .await
        .json()
        .await
        .unwrap();
    let again = again["content"]["label"].as_str().unwrap();
    assert!(
        again.starts_with("Order of ") && again.ends_with(" (1)"),
        "a generated label already taken is made unique: {again}"
    );
}

#[tokio::test]
async fn bodies_are_optional_and_checked() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    select(&app, &token, "dataset:gamma").await;
    let (status, body) = error(&app, &token, "{\"label\": ").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = error(&app, &token, "{\"label\": 5}").await;
    assert_eq!(status, 422, "{body}");
    let plain = app
        .client
        .post(app.url("/user/orders"))
        .bearer_auth(&token)
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200, "no body, no content type");
}

#[tokio::test]
async fn expansion_replaces_the_basket_counts_with_exact_ones() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = order_of(&app, &token, "dataset:alpha OR dataset:gamma").await;
    let id = id_of(&order);
    // The basket counted gamma-2, whose file has gone since: the order counts what it finds.
    app.run_pending_jobs().await;
    let (_, body) = get_order(&app, &token, id).await;
    let tasks = body["content"]["datasetTasks"].as_array().unwrap().clone();
    assert_eq!(tasks[0]["filesCount"], 5);
    assert_eq!(tasks[0]["filesSize"], 410);
    assert_eq!(tasks[1]["objectsCount"], 2);
    let (status, percent, available, errors, waiting) = progress(&app, &token, id).await;
    assert_eq!(status, "RUNNING");
    assert_eq!(
        (available, errors, waiting),
        (5, 0, true),
        "alpha's two sub-orders and its external file"
    );
    assert_eq!(percent, 100 * (400 + 10) / 710, "by bytes");
}

#[tokio::test]
async fn an_order_finding_no_file_ends_with_a_warning() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = order_of(&app, &token, "dataset:gamma").await;
    // Re-imported before the expansion, gamma's objects keep only a thumbnail.
    app.state.clock.advance(Duration::from_secs(1));
    let folder = app.data_dir().join("stac-thumbnails");
    std::fs::create_dir_all(&folder).unwrap();
    let href = crate::catalog::fixture::archive_file(&app, "online", "gamma/t.png", b"t");
    let lines: Vec<String> = (1..=2)
        .map(|n| {
            let assets = json!({"thumbnail": {"href": href, "roles": ["thumbnail"]}});
            crate::catalog::fixture::item(&format!("gamma-{n}"), "gamma", json!({}), assets)
                .to_string()
        })
        .collect();
    std::fs::write(folder.join("t.ndjson"), lines.join("\n")).unwrap();
    crate::catalog::fixture::import_folder(&app, &folder).await;
    app.run_pending_jobs().await;
    let (_, body) = get_order(&app, &token, id_of(&order)).await;
    assert_eq!(body["content"]["status"], "DONE_WITH_WARNING");
    assert_eq!(
        body["content"]["message"],
        "The selection no longer matches any orderable file"
    );
}

#[tokio::test]
async fn a_catalog_failure_fails_the_order_with_its_message() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let order = order_of(&app, &token, "dataset:gamma").await;
    sqlx::query("UPDATE dataset_tasks SET open_search_request = 'nope:1' WHERE order_id = $1")
        .bind(id_of(&order))
        .execute(app.state.store.pool())
        .await
        .unwrap();
    app.run_pending_jobs().await;
    let (_, body) = get_order(&app, &token, id_of(&order)).await;
    assert_eq!(body["content"]["status"], "FAILED");
    assert_eq!(
        body["content"]["message"],
        "The catalog cannot run the selection of Gamma: unknown field 'nope' at column 1"
    );
}

#[tokio::test]
async fn the_list_is_the_callers_newest_first_without_deleted_orders() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(id_of(&order_of(&app, &token, "dataset:gamma").await));
        app.state.clock.advance(Duration::from_secs(1));
    }
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    order_of(&app, &other, "dataset:gamma").await;
    // The oldest is paused then deleted: it leaves the list.
    let pause = app
        .client
        .put(app.url(&format!("/user/orders/pause/{}", ids[0])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(pause.status(), 200);
    let delete = app
        .client
        .delete(app.url(&format!("/user/orders/{}", ids[0])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 200);

    let page: Value = app
        .get_as(&token, "/user/orders", &[("size", "1"), ("page", "1")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["metadata"],
        json!({"size": 1, "totalElements": 2, "totalPages": 2, "number": 1})
    );
    assert_eq!(page["content"][0]["content"]["id"], ids[1]);
    let all: Value = app
        .get_as(&token, "/user/orders", &[])
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<i64> = all["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["content"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [ids[2], ids[1]]);
}
