//! Orders: creation, processing in sub-orders, actions, expiry, emails.

mod actions;
mod admin;
mod admin_csv;
mod admin_search;
mod cache;
mod create;
mod lifecycle;
mod limits;
mod metrics;
mod retry;
mod scenario;
mod snapshots_csv;

use serde_json::{Value, json};

use crate::catalog::fixture::{archive_file, collection, import_folder, item};
use crate::helpers::{TestApp, spawn_app_with};

/// An app whose sub-orders hold at most 250 bytes, with a catalog of three datasets: `alpha` (4 online
/// objects of 100 bytes, and one external file), `beta` (3 nearline objects of 200 bytes, `beta-2` with a
/// wrong checksum) and `gamma` (2 online objects of 150 bytes, `gamma-2`'s file deleted after import).
pub async fn app_with_orders_catalog() -> TestApp {
    app_with_orders_catalog_and(|_| {}).await
}

/// The same, with more configuration.
pub async fn app_with_orders_catalog_and(
    configure: impl FnOnce(&mut regards_order::config::Config),
) -> TestApp {
    let app = spawn_app_with(|config| {
        config.orders.suborder_max_bytes = 250;
        // `alpha-ext` is on 127.0.0.1 (nothing listens there): a server down, not a refused address.
        config.http_client.allow_hosts = vec!["127.0.0.1".into()];
        configure(config);
    })
    .await;
    let folder = app.data_dir().join("stac-orders");
    std::fs::create_dir_all(&folder).unwrap();
    let mut lines = vec![
        collection("alpha", "Alpha").to_string(),
        collection("beta", "Beta").to_string(),
        collection("gamma", "Gamma").to_string(),
    ];
    lines.extend(alpha_items(&app));
    lines.extend(beta_items(&app));
    let (gamma, missing) = gamma_items(&app);
    lines.extend(gamma);
    std::fs::write(folder.join("catalog.ndjson"), lines.join("\n")).unwrap();
    let report = import_folder(&app, &folder).await;
    assert_eq!(
        (report.imported, report.rejected),
        (10, 0),
        "{:?}",
        report.problems
    );
    std::fs::remove_file(missing).unwrap();
    app
}

/// The STAC line of an item of the orders fixture.
fn fixture_item(id: &str, dataset: &str, n: usize, data: Value) -> String {
    item(id, dataset, json!({"n": n}), json!({ "data": data })).to_string()
}

/// `alpha`: 4 online objects of 100 bytes, and one external file.
fn alpha_items(app: &TestApp) -> Vec<String> {
    let mut lines = Vec::new();
    for n in 1..=4 {
        let href = archive_file(app, "online", &format!("alpha/{n}.dat"), &[n as u8; 100]);
        lines.push(fixture_item(
            &format!("alpha-{n}"),
            "alpha",
            n,
            json!({"href": href}),
        ));
    }
    // Port 9 of 127.0.0.1, an allowed host where nothing listens.
    let external = json!({"href": "http://127.0.0.1:9/ext/e.dat", "file:size": 10});
    lines.push(fixture_item("alpha-ext", "alpha", 5, external));
    lines
}

/// `beta`: 3 nearline objects of 200 bytes, `beta-2` with a wrong checksum.
fn beta_items(app: &TestApp) -> Vec<String> {
    let mut lines = Vec::new();
    for n in 1..=3 {
        let href = archive_file(app, "nearline", &format!("beta/{n}.dat"), &[n as u8; 200]);
        let mut data = json!({"href": href});
        if n == 2 {
            data["file:checksum"] = json!(format!("d510{}", "0".repeat(32)));
        }
        lines.push(fixture_item(&format!("beta-{n}"), "beta", n, data));
    }
    lines
}

/// `gamma`: 2 online objects of 150 bytes; with the path of `gamma-2`'s file, to delete after import.
fn gamma_items(app: &TestApp) -> (Vec<String>, String) {
    let mut lines = Vec::new();
    let mut missing = None;
    for n in 1..=2 {
        let href = archive_file(app, "online", &format!("gamma/{n}.dat"), &[n as u8; 150]);
        if n == 2 {
            missing = Some(href.clone());
        }
        lines.push(fixture_item(
            &format!("gamma-{n}"),
            "gamma",
            n,
            json!({"href": href}),
        ));
    }
    (lines, missing.unwrap())
}

pub async fn select(app: &TestApp, token: &str, query: &str) {
    let body = json!({"selectAllOpenSearchRequest": query});
    crate::basket::add_ok(app, token, body).await;
}

pub async fn create(app: &TestApp, token: &str, body: Option<Value>) -> reqwest::Response {
    let mut request = app.client.post(app.url("/user/orders")).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    request.send().await.unwrap()
}

/// Selects `query` and orders it; returns the order resource.
pub async fn order_of(app: &TestApp, token: &str, query: &str) -> Value {
    select(app, token, query).await;
    order_of_basket(app, token).await
}

/// Orders the basket as it is; returns the order resource.
pub async fn order_of_basket(app: &TestApp, token: &str) -> Value {
    let response = create(app, token, None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn get_order(app: &TestApp, token: &str, id: i64) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(&format!("/user/orders/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// (status, percentCompleted, availableFilesCount, filesInErrorCount, waitingForUser) of an order.
pub async fn progress(app: &TestApp, token: &str, id: i64) -> (String, i64, i64, i64, bool) {
    let (_, body) = get_order(app, token, id).await;
    let o = &body["content"];
    (
        o["status"].as_str().unwrap().to_owned(),
        o["percentCompleted"].as_i64().unwrap(),
        o["availableFilesCount"].as_i64().unwrap(),
        o["filesInErrorCount"].as_i64().unwrap(),
        o["waitingForUser"].as_bool().unwrap(),
    )
}

/// The order's sub-orders: (id, storage, state, files, pending, available).
pub async fn sub_orders(
    app: &TestApp,
    order_id: i64,
) -> Vec<(i64, Option<String>, String, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT id, storage, state, files_count, pending_files, available_files FROM sub_orders
         WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(app.state.store.pool())
    .await
    .unwrap()
}

/// The ids of the order's files in a state.
pub async fn files_in(app: &TestApp, order_id: i64, state: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM order_files WHERE order_id = $1 AND state = $2 ORDER BY id")
        .bind(order_id)
        .bind(state)
        .fetch_all(app.state.store.pool())
        .await
        .unwrap()
}

/// Downloads (through the store, as the download endpoints will) every available file of the order.
pub async fn download_available(app: &TestApp, order_id: i64) -> usize {
    let ids = files_in(app, order_id, "AVAILABLE").await;
    let moved = regards_order::orders::downloaded::files_sent(
        &app.state,
        order_id,
        &ids,
        regards_order::domain::order::FileState::Downloaded,
        None,
    )
    .await
    .unwrap();
    assert_eq!(moved.files as usize, ids.len());
    ids.len()
}

pub fn id_of(order: &Value) -> i64 {
    order["content"]["id"].as_i64().unwrap()
}

pub fn rels(order: &Value) -> Vec<String> {
    order["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap().to_owned())
        .collect()
}
