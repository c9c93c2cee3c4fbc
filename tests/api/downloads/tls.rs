//! External files over https: trusted through `[http_client] ca_file` (added to the web PKI roots), a
//! 502 and DOWNLOAD_ERROR without it; a `ca_file` that cannot be used stops the start (before the
//! database is touched).

use std::io::{Cursor, Read};

use regards_order::app::AppState;
use regards_order::config::Config;
use regards_order::time::Clock;

use super::external::{content, file_of};
use super::get;
use super::servers::{Requests, app_with_external_items, file_router, messages, serve};
use crate::certificates::TestPki;
use crate::orders::{files_in, id_of, order_of};

#[tokio::test]
async fn an_https_file_is_fetched_when_ca_file_holds_its_ca_whole_and_in_the_zip() {
    let pki = TestPki::new();
    let requests = Requests::default();
    let server = serve(file_router(&requests), Some(&pki)).await;
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = pki.write_ca(ca_dir.path());
    let items = [
        ("tls-1", format!("{server}/ext/one.dat")),
        ("tls-2", format!("{server}/ext/two.dat")),
    ];
    let app = app_with_external_items(
        |config| {
            config.http_client.ca_file = ca_file;
            config.http_client.allow_hosts = vec!["127.0.0.1".into()];
        },
        &items,
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
    for name in ["one.dat", "two.dat"] {
        let mut relayed = Vec::new();
        let mut entry = archive.by_name(name).unwrap();
        entry.read_to_end(&mut relayed).unwrap();
        assert_eq!(relayed, content(), "{name}");
    }
    assert!(archive.by_name("NOTICE.txt").is_err());

    let file = file_of(&app, order, "tls-1").await;
    let single = get(&app, &format!("/orders/files/{file}"), Some(&token), &[]).await;
    assert_eq!(single.status(), 200);
    assert_eq!(single.bytes().await.unwrap(), content());
    assert_eq!(
        requests.seen(),
        ["/ext/one.dat", "/ext/two.dat", "/ext/one.dat"]
    );
    assert!(files_in(&app, order, "DOWNLOAD_ERROR").await.is_empty());
}

#[tokio::test]
async fn without_its_ca_an_https_file_is_a_bad_gateway_and_a_download_error() {
    let pki = TestPki::new();
    let requests = Requests::default();
    let server = serve(file_router(&requests), Some(&pki)).await;
    let app = app_with_external_items(
        |config| config.http_client.allow_hosts = vec!["127.0.0.1".into()],
        &[("tls-1", format!("{server}/ext/one.dat"))],
    )
    .await;
    let token = app.user_token();
    let order = id_of(&order_of(&app, &token, "dataset:ext").await);
    app.run_pending_jobs().await;
    let file = file_of(&app, order, "tls-1").await;

    let response = get(&app, &format!("/orders/files/{file}"), Some(&token), &[]).await;
    assert_eq!(response.status(), 502);
    let message = messages(response).await;
    assert!(
        message.starts_with(&format!("cannot read one.dat: {server}/ext/one.dat: ")),
        "{message}"
    );
    assert!(message.contains("certificate"), "{message}");
    assert_eq!(files_in(&app, order, "DOWNLOAD_ERROR").await, [file]);
    assert!(
        requests.seen().is_empty(),
        "no request over an untrusted link"
    );
}

#[tokio::test]
async fn a_ca_file_that_cannot_be_used_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let open = |ca_file: std::path::PathBuf| {
        let mut config = Config::with_data_dir(&dir.path().join("data")).unwrap();
        config.http_client.ca_file = ca_file;
        async move {
            match AppState::open(config, None, Clock::default()).await {
                Ok(_) => panic!("the service started"),
                Err(error) => format!("{error:#}"),
            }
        }
    };
    let missing = dir.path().join("missing.pem");
    let error = open(missing.clone()).await;
    assert!(
        error.starts_with(&format!(
            "cannot read [http_client] ca_file {}",
            missing.display()
        )),
        "{error}"
    );
    let garbled = dir.path().join("garbled.pem");
    std::fs::write(&garbled, "this is no certificate\n").unwrap();
    let error = open(garbled).await;
    assert!(error.contains("holds no certificate"), "{error}");
    assert!(
        !dir.path().join("data/regards-order.db").exists(),
        "stopped before the database was created"
    );
}
