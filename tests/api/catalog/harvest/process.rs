//! `regards-order catalog import URL` as an operator runs it: the summary line of a local import, paths
//! and URLs on one command line, a non-zero exit naming the page that failed.

use std::process::Output;

use serde_json::json;

use super::api::{Paging, Plan, StacApi};
use super::{objects_in_database, search_total};
use crate::catalog::fixture::{archive_file, collection, item};
use crate::helpers::{TestApp, spawn_app};
use crate::process::regards_order;

/// `catalog import ARGS...` into the app's data dir and database.
async fn catalog_import(app: &TestApp, sources: &[&str]) -> Output {
    let data_dir = app.data_dir();
    let mut args = vec!["catalog", "import"];
    args.extend(sources);
    args.extend([
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ]);
    regards_order(&args).output().await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

#[tokio::test]
async fn a_harvest_prints_the_summary_line_of_a_local_import_and_mixes_with_paths() {
    let app = spawn_app().await;
    let api = StacApi::start(Plan::new(5, 7, Paging::Get)).await;
    let search = format!("{}/search", api.base);
    let output = catalog_import(&app, &[&search]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "imported 35, updated 0, rejected 0 (2 datasets, 35 files)"
    );
    assert_eq!(objects_in_database(&app).await, (35, 35));

    // A folder and the same API again: the folder's item is new, the harvested ones updated.
    let folder = app.data_dir().join("stac-local");
    std::fs::create_dir_all(&folder).unwrap();
    let href = archive_file(&app, "online", "local/1.dat", b"local");
    let lines = [
        collection("local", "Local").to_string(),
        item(
            "local-1",
            "local",
            json!({}),
            json!({"data": {"href": href}}),
        )
        .to_string(),
    ];
    std::fs::write(folder.join("local.ndjson"), lines.join("\n")).unwrap();
    let output = catalog_import(&app, &[folder.to_str().unwrap(), &search]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "imported 1, updated 35, rejected 0 (3 datasets, 36 files)"
    );
    assert_eq!(search_total(&app, "").await, 36);
}

#[tokio::test]
async fn a_harvest_failing_midway_exits_non_zero_naming_the_page_and_keeps_the_pages_before() {
    let app = spawn_app().await;
    let mut plan = Plan::new(5, 7, Paging::Get);
    plan.failures.insert(3, usize::MAX);
    let api = StacApi::start(plan).await;
    // The binary waits 1 s, 2 s and 4 s between the four attempts at page 3.
    let output = catalog_import(&app, &[&format!("{}/search", api.base)]).await;
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    let page_3 = format!(
        "GET {}/search?page=3 answered 500 Internal Server Error",
        api.base
    );
    assert!(stderr.contains(&page_3), "{stderr}");
    assert!(
        stderr.contains("what was read before is imported"),
        "{stderr}"
    );
    assert_eq!(
        text(&output.stdout),
        "imported 14, updated 0, rejected 0 (2 datasets, 14 files)"
    );
    assert_eq!(objects_in_database(&app).await, (14, 14));
    assert_eq!(api.pages_asked().get(&3), Some(&4));
}
