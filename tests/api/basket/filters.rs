//! `PUT /order/basket/dataset/{id}/updateFileFilters`: the selection recounted under the filter, the
//! order expanded with it.

use serde_json::{Value, json};

use super::{add_ok, shape};
use crate::catalog::fixture::app_with_fixture;
use crate::helpers::TestApp;

async fn put_filter(app: &TestApp, token: &str, selection: i64, body: &str) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(&format!(
            "/order/basket/dataset/{selection}/updateFileFilters"
        )))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The basket of everything; returns the id of the Optical L1 selection (3 objects: opt-1 with 1.tif
/// (100 B) and the quicklook 1_ql.png (20 B), opt-2 with 2.tif (200 B), opt-3 with an external 3.tif
/// (500 B)).
async fn optical_selection(app: &TestApp, token: &str) -> i64 {
    let body = add_ok(app, token, json!({"selectAllOpenSearchRequest": ""})).await;
    body["content"]["datasetSelections"][0]["id"]
        .as_i64()
        .unwrap()
}

fn optical(body: &Value) -> (i64, i64, i64) {
    let selection = &body["content"]["datasetSelections"][0];
    assert_eq!(selection["datasetLabel"], "Optical L1");
    (
        selection["objectsCount"].as_i64().unwrap(),
        selection["filesCount"].as_i64().unwrap(),
        selection["filesSize"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn a_filter_recounts_the_selection_and_null_removes_it() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let id = optical_selection(&app, &token).await;
    let cases = [
        (r#"{"fileTypes": ["RAWDATA"]}"#, (3, 3, 800)),
        (r#"{"fileTypes": ["QUICKLOOK"]}"#, (1, 1, 20)),
        (
            r#"{"fileTypes": [], "fileNamePattern": "[12]\\.tif"}"#,
            (2, 2, 300),
        ),
        (r#"{"fileNamePattern": "1"}"#, (0, 0, 0)),
        (
            r#"{"fileTypes": ["RAWDATA", "QUICKLOOK"], "fileNamePattern": ".*1.*"}"#,
            (1, 2, 120),
        ),
    ];
    for (filter, expected) in cases {
        let (status, body) = put_filter(&app, &token, id, filter).await;
        assert_eq!(status, 200, "{filter}: {body}");
        assert_eq!(optical(&body), expected, "{filter}");
        let shown = &body["content"]["datasetSelections"][0]["fileSelectionDescription"];
        let asked: Value = serde_json::from_str(filter).unwrap();
        assert_eq!(
            shown["fileNamePattern"], asked["fileNamePattern"],
            "{filter}"
        );
        let items = &body["content"]["datasetSelections"][0]["itemsSelections"][0];
        assert_eq!(items["filesCount"], 4, "the item keeps what it selected");
        let radar = &body["content"]["datasetSelections"][1];
        assert_eq!(
            (
                radar["filesCount"].as_i64(),
                radar.get("fileSelectionDescription")
            ),
            (Some(1), None)
        );
    }
    let (status, body) = put_filter(&app, &token, id, "null").await;
    assert_eq!((status, optical(&body)), (200, (3, 4, 820)));
    assert!(
        body["content"]["datasetSelections"][0]
            .get("fileSelectionDescription")
            .is_none()
    );
    let (status, body) = put_filter(&app, &token, id, r#"{"fileTypes": []}"#).await;
    assert_eq!(
        (status, optical(&body)),
        (200, (3, 4, 820)),
        "keeps everything: no filter"
    );
    assert!(
        body["content"]["datasetSelections"][0]
            .get("fileSelectionDescription")
            .is_none()
    );
}

#[tokio::test]
async fn the_filter_stays_when_items_come_and_go() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let id = optical_selection(&app, &token).await;
    let (_, body) = put_filter(&app, &token, id, r#"{"fileTypes": ["RAWDATA"]}"#).await;
    assert_eq!(optical(&body), (3, 3, 800));
    let body = add_ok(
        &app,
        &token,
        json!({"selectAllOpenSearchRequest": "providerId:opt-1"}),
    )
    .await;
    assert_eq!(
        optical(&body),
        (3, 3, 800),
        "opt-1 again: counted once, filtered"
    );
    let date = body["content"]["datasetSelections"][0]["itemsSelections"][0]["date"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) =
        super::delete(&app, &token, &format!("/order/basket/dataset/{id}/{date}")).await;
    assert_eq!(status, 200);
    let (_, body) = super::basket(&app, &token).await;
    assert_eq!(
        optical(&body.unwrap()),
        (1, 1, 100),
        "only opt-1 left, its RAWDATA"
    );
}

#[tokio::test]
async fn bad_filters_unknown_selections_and_no_basket_are_told_apart() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    assert_eq!(
        put_filter(&app, &token, 1, "null").await.0,
        204,
        "no basket"
    );
    let id = optical_selection(&app, &token).await;
    let (status, body) = put_filter(&app, &token, id, r#"{"fileNamePattern": "([a-z"}"#).await;
    assert_eq!(status, 400);
    assert!(
        body["messages"][0]
            .as_str()
            .unwrap()
            .starts_with("Invalid fileNamePattern \"([a-z\""),
        "{body}"
    );
    let (status, body) = put_filter(&app, &token, id + 1000, "null").await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = put_filter(&app, &token, id, r#"{"fileTypes": ["THUMBNAIL"]}"#).await;
    assert_eq!(status, 422);
    let (status, _) = put_filter(&app, &token, id, "{not json").await;
    assert_eq!(status, 400);
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    add_ok(&app, &other, json!({"selectAllOpenSearchRequest": ""})).await;
    assert_eq!(
        put_filter(&app, &other, id, "null").await.0,
        404,
        "not the caller's selection"
    );
    assert_eq!(
        shape(&super::basket(&app, &token).await.1.unwrap())[0].2,
        4,
        "unchanged"
    );
}

#[tokio::test]
async fn the_order_holds_what_the_filter_keeps_and_its_task_shows_it() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let id = optical_selection(&app, &token).await;
    let filter = r#"{"fileTypes": ["RAWDATA"], "fileNamePattern": "[13]\\.tif"}"#;
    assert_eq!(
        optical(&put_filter(&app, &token, id, filter).await.1),
        (2, 2, 600)
    );
    let order = crate::orders::order_of_basket(&app, &token).await;
    let order_id = crate::orders::id_of(&order);
    app.run_pending_jobs().await;
    let names: Vec<(String, String)> = sqlx::query_as(
        "SELECT provider_id, filename FROM order_files WHERE order_id = $1 ORDER BY provider_id, filename",
    )
    .bind(order_id)
    .fetch_all(app.state.store.pool())
    .await
    .unwrap();
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(p, f)| (p.as_str(), f.as_str()))
        .collect();
    assert_eq!(
        names,
        [("opt-1", "1.tif"), ("opt-3", "3.tif"), ("rad-1", "1.nc")]
    );
    let (_, body) = crate::orders::get_order(&app, &token, order_id).await;
    let tasks = body["content"]["datasetTasks"].as_array().unwrap();
    let optical = tasks
        .iter()
        .find(|t| t["datasetLabel"] == "Optical L1")
        .unwrap();
    assert_eq!(
        optical["fileSelectionDescription"],
        serde_json::from_str::<Value>(filter).unwrap()
    );
    assert_eq!(
        (
            optical["filesCount"].as_i64(),
            optical["filesSize"].as_i64()
        ),
        (Some(2), Some(600))
    );
}

#[tokio::test]
async fn a_filter_that_keeps_nothing_orders_nothing() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    add_ok(
        &app,
        &token,
        json!({"selectAllOpenSearchRequest": "dataset:optical"}),
    )
    .await;
    let (_, body) = super::basket(&app, &token).await;
    let id = body.unwrap()["content"]["datasetSelections"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, body) = put_filter(&app, &token, id, r#"{"fileNamePattern": "none"}"#).await;
    assert_eq!((status, optical(&body)), (200, (0, 0, 0)));
    let order = crate::orders::order_of_basket(&app, &token).await;
    let order_id = crate::orders::id_of(&order);
    app.run_pending_jobs().await;
    let (status, ..) = crate::orders::progress(&app, &token, order_id).await;
    assert_eq!(status, "DONE_WITH_WARNING");
}

#[tokio::test]
async fn the_quota_counts_the_stored_rawdata_files_under_the_filter() {
    let app = app_with_fixture().await;
    let token = app.user_token();
    let id = optical_selection(&app, &token).await;
    let (_, body) = super::basket(&app, &token).await;
    let body = body.unwrap();
    // Optical: 1.tif and 2.tif stored, 3.tif external, 1_ql.png a quicklook; Radar: 1.nc stored.
    let quotas = |body: &Value| {
        let selections = &body["content"]["datasetSelections"];
        (
            selections[0]["quota"].as_i64(),
            selections[1]["quota"].as_i64(),
            body["content"]["quota"].as_i64(),
        )
    };
    assert_eq!(quotas(&body), (Some(2), Some(1), Some(3)));
    let (_, body) = put_filter(&app, &token, id, r#"{"fileNamePattern": "[13]\\.tif"}"#).await;
    assert_eq!(
        quotas(&body),
        (Some(1), Some(1), Some(2)),
        "3.tif is external"
    );
}

#[tokio::test]
async fn a_filter_on_types_counts_what_reading_the_files_counts() {
    // Types alone are summed from the object counters; with a pattern (here one every name matches) the
    // files are read: both ways must agree, quota included.
    let app = app_with_fixture().await;
    let token = app.user_token();
    let id = optical_selection(&app, &token).await;
    for types in [
        json!(["RAWDATA"]),
        json!(["QUICKLOOK"]),
        json!(["RAWDATA", "QUICKLOOK"]),
    ] {
        let counted = |pattern: Option<&str>| {
            let body = json!({"fileTypes": types, "fileNamePattern": pattern}).to_string();
            let (app, token) = (&app, &token);
            async move {
                let (status, basket) = put_filter(app, token, id, &body).await;
                assert_eq!(status, 200, "{body}");
                let selection = &basket["content"]["datasetSelections"][0];
                let keys = ["objectsCount", "filesCount", "filesSize", "quota"];
                keys.map(|key| selection[key].as_i64().unwrap())
            }
        };
        let from_counters = counted(None).await;
        assert_eq!(from_counters, counted(Some(".*")).await, "{types}");
        assert_ne!(from_counters, [0; 4], "{types}");
    }
}
