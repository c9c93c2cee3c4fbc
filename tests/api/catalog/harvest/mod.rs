//! `catalog import URL`: a STAC API harvested page by page (docs/decisions.md, "STAC API harvest"),
//! against the paged API of `api.rs`.

mod api;
mod failures;
mod pages;
mod process;

use std::time::Duration;

use regards_order::catalog::harvest::HarvestOptions;
use regards_order::catalog::sources::{ImportOptions, Imported, Source, import_sources};
use serde_json::Value;

use crate::helpers::TestApp;

/// The retry delays of the tests: a few milliseconds instead of 1 s, 2 s, 4 s.
pub const SHORT_DELAYS: [Duration; 3] = [
    Duration::from_millis(10),
    Duration::from_millis(20),
    Duration::from_millis(40),
];

/// Imports `sources` (URLs or paths) into the app as `catalog import` does, retrying quickly.
pub async fn import(app: &TestApp, sources: &[&str]) -> Imported {
    let sources: Vec<Source> = sources
        .iter()
        .map(|s| Source::parse(std::path::Path::new(s)).unwrap())
        .collect();
    let options = ImportOptions {
        show_progress: false,
        harvest: HarvestOptions {
            retry_delays: SHORT_DELAYS.to_vec(),
            ..HarvestOptions::default()
        },
    };
    import_sources(
        app.state.store.clone(),
        &app.state.config,
        &app.state.http,
        &sources,
        app.state.clock.now(),
        &options,
    )
    .await
    .unwrap()
}

/// Rows of `data_objects`, and how many distinct items they are.
pub async fn objects_in_database(app: &TestApp) -> (i64, i64) {
    sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT provider_id) FROM data_objects")
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

/// `totalElements` of `/catalog/search?q=<q>` for an admin.
pub async fn search_total(app: &TestApp, q: &str) -> u64 {
    let response = app
        .get_as(
            &app.admin_token(),
            "/catalog/search",
            &[("q", q), ("size", "1")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["metadata"]["totalElements"].as_u64().unwrap()
}

/// Every page of 1..=pages asked exactly once.
pub fn each_page_once(pages: usize) -> std::collections::HashMap<usize, usize> {
    (1..=pages).map(|page| (page, 1)).collect()
}
