//! External files (http assets): fetched from their server as they are sent, whole or by range, in the
//! zip too; a failing server is a 502 and a DOWNLOAD_ERROR.

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::get;
use crate::catalog::fixture::{collection, import_folder, item};
use crate::helpers::{TestApp, spawn_app_with};
use crate::orders::{files_in, id_of, order_of};

pub const SIZE: usize = 100_000;

pub fn content() -> Vec<u8> {
    (0..SIZE).map(|n| (n * 7 % 251) as u8).collect()
}

/// A plain HTTP server holding `/ext/e.dat` (with `Range: bytes=a-b`) and `/ext/broken` (500); counts
/// the requests it serves.
async fn external_server() -> (String, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let file = move |headers: HeaderMap| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = content();
            let range = headers
                .get(header::RANGE)
                .and_then(|r| r.to_str().ok())
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.split_once('-'))
                .map(|(a, b)| (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()));
            match range {
                Some((start, end)) => (
                    StatusCode::PARTIAL_CONTENT,
                    [(header::CONTENT_RANGE, format!("bytes {start}-{end}/{SIZE}"))],
                    body[start..=end].to_vec(),
                )
                    .into_response(),
                None => body.into_response(),
            }
        }
    };
    let router = axum::Router::new()
        .route("/ext/e.dat", axum::routing::get(file))
        .route(
            "/ext/broken",
            axum::routing::get(|| async {
                Response::builder()
                    .status(500)
                    .body(axum::body::Body::from("down"))
                    .unwrap()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (address, served)
}

/// A catalog with one dataset `ext`: `ext-1` on the server above, `ext-2` on its broken path.
async fn app_with_external_files() -> (TestApp, Arc<AtomicUsize>) {
    let (server, served) = external_server().await;
    let app =
        spawn_app_with(|config| config.http_client.allow_hosts = vec!["127.0.0.1".into()]).await;
    let folder = app.data_dir().join("stac-external");
    std::fs::create_dir_all(&folder).unwrap();
    let lines = [
        collection("ext", "External").to_string(),
        item(
            "ext-1",
            "ext",
            json!({}),
            json!({"data": {"href": format!("{server}/ext/e.dat"), "file:size": SIZE}}),
        )
        .to_string(),
        item(
            "ext-2",
            "ext",
            json!({}),
            json!({"data": {"href": format!("{server}/ext/broken"), "file:size": 4}}),
        )
        .to_string(),
    ];
    std::fs::write(folder.join("catalog.ndjson"), lines.join("\n")).unwrap();
    let report = import_folder(&app, &folder).await;
    assert_eq!(report.imported, 2, "{:?}", report.problems);
    (app, served)
}

pub async fn file_of(app: &TestApp, order: i64, object: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM order_files WHERE order_id = $1 AND object_ip_id IN (SELECT ip_id FROM data_objects WHERE provider_id = $2)")
        .bind(order)
        .bind(object)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn external_files_are_relayed_whole_or_by_range_and_counted_once_whole() {
    let (app, served) = app_with_external_files().await;
    let token = app.user_token();
    let order = id_of(&order_of(&app, &token, "dataset:ext").await);
    app.run_pending_jobs().await;
    assert_eq!(files_in(&app, order, "AVAILABLE").await.len(), 2);
    let file = file_of(&app, order, "ext-1").await;

    // A range first: relayed with the server's Content-Range; the file stays AVAILABLE.
    let part = get(
        &app,
        &format!("/orders/files/{file}"),
        Some(&token),
        &[("range", "bytes=1000-1999")],
    )
    .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{SIZE}")
    );
    assert_eq!(part.headers()["content-length"], "1000");
    assert_eq!(part.bytes().await.unwrap(), content()[1000..2000]);
    assert!(files_in(&app, order, "AVAILABLE").await.contains(&file));

    // Whole: every byte, the headers of a local file, then DOWNLOADED.
    let whole = get(&app, &format!("/orders/files/{file}"), Some(&token), &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-length"], SIZE.to_string());
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert!(
        whole.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("e.dat")
    );
    assert_eq!(whole.bytes().await.unwrap(), content());
    crate::helpers::wait_until(
        std::time::Duration::from_secs(5),
        "the download recorded",
        || async { files_in(&app, order, "DOWNLOADED").await.contains(&file) },
    )
    .await;
    assert_eq!(served.load(Ordering::SeqCst), 2);

    // The broken one: 502 with the reason, DOWNLOAD_ERROR.
    let broken = file_of(&app, order, "ext-2").await;
    let response = get(&app, &format!("/orders/files/{broken}"), Some(&token), &[]).await;
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["messages"][0].as_str().unwrap().contains("500"),
        "{body}"
    );
    assert_eq!(files_in(&app, order, "DOWNLOAD_ERROR").await, [broken]);
}

#[tokio::test]
async fn the_zip_holds_external_files_and_notices_the_broken_ones() {
    let (app, _) = app_with_external_files().await;
    let token = app.user_token();
    let order = id_of(&order_of(&app, &token, "dataset:ext").await);
    app.run_pending_jobs().await;
    let response = get(
        &app,
        &format!("/user/orders/{order}/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let mut relayed = Vec::new();
    archive
        .by_name("e.dat")
        .unwrap()
        .read_to_end(&mut relayed)
        .unwrap();
    assert_eq!(relayed, content());
    let mut notice = String::new();
    archive
        .by_name("NOTICE.txt")
        .unwrap()
        .read_to_string(&mut notice)
        .unwrap();
    assert!(
        notice.starts_with("Failed to download file (broken)"),
        "{notice}"
    );
}
