//! The catalog's resources on the fixture: search pages, summaries and datasets; who may read them.

use serde_json::Value;

use super::fixture::{app_with_fixture, dataset_ip_id};
use crate::helpers::TestApp;

#[tokio::test]
async fn search_pages_objects_with_their_files() {
    let app = app_with_fixture().await;
    let response = app
        .get_as(
            &app.user_token(),
            "/catalog/search",
            &[("q", "dataset:optical"), ("size", "2"), ("page", "1")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["metadata"],
        serde_json::json!({"size": 2, "totalElements": 3, "totalPages": 2, "number": 1})
    );
    let object = &body["content"][0]["content"];
    assert_eq!(object["providerId"], "opt-3");
    assert_eq!(object["label"], "Spot scene");
    assert_eq!(object["datasetLabel"], "Optical L1");
    assert_eq!(
        object["tags"],
        serde_json::json!([dataset_ip_id("optical")])
    );
    assert_eq!(object["properties"]["code"], "x:y");
    let file = &object["files"][0];
    assert_eq!(file["reference"], true);
    assert_eq!(file["uri"], "https://data.example.org/spot/3.tif");
    assert_eq!(file["filesize"], 500);
    let prev = &body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "prev")
        .unwrap()["href"];
    assert!(
        prev.as_str()
            .unwrap()
            .ends_with("/catalog/search?q=dataset%3Aoptical&page=0&size=2"),
        "{prev}"
    );
    stored_files_show_their_type_and_storage_not_their_path(&app).await;
}

async fn stored_files_show_their_type_and_storage_not_their_path(app: &TestApp) {
    let first: Value = app
        .get_as(
            &app.user_token(),
            "/catalog/search",
            &[("q", "providerId:opt-1")],
        )
        .await
        .json()
        .await
        .unwrap();
    let files = first["content"][0]["content"]["files"]
        .as_array()
        .unwrap()
        .clone();
    let types: Vec<&str> = files
        .iter()
        .map(|f| f["dataType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["RAWDATA", "QUICKLOOK_HD", "THUMBNAIL"]);
    assert_eq!(files[0]["storage"], "online");
    assert_eq!(files[0]["digestAlgorithm"], "MD5");
    assert!(
        files[0].get("uri").is_none(),
        "stored files do not show their path"
    );
}

#[tokio::test]
async fn summaries_count_orderable_files_per_dataset_and_type() {
    let app = app_with_fixture().await;
    let response = app.get_as(&app.user_token(), "/catalog/summary", &[]).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let summary = &body["content"];
    assert_eq!(summary["objectsCount"], 4);
    assert_eq!(summary["filesCount"], 5);
    assert_eq!(summary["filesSize"], 1120);
    let optical = &summary["datasets"][0];
    assert_eq!(optical["datasetLabel"], "Optical L1");
    assert_eq!(optical["datasetIpId"], dataset_ip_id("optical"));
    assert_eq!(
        (
            optical["objectsCount"].as_i64(),
            optical["filesCount"].as_i64(),
            optical["filesSize"].as_i64()
        ),
        (Some(3), Some(4), Some(820))
    );
    assert_eq!(
        optical["fileTypes"]["RAWDATA"],
        serde_json::json!({"filesCount": 3, "filesSize": 800})
    );
    assert_eq!(
        optical["fileTypes"]["QUICKLOOK_HD"],
        serde_json::json!({"filesCount": 1, "filesSize": 20})
    );
    assert_eq!(
        optical["fileTypes"]["QUICKLOOK_SD"],
        serde_json::json!({"filesCount": 0, "filesSize": 0})
    );
    let radar = &summary["datasets"][1];
    assert_eq!(radar["datasetLabel"], "Radar swath");
    assert_eq!(
        (
            radar["objectsCount"].as_i64(),
            radar["filesCount"].as_i64(),
            radar["filesSize"].as_i64()
        ),
        (Some(1), Some(1), Some(300))
    );

    let only_thumbnails: Value = app
        .get_as(
            &app.user_token(),
            "/catalog/summary",
            &[("q", "providerId:rad-2")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        only_thumbnails["content"]["datasets"],
        serde_json::json!([])
    );
    assert_eq!(only_thumbnails["content"]["objectsCount"], 0);
}

#[tokio::test]
async fn datasets_are_listed_by_label_with_their_object_counts() {
    let app = app_with_fixture().await;
    let body: Value = app
        .get_as(&app.user_token(), "/catalog/datasets", &[])
        .await
        .json()
        .await
        .unwrap();
    let labels: Vec<(&str, i64)> = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["content"]["label"].as_str().unwrap(),
                d["content"]["objectsCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(labels, [("Optical L1", 3), ("Radar swath", 2)]);
    assert_eq!(body["metadata"]["totalElements"], 2);
}

#[tokio::test]
async fn the_catalog_needs_a_registered_user() {
    let app = app_with_fixture().await;
    assert_eq!(app.get("/catalog/search").await.status(), 401);
    let public = app.token("anon@example.org", regards_order::auth::Role::Public);
    assert_eq!(
        app.get_as(&public, "/catalog/summary", &[]).await.status(),
        403
    );
}
