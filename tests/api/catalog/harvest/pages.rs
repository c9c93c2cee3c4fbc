//! Every item of every page, by either kind of next link; each Collection fetched once; remote assets
//! kept as external files; links to another server under the private-address rule.

use std::collections::HashMap;

use serde_json::json;

use super::api::{Paging, Plan, StacApi};
use super::{each_page_once, import, objects_in_database, search_total};
use crate::access::get_json;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_item_of_every_page_linked_by_get_is_imported_once() {
    let app = spawn_app().await;
    let api = StacApi::start(Plan::new(5, 7, Paging::Get)).await;
    let imported = import(&app, &[&format!("{}/search", api.base)]).await;
    assert_eq!(imported.stopped, None);
    let report = imported.report;
    assert_eq!(
        (report.imported, report.updated, report.rejected),
        (35, 0, 0),
        "{:?}",
        report.problems
    );
    assert_eq!((report.datasets, report.files), (2, 35));
    assert_eq!(api.pages_asked(), each_page_once(5));
    every_item_is_in_the_catalog_once(&app).await;
    collections_were_fetched_once_each(&api, &app).await;
    the_remote_assets_are_external_files(&app).await;
}

async fn every_item_is_in_the_catalog_once(app: &TestApp) {
    assert_eq!(objects_in_database(app).await, (35, 35));
    assert_eq!(search_total(app, "").await, 35);
    // Even items are in c1, odd ones in c2: 4 and 3 of each page of 7.
    assert_eq!(search_total(app, "dataset:c1").await, 20);
    assert_eq!(search_total(app, "dataset:c2").await, 15);
    for page in 1..=5 {
        for i in 0..7 {
            let q = format!("providerId:\"item-{page}-{i}\"");
            assert_eq!(search_total(app, &q).await, 1, "{q}");
        }
    }
}

/// c1 from its items' collection links, c2 from the API root; titles, descriptions and c2's
/// `regards:access` on the datasets.
async fn collections_were_fetched_once_each(api: &StacApi, app: &TestApp) {
    let once = HashMap::from([("c1".to_owned(), 1), ("c2".to_owned(), 1)]);
    assert_eq!(api.collections_asked(), once);
    let admin = app.admin_token();
    let (_, datasets) = get_json(app, &admin, "/catalog/datasets", &[]).await;
    let mut labels: Vec<(String, String)> = datasets["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["content"])
        .map(|d| (d["label"].to_string(), d["description"].to_string()))
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        [
            ("\"Collection One\"".into(), "\"All of c1\"".into()),
            ("\"Collection Two\"".into(), "\"All of c2\"".into())
        ]
    );
    let (status, c2) = get_json(app, &admin, "/access/datasets/c2", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        c2["content"]["rights"],
        json!([{"group": "g2", "level": "FULL_ACCESS"}])
    );
}

async fn the_remote_assets_are_external_files(app: &TestApp) {
    let q = [("q", "providerId:\"item-2-4\"")];
    let (_, found) = get_json(app, &app.admin_token(), "/catalog/search", &q).await;
    let files = &found["content"][0]["content"]["files"];
    assert_eq!(files.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(files[0]["reference"], true);
    assert_eq!(files[0]["uri"], "https://data.example.org/c1/item-2-4.tif");
    assert_eq!(files[0]["filesize"], 1004);
    assert_eq!(files[0].get("storage"), None);
}

#[tokio::test]
async fn post_next_links_send_their_body_merged_and_their_headers() {
    let app = spawn_app().await;
    // The server answers 400 to a page whose body is not the first body with the page's token, or
    // (from page 3 on, where the link says merge) that lacks the link's header.
    let api = StacApi::start(Plan::new(5, 7, Paging::Post)).await;
    let imported = import(&app, &[&format!("{}/search", api.base)]).await;
    assert_eq!(imported.stopped, None);
    assert_eq!(
        (imported.report.imported, imported.report.rejected),
        (35, 0)
    );
    assert_eq!(api.pages_asked(), each_page_once(5));
    assert_eq!(objects_in_database(&app).await, (35, 35));
    assert_eq!(search_total(&app, "").await, 35);
    assert_eq!(api.collections_asked().values().sum::<usize>(), 2);
}

#[tokio::test]
async fn an_items_endpoint_finds_its_collection_under_the_api_root() {
    let app = spawn_app().await;
    let api = StacApi::start(Plan::new(3, 4, Paging::Get)).await;
    let imported = import(&app, &[&format!("{}/collections/c1/items", api.base)]).await;
    assert_eq!(imported.stopped, None);
    assert_eq!(
        (imported.report.imported, imported.report.datasets),
        (12, 1)
    );
    assert_eq!(api.pages_asked(), each_page_once(3));
    assert_eq!(api.collections_asked(), HashMap::from([("c1".into(), 1)]));
    let (_, dataset) = get_json(&app, &app.admin_token(), "/catalog/datasets", &[]).await;
    assert_eq!(dataset["content"][0]["content"]["label"], "Collection One");
    assert_eq!(search_total(&app, "dataset:c1").await, 12);
}

#[tokio::test]
async fn a_next_link_to_another_server_on_a_private_address_needs_allow_hosts() {
    let mut plan = Plan::new(3, 2, Paging::Get);
    // The same server under another name: another origin than the typed URL's.
    plan.link_host = Some("localhost");
    let app = spawn_app().await;
    let api = StacApi::start(plan.clone()).await;
    let imported = import(&app, &[&format!("{}/search", api.base)]).await;
    let stopped = imported.stopped.expect("the link is refused");
    assert!(stopped.contains("localhost"), "{stopped}");
    assert!(stopped.contains("loopback"), "{stopped}");
    assert!(stopped.contains("allow_hosts"), "{stopped}");
    assert!(!stopped.contains("attempts"), "refused at once: {stopped}");
    assert_eq!(imported.report.imported, 2, "page 1 is kept");
    assert_eq!(api.pages_asked(), HashMap::from([(1, 1)]));

    let allowed = spawn_app_with(|c| c.http_client.allow_hosts = vec!["localhost".into()]).await;
    let api = StacApi::start(plan).await;
    let imported = import(&allowed, &[&format!("{}/search", api.base)]).await;
    assert_eq!(imported.stopped, None);
    assert_eq!(imported.report.imported, 6);
}

#[tokio::test]
async fn a_collection_the_api_does_not_have_is_noted_and_its_items_kept() {
    let app = spawn_app().await;
    let api = StacApi::start(Plan::new(2, 3, Paging::Get)).await;
    let imported = import(&app, &[&format!("{}/collections/c3/items", api.base)]).await;
    assert_eq!(imported.stopped, None);
    let report = imported.report;
    assert_eq!(
        (report.imported, report.rejected, report.datasets),
        (6, 0, 0)
    );
    let note = format!(
        "collection c3: GET {}/collections/c3 answered 404 Not Found; its dataset is named c3",
        api.base
    );
    assert_eq!(report.problems, [note]);
    assert_eq!(api.collections_asked(), HashMap::from([("c3".into(), 1)]));
    let (_, dataset) = get_json(&app, &app.admin_token(), "/catalog/datasets", &[]).await;
    assert_eq!(dataset["content"][0]["content"]["label"], "c3");
    assert_eq!(search_total(&app, "dataset:c3").await, 6);
}
