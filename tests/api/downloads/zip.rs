//! The streamed zip of an order.

use std::io::{Cursor, Read};

use serde_json::Value;

use super::{get, processed_order, source};
use crate::helpers::TestApp;
use crate::orders::{app_with_orders_catalog, files_in, progress};

pub fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|n| {
            let mut entry = archive.by_index(n).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().to_string(), content)
        })
        .collect()
}

/// `GET /user/orders/{id}/download`, with a bearer token if any.
async fn zip_of(app: &TestApp, id: i64, token: Option<&str>) -> reqwest::Response {
    get(app, &format!("/user/orders/{id}/download"), token, &[]).await
}

#[tokio::test]
async fn the_zip_holds_every_available_file_and_marks_them_downloaded() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:alpha").await;
    let available = files_in(&app, id, "AVAILABLE").await.len();
    assert_eq!(available, 5, "alpha's four files and its external one");

    let response = zip_of(&app, id, Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with(&format!("attachment;filename=order_{id}_"))
            && disposition.ends_with("Z.zip"),
        "{disposition}"
    );
    assert!(!disposition.contains(':'), "{disposition}");
    let bytes = response.bytes().await.unwrap();
    the_entries_are_alphas_files_and_a_notice_for_the_external_one(&app, &bytes);
    the_zipped_files_are_downloaded_and_the_unreachable_one_in_error(&app, &token, id).await;

    let again = zip_of(&app, id, Some(&token)).await;
    assert_eq!(again.status(), 204, "nothing available any more");
}

fn the_entries_are_alphas_files_and_a_notice_for_the_external_one(app: &TestApp, zip: &[u8]) {
    let entries = entries(zip);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["1.dat", "2.dat", "3.dat", "4.dat", "NOTICE.txt"]);
    for n in 1..=4 {
        assert_eq!(
            entries[n - 1].1,
            source(app, "online", &format!("alpha/{n}.dat"))
        );
    }
    let notice = String::from_utf8(entries[4].1.clone()).unwrap();
    assert!(
        notice.starts_with("Failed to download file (e.dat): Error during file download:"),
        "{notice}"
    );
}

/// Recorded once the body went out: the zipped files DOWNLOADED, the unreachable one DOWNLOAD_ERROR.
async fn the_zipped_files_are_downloaded_and_the_unreachable_one_in_error(
    app: &TestApp,
    token: &str,
    id: i64,
) {
    crate::helpers::wait_until(
        std::time::Duration::from_secs(10),
        "the download to be recorded",
        || async { files_in(app, id, "AVAILABLE").await.is_empty() },
    )
    .await;
    assert_eq!(files_in(app, id, "DOWNLOADED").await.len(), 4);
    let failed: Vec<(String, String)> = sqlx::query_as(
        "SELECT filename, error FROM order_files WHERE order_id = $1 AND state = 'DOWNLOAD_ERROR'",
    )
    .bind(id)
    .fetch_all(app.state.store.pool())
    .await
    .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "e.dat");
    let (status, percent, available, _, waiting) = progress(app, token, id).await;
    assert_eq!(
        (status.as_str(), percent, available, waiting),
        ("DONE_WITH_WARNING", 100, 0, false)
    );
}

#[tokio::test]
async fn duplicate_names_get_a_number_and_downloads_free_the_next_sub_orders() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:beta OR dataset:gamma").await;
    let mut seen = Vec::new();
    for _ in 0..6 {
        let response = get(
            &app,
            &format!("/user/orders/{id}/download"),
            Some(&token),
            &[],
        )
        .await;
        if response.status() == 204 {
            break;
        }
        let bytes = response.bytes().await.unwrap();
        seen.extend(
            entries(&bytes)
                .into_iter()
                .map(|(name, _)| name)
                .filter(|n| n != "NOTICE.txt"),
        );
        crate::helpers::wait_until(
            std::time::Duration::from_secs(10),
            "the download to be recorded",
            || async { files_in(&app, id, "AVAILABLE").await.is_empty() },
        )
        .await;
        app.run_pending_jobs().await;
    }
    seen.sort();
    // beta-1, beta-3, gamma-1: the corrupt and the missing ones never became available.
    assert_eq!(seen.len(), 3, "{seen:?}");
    let (status, percent, ..) = progress(&app, &token, id).await;
    assert_eq!((status.as_str(), percent), ("DONE_WITH_WARNING", 100));

    // Within one zip, names repeat: `1.dat` from alpha and from gamma.
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    let id = processed_order(&app, &other, "providerId:alpha-1 OR providerId:gamma-1").await;
    let bytes = get(
        &app,
        &format!("/user/orders/{id}/download"),
        Some(&other),
        &[],
    )
    .await
    .bytes()
    .await
    .unwrap();
    let names: Vec<String> = entries(&bytes).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["1.dat", "1 (1).dat"]);
}

#[tokio::test]
async fn a_client_leaving_halfway_changes_nothing() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:alpha").await;
    // Far more than the socket buffers hold, so that the server is still writing when the client leaves.
    let big = app.data_dir().join("archive/online/alpha/1.dat");
    std::fs::write(&big, vec![7u8; 64 * 1024 * 1024]).unwrap();
    let mut response = get(
        &app,
        &format!("/user/orders/{id}/download"),
        Some(&token),
        &[],
    )
    .await;
    let first = response.chunk().await.unwrap();
    assert!(first.is_some());
    drop(response);
    // A zip counts only whole, and only after its connection stayed sound for the grace period: wait
    // well past it.
    tokio::time::sleep(regards_order::download::delivery::GRACE * 3).await;
    assert_eq!(files_in(&app, id, "AVAILABLE").await.len(), 5);
    assert!(files_in(&app, id, "DOWNLOADED").await.is_empty());
}

#[tokio::test]
async fn only_the_owner_or_an_admin_gets_the_zip_of_a_live_order() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:gamma").await;
    let other = app.token(
        "other@example.org",
        regards_order::auth::Role::RegisteredUser,
    );
    assert_eq!(zip_of(&app, id, Some(&other)).await.status(), 403);
    assert_eq!(zip_of(&app, id, None).await.status(), 401);
    let unknown: Value = get(&app, "/user/orders/999999/download", Some(&token), &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        unknown["messages"][0],
        "Entity fr.cnes.regards.modules.order.domain.Order with id : 999999 doesn't exist"
    );
    assert_eq!(
        zip_of(&app, id, Some(&app.admin_token())).await.status(),
        200
    );

    app.state
        .clock
        .advance(std::time::Duration::from_secs(3 * 86_400 + 1));
    app.run_pending_jobs().await;
    let token = app.user_token();
    let response = zip_of(&app, id, Some(&token)).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["messages"][0], format!("Order {id} has expired"));
}

#[tokio::test]
async fn the_zip_is_named_by_the_service_clock() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:alpha").await;
    app.state
        .clock
        .advance(std::time::Duration::from_secs(86_400));
    let token = app.user_token();
    let response = get(
        &app,
        &format!("/user/orders/{id}/download"),
        Some(&token),
        &[],
    )
    .await;
    let day = app
        .state
        .clock
        .now()
        .to_datetime()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!("attachment;filename=order_{id}_{day}T")),
        "{disposition} (the service's clock says {day})"
    );
}
