//! The catalog and the basket from the command line and across server processes.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::*;
use crate::helpers::{TestDatabase, spawn_app};

#[tokio::test]
async fn serve_demo_prints_tokens_that_open_the_demo_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let mut child = regards_order(&[
        "serve",
        "--demo",
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "--database-url",
        &database.url,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let (address, token) = the_demo_welcome(&mut child).await;
    let search: serde_json::Value = fetch_json(
        &format!("{address}/catalog/search?q=dataset:synthetic-1"),
        &token,
    )
    .await;
    assert_eq!(search["metadata"]["totalElements"], 150, "{search}");
    let summary: serde_json::Value =
        fetch_json(&format!("{address}/catalog/summary"), &token).await;
    assert_eq!(summary["content"]["objectsCount"], 300, "{summary}");
    assert_eq!(summary["content"]["filesCount"], 600);
    signal(&child, "-TERM");
    assert!(
        wait_exit(&mut child, Duration::from_secs(15))
            .await
            .success()
    );

    // A second start on the same data dir finds the catalog and imports nothing more.
    let (mut again, address) = start_serve(&dir.path().join("data"), &database.url).await;
    let datasets: serde_json::Value =
        fetch_json(&format!("{address}/catalog/datasets"), &token).await;
    assert_eq!(
        datasets["metadata"]["totalElements"], 2,
        "the token survives the restart: {datasets}"
    );
    signal(&again, "-TERM");
    wait_exit(&mut again, Duration::from_secs(15)).await;
}

/// Reads what `serve --demo` prints up to its third curl example: the address it listens on and the
/// user token it printed.
async fn the_demo_welcome(child: &mut Child) -> (String, String) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut address, mut token, mut curl_lines) = (None, None, 0);
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("regards-order listening on ") {
                address = Some(rest.to_owned());
            }
            if let Some(rest) = line.trim().strip_prefix("export USER_TOKEN=") {
                token = Some(rest.to_owned());
            }
            if line.trim().starts_with("curl ") {
                curl_lines += 1;
                if curl_lines == 3 {
                    break;
                }
            }
        }
    })
    .await
    .expect("the demo did not print its welcome in time");
    (address.unwrap(), token.unwrap())
}

#[tokio::test]
async fn catalog_generate_then_import_from_the_command_line() {
    let app = spawn_app().await;
    let data_dir = app.data_dir();
    let archive = data_dir.join("archive");
    let output = regards_order(&[
        "catalog",
        "generate",
        "--out",
        archive.to_str().unwrap(),
        "--datasets",
        "3",
        "--objects",
        "30",
        "--files-per-object",
        "3",
        "--file-size",
        "0",
        "--nearline-share",
        "0.5",
        "--seed",
        "9",
    ])
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("generated 30 objects"));
    import_imports_updates_and_says_what_failed(&app, &archive).await;
}

/// `catalog import` of `path` into the app's data dir and database.
async fn import(app: &TestApp, path: &Path) -> std::process::Output {
    let data_dir = app.data_dir();
    regards_order(&[
        "catalog",
        "import",
        path.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ])
    .output()
    .await
    .unwrap()
}

/// `archive` holds a generated catalog of 30 objects in 3 datasets.
async fn import_imports_updates_and_says_what_failed(app: &TestApp, archive: &Path) {
    let output = import(app, &archive.join("stac")).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 30, updated 0, rejected 0 (3 datasets, 90 files)"
    );

    let output = import(app, &archive.join("stac/items-2.ndjson")).await;
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 0, updated 10, rejected 0 (0 datasets, 30 files)"
    );

    let output = import(app, Path::new("/no/such/folder")).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/folder does not exist"));

    // An item that cannot be read makes the command fail, after importing the rest.
    let broken = app.data_dir().join("broken.ndjson");
    std::fs::write(&broken, "{\"type\": \"Feature\"}\n").unwrap();
    let output = import(app, &broken).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("1 items could not be imported"));
}

#[tokio::test]
async fn a_generated_catalog_outside_the_storage_roots_says_how_to_configure_them() {
    let app = spawn_app().await;
    let out = app.data_dir().join("generated");
    let output = regards_order(&[
        "catalog",
        "generate",
        "--out",
        out.to_str().unwrap(),
        "--objects",
        "20",
        "--file-size",
        "0",
    ])
    .output()
    .await
    .unwrap();
    assert!(output.status.success());
    let output = regards_order(&[
        "catalog",
        "import",
        out.join("stac").to_str().unwrap(),
        "--data-dir",
        app.data_dir().to_str().unwrap(),
        "--database-url",
        app.database_url(),
    ])
    .output()
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("None of the files is under a configured storage root"),
        "{stderr}"
    );
    let online_root = app.data_dir().join("archive/online");
    assert!(
        stderr.contains(&online_root.display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains("root = \"DIR/online\""), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("40 assets skipped"));
}

#[tokio::test]
async fn adds_racing_through_two_server_processes_all_land() {
    let app = crate::catalog::fixture::app_with_fixture().await;
    let data_dir = app.data_dir();
    let (mut first, first_address) = start_serve(&data_dir, app.database_url()).await;
    let (mut second, second_address) = start_serve(&data_dir, app.database_url()).await;
    let token = app.user_token();
    let client = crate::helpers::http_client();
    let adds = (0..20).map(|n| {
        let address = if n % 2 == 0 {
            &first_address
        } else {
            &second_address
        };
        let request = client
            .post(format!("{address}/order/basket/selection"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"selectAllOpenSearchRequest": "dataset:optical"}"#)
            .send();
        async move { request.await.unwrap().status() }
    });
    for status in futures::future::join_all(adds).await {
        assert_eq!(status, 200);
    }
    let body: serde_json::Value =
        fetch_json(&format!("{first_address}/order/basket"), &token).await;
    let selections = body["content"]["datasetSelections"].as_array().unwrap();
    assert_eq!(
        selections.len(),
        1,
        "one basket, one dataset selection: {body}"
    );
    let dates: std::collections::HashSet<&str> = selections[0]["itemsSelections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates.len(), 20);
    for child in [&mut first, &mut second] {
        signal(child, "-TERM");
        wait_exit(child, Duration::from_secs(15)).await;
    }
}
