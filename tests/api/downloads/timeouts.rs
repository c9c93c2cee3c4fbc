//! `[http_client] read_timeout` is the longest wait between two reads: a server that sends its headers
//! and then nothing is a 504 (and a DOWNLOAD_ERROR) about `read_timeout` later; one that stops halfway
//! through a file in a zip leaves a NOTICE line.

use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use super::external::file_of;
use super::get;
use super::servers::{app_with_external_items, messages, stalling_server};
use crate::orders::{files_in, id_of, order_of};

#[tokio::test]
async fn a_server_that_stalls_after_its_headers_is_a_gateway_timeout() {
    let server = stalling_server(0).await;
    let app = app_with_external_items(
        |config| {
            config.http_client.allow_hosts = vec!["127.0.0.1".into()];
            config.http_client.read_timeout = Duration::from_secs(1);
        },
        &[("slow", format!("{server}/ext/slow.dat"))],
    )
    .await;
    let token = app.user_token();
    let order = id_of(&order_of(&app, &token, "dataset:ext").await);
    app.run_pending_jobs().await;
    let file = file_of(&app, order, "slow").await;

    let started = Instant::now();
    let response = get(&app, &format!("/orders/files/{file}"), Some(&token), &[]).await;
    let waited = started.elapsed();
    assert_eq!(response.status(), 504);
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let message = messages(response).await;
    assert!(
        message.starts_with(&format!("cannot read slow.dat: {server}/ext/slow.dat: ")),
        "{message}"
    );
    assert!(
        message.ends_with("nothing received for 1s (http_client.read_timeout)"),
        "{message}"
    );
    assert_eq!(files_in(&app, order, "DOWNLOAD_ERROR").await, [file]);
}

#[tokio::test]
async fn a_file_that_stalls_halfway_through_the_zip_is_noticed() {
    let server = stalling_server(1000).await;
    let app = app_with_external_items(
        |config| {
            config.http_client.allow_hosts = vec!["127.0.0.1".into()];
            config.http_client.read_timeout = Duration::from_secs(1);
        },
        &[("slow", format!("{server}/ext/slow.dat"))],
    )
    .await;
    let token = app.user_token();
    let order = id_of(&order_of(&app, &token, "dataset:ext").await);
    app.run_pending_jobs().await;

    let zip = get(
        &app,
        &format!("/user/orders/{order}/download"),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(zip.status(), 200);
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut notice = String::new();
    let mut entry = archive.by_name("NOTICE.txt").unwrap();
    entry.read_to_string(&mut notice).unwrap();
    assert!(
        notice.starts_with("Failed to download file (slow.dat): Error during file download: "),
        "{notice}"
    );
    assert!(
        notice.contains("nothing received for 1s (http_client.read_timeout)"),
        "{notice}"
    );
    crate::helpers::wait_until(Duration::from_secs(5), "the error recorded", || async {
        files_in(&app, order, "DOWNLOAD_ERROR").await.len() == 1
    })
    .await;
}
