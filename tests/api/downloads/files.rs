//! Single files: states, headers, ranges, errors. Tokens and listings are in `file_access`.

use std::time::Duration;

use serde_json::Value;

use super::{file_id, get, processed_order, source};
use crate::helpers::{TestApp, wait_until};
use crate::orders::app_with_orders_catalog;

pub(super) async fn state_of(app: &TestApp, file: i64) -> String {
    sqlx::query_scalar("SELECT state FROM order_files WHERE id = $1")
        .bind(file)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

async fn sent_ranges(app: &TestApp, file: i64) -> Option<String> {
    sqlx::query_scalar("SELECT sent_ranges FROM order_files WHERE id = $1")
        .bind(file)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

pub(super) async fn settled(app: &TestApp, file: i64, state: &str) {
    wait_until(Duration::from_secs(10), state, || async {
        state_of(app, file).await == state
    })
    .await;
}

/// `GET /orders/files/{file}` with a bearer token and more headers.
pub(super) async fn get_file(
    app: &TestApp,
    token: &str,
    file: i64,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    get(app, &format!("/orders/files/{file}"), Some(token), headers).await
}

/// The first message of an error body.
async fn message(response: reqwest::Response) -> Value {
    let body: Value = response.json().await.unwrap();
    body["messages"][0].clone()
}

/// The sub-order of an order's file.
pub(super) async fn sub_order_of(app: &TestApp, file: i64) -> i64 {
    sqlx::query_scalar("SELECT sub_order_id FROM order_files WHERE id = $1")
        .bind(file)
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_file_is_served_whole_or_by_ranges_and_downloaded_once_covered() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:alpha").await;
    let file = file_id(&app, id, "alpha-2").await;
    let content = source(&app, "online", "alpha/2.dat");

    let head = app
        .client
        .head(app.url(&format!("/orders/files/{file}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "100");
    assert_eq!(state_of(&app, file).await, "AVAILABLE", "HEAD never counts");

    a_part_is_served_with_its_headers_and_recorded(&app, &token, file, &content).await;
    let rest = get_file(&app, &token, file, &[("range", "bytes=40-")]).await;
    assert_eq!(rest.status(), 206);
    assert_eq!(rest.bytes().await.unwrap(), content[40..]);
    settled(&app, file, "DOWNLOADED").await;

    let outside = get_file(&app, &token, file, &[("range", "bytes=500-")]).await;
    assert_eq!(outside.status(), 416);
    assert_eq!(outside.headers()["content-range"], "bytes */100");

    let whole = get_file(&app, &token, file, &[]).await;
    assert_eq!(
        whole.status(),
        200,
        "a downloaded file can be downloaded again"
    );
    assert_eq!(whole.bytes().await.unwrap(), content);
}

/// The first 40 bytes of the 100 of `file`.
async fn a_part_is_served_with_its_headers_and_recorded(
    app: &TestApp,
    token: &str,
    file: i64,
    content: &[u8],
) {
    let part = get_file(app, token, file, &[("range", "bytes=0-39")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 0-39/100");
    assert_eq!(part.headers()["content-length"], "40");
    assert_eq!(part.headers()["accept-ranges"], "bytes");
    assert_eq!(part.headers()["content-type"], "application/octet-stream");
    assert!(
        part.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"2.dat\"")
    );
    assert!(part.headers().contains_key("etag"));
    assert_eq!(part.bytes().await.unwrap(), content[..40]);
    wait_until(
        Duration::from_secs(5),
        "the part to be recorded",
        || async { sent_ranges(app, file).await.as_deref() == Some("0-40") },
    )
    .await;
    assert_eq!(state_of(app, file).await, "AVAILABLE", "a part only");
}

#[tokio::test]
async fn pending_error_unknown_and_evicted_files_say_so() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:beta OR dataset:gamma").await;
    let pending = file_id(&app, id, "gamma-1").await;
    let response = get_file(&app, &token, pending, &[]).await;
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(message(response).await, "Not yet available.");

    let corrupt = file_id(&app, id, "beta-2").await;
    let response = get_file(&app, &token, corrupt, &[]).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["messages"][0]
            .as_str()
            .unwrap()
            .starts_with("checksum mismatch"),
        "{body}"
    );

    let response = get_file(&app, &token, 999_999, &[]).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        message(response).await,
        "Data file with id: 999999 doesn't exist."
    );
    a_nearline_file_downloaded_then_evicted_is_gone(&app, &token, id).await;
}

async fn a_nearline_file_downloaded_then_evicted_is_gone(app: &TestApp, token: &str, id: i64) {
    let restored = file_id(app, id, "beta-1").await;
    let bytes = get_file(app, token, restored, &[])
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes, source(app, "nearline", "beta/1.dat"));
    settled(app, restored, "DOWNLOADED").await;
    let sub_order = sub_order_of(app, restored).await;
    let mut tx = app.state.store.begin_write().await.unwrap();
    regards_order::orders::stage::drop_copies(&mut tx, sub_order)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let gone = get_file(app, token, restored, &[]).await;
    assert_eq!(gone.status(), 410);
    // Retry only takes files in error: the message names what works for a downloaded file.
    assert_eq!(
        message(gone).await,
        format!(
            "The cached copy of data file {restored} was removed after its download. To get it again, \
             restart the order once it is done: restarting makes a new order of the same selection"
        )
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_read_is_a_download_error() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:alpha").await;

    // The external server is down: 502, and the file is in DOWNLOAD_ERROR.
    let external = file_id(&app, id, "alpha-ext").await;
    let response = get(
        &app,
        &format!("/orders/files/{external}"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["messages"][0]
            .as_str()
            .unwrap()
            .starts_with("cannot read e.dat: http://127.0.0.1:9/ext/e.dat"),
        "{body}"
    );
    assert_eq!(state_of(&app, external).await, "DOWNLOAD_ERROR");

    // An online file removed from the archive after it was made available: 410.
    let removed = file_id(&app, id, "alpha-3").await;
    std::fs::remove_file(app.data_dir().join("archive/online/alpha/3.dat")).unwrap();
    let response = get(&app, &format!("/orders/files/{removed}"), Some(&token), &[]).await;
    assert_eq!(response.status(), 410);
    assert_eq!(state_of(&app, removed).await, "DOWNLOAD_ERROR");
}

#[tokio::test]
async fn a_client_cutting_a_download_counts_what_was_written_before_it_left() {
    let app = crate::helpers::spawn_app().await;
    import_big_file(&app).await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:big").await;
    let file = file_id(&app, id, "big-1").await;

    // As download managers cut a connection they no longer need: the client reads the head and the first
    // MiB of the body, and closes with the rest unread.
    read_the_first_mib_and_leave(&app, &token, file).await;
    wait_until(
        Duration::from_secs(5),
        "the prefix to be recorded",
        || async { sent_ranges(&app, file).await.is_some() },
    )
    .await;
    let sent = sent_ranges(&app, file).await.unwrap();
    let (start, end) = sent.split_once('-').unwrap();
    let end: u64 = end.parse().unwrap();
    assert_eq!(start, "0", "{sent}");
    assert!(
        (1024 * 1024..BIG / 2).contains(&end),
        "what was written counts, not more: {sent}"
    );
    assert_eq!(state_of(&app, file).await, "AVAILABLE");

    // Another connection fetches the rest: the two cover the file.
    let range = format!("bytes={end}-");
    let rest = get_file(&app, &token, file, &[("range", &range)]).await;
    assert_eq!(rest.status(), 206);
    assert_eq!(rest.bytes().await.unwrap().len() as u64, BIG - end);
    settled(&app, file, "DOWNLOADED").await;
}

/// Far more than socket buffers hold: the server is still writing when the client leaves.
pub(super) const BIG: u64 = 64 * 1024 * 1024;

/// Imports the dataset `big`: one object `big-1` with a file of `BIG` bytes.
pub(super) async fn import_big_file(app: &TestApp) {
    let path = app.data_dir().join("archive/online/big/big.dat");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(&path).unwrap().set_len(BIG).unwrap();
    let folder = app.data_dir().join("stac-big");
    std::fs::create_dir_all(&folder).unwrap();
    let lines = [
        crate::catalog::fixture::collection("big", "Big").to_string(),
        crate::catalog::fixture::item(
            "big-1",
            "big",
            serde_json::json!({}),
            serde_json::json!({"data": {"href": path.display().to_string()}}),
        )
        .to_string(),
    ];
    std::fs::write(folder.join("items.ndjson"), lines.join("\n")).unwrap();
    crate::catalog::fixture::import_folder(app, &folder).await;
}

/// Asks for the whole file on a raw connection, reads the head and the first MiB, and closes.
pub(super) async fn read_the_first_mib_and_leave(app: &TestApp, token: &str, file: i64) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let address = app
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "GET /orders/files/{file} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    socket.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let mut first_mib = vec![0u8; 1024 * 1024];
    socket.read_exact(&mut first_mib).await.unwrap();
    drop(socket);
}

#[tokio::test]
async fn if_range_keeps_the_range_only_for_the_current_entity_tag() {
    let app = app_with_orders_catalog().await;
    let token = app.user_token();
    let id = processed_order(&app, &token, "dataset:alpha").await;
    let file = file_id(&app, id, "alpha-3").await;
    let path = format!("/orders/files/{file}");
    let etag = get(&app, &path, Some(&token), &[("range", "bytes=0-0")])
        .await
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let ranged = |if_range: String| {
        let (app, token, path) = (&app, &token, &path);
        async move {
            let response = get(
                app,
                path,
                Some(token),
                &[("range", "bytes=10-19"), ("if-range", &if_range)],
            )
            .await;
            (
                response.status().as_u16(),
                response.bytes().await.unwrap().len(),
            )
        }
    };
    assert_eq!(
        ranged(etag.clone()).await,
        (206, 10),
        "the same file: the range"
    );
    assert_eq!(
        ranged("\"0-100-other\"".into()).await,
        (200, 100),
        "another entity tag: the whole file"
    );
    assert_eq!(ranged(format!("W/{etag}")).await, (200, 100), "a weak tag");
    assert_eq!(
        ranged("Wed, 21 Oct 2015 07:28:00 GMT".into()).await,
        (200, 100),
        "a date (no Last-Modified is sent)"
    );
}
