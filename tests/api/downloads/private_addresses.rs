//! External files never reach loopback, private or link-local addresses — by literal IP, by a name that
//! resolves there, through a redirect, or (behind a proxy) by a name resolving there locally — unless
//! `[http_client] allow_hosts` lists the URL's host. A refused file: 502 naming the host,
//! DOWNLOAD_ERROR, a NOTICE.txt line in the zip; and the server is never asked.

use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use super::external::{content, file_of};
use super::get;
use super::servers::{
    Requests, app_with_external_items, file_router, messages, redirect_router, serve,
};
use crate::helpers::TestApp;
use crate::orders::{files_in, id_of, order_of};

async fn ordered(app: &TestApp) -> i64 {
    let order = id_of(&order_of(app, &app.user_token(), "dataset:ext").await);
    app.run_pending_jobs().await;
    order
}

async fn fetch(app: &TestApp, order: i64, object: &str) -> reqwest::Response {
    let file = file_of(app, order, object).await;
    get(
        app,
        &format!("/orders/files/{file}"),
        Some(&app.user_token()),
        &[],
    )
    .await
}

#[tokio::test]
async fn a_file_on_a_loopback_address_is_refused_whole_and_in_the_zip() {
    let requests = Requests::default();
    let server = serve(file_router(&requests), None).await;
    let items = [
        ("ext-1", format!("{server}/ext/one.dat")),
        ("ext-2", format!("{server}/ext/two.dat")),
    ];
    let app = app_with_external_items(|_| {}, &items).await;
    let order = ordered(&app).await;

    let path = format!("/user/orders/{order}/download");
    let zip = get(&app, &path, Some(&app.user_token()), &[]).await;
    assert_eq!(zip.status(), 200);
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut notice = String::new();
    let mut entry = archive.by_name("NOTICE.txt").unwrap();
    entry.read_to_string(&mut notice).unwrap();
    let lines: Vec<&str> = notice.lines().collect();
    assert_eq!(lines.len(), 2, "{notice}");
    assert!(
        lines[0].starts_with(
            "Failed to download file (one.dat): Error during file download: 127.0.0.1 is a loopback address"
        ),
        "{notice}"
    );
    crate::helpers::wait_until(Duration::from_secs(5), "the errors recorded", || async {
        files_in(&app, order, "DOWNLOAD_ERROR").await.len() == 2
    })
    .await;

    // Asked again (a DOWNLOAD_ERROR file may be): refused again, naming the host.
    let response = fetch(&app, order, "ext-1").await;
    assert_eq!(response.status(), 502);
    let message = messages(response).await;
    assert!(
        message.starts_with(&format!(
            "cannot read one.dat: {server}/ext/one.dat: 127.0.0.1 is a loopback address"
        )),
        "{message}"
    );
    assert!(
        requests.seen().is_empty(),
        "never asked: {:?}",
        requests.seen()
    );
}

#[tokio::test]
async fn literal_private_ips_and_names_resolving_to_loopback_are_refused_before_connecting() {
    let requests = Requests::default();
    let server = serve(file_router(&requests), None).await;
    let port = server.rsplit(':').next().unwrap();
    let items = [
        ("ipv6-loopback", format!("http://[::1]:{port}/ext/a.dat")),
        ("private", "http://10.20.30.40/ext/b.dat".to_owned()),
        ("metadata", "http://169.254.169.254/latest/c.dat".to_owned()),
        (
            "mapped",
            format!("http://[::ffff:127.0.0.1]:{port}/ext/d.dat"),
        ),
        ("by-name", format!("http://localhost:{port}/ext/e.dat")),
    ];
    let app = app_with_external_items(|_| {}, &items).await;
    let order = ordered(&app).await;
    let expected = [
        ("ipv6-loopback", "[::1] is a loopback address"),
        ("private", "10.20.30.40 is a private address"),
        ("metadata", "169.254.169.254 is a link-local address"),
        ("mapped", "[::ffff:7f00:1] is a loopback address"),
        ("by-name", "localhost resolves to"),
    ];
    for (object, refusal) in expected {
        // Nothing answers at 10.20.30.40: a refusal after a connection attempt would take the
        // connect timeout (10 s).
        let started = Instant::now();
        let response = fetch(&app, order, object).await;
        assert!(started.elapsed() < Duration::from_secs(3), "{object}");
        assert_eq!(response.status(), 502, "{object}");
        let message = messages(response).await;
        assert!(message.contains(refusal), "{object}: {message}");
        assert!(
            message.contains("not in [http_client] allow_hosts"),
            "{message}"
        );
    }
    assert_eq!(files_in(&app, order, "DOWNLOAD_ERROR").await.len(), 5);
    assert!(
        requests.seen().is_empty(),
        "never asked: {:?}",
        requests.seen()
    );
}

#[tokio::test]
async fn a_redirect_from_an_allowed_host_to_a_private_address_is_refused_unless_allowed_too() {
    let requests = Requests::default();
    let target = serve(file_router(&requests), None).await;
    let port = target.rsplit(':').next().unwrap();
    let by_name = serve(
        redirect_router(format!("http://localhost:{port}/ext/e.dat")),
        None,
    )
    .await;
    let by_ip = serve(
        redirect_router(format!("http://[::1]:{port}/ext/e.dat")),
        None,
    )
    .await;
    let items = [
        ("by-name", format!("{by_name}/go/e.dat")),
        ("by-ip", format!("{by_ip}/go/e.dat")),
    ];
    let allow_127 = |config: &mut regards_order::config::Config| {
        config.http_client.allow_hosts = vec!["127.0.0.1".into()];
    };
    let app = app_with_external_items(allow_127, &items).await;
    let order = ordered(&app).await;
    let expected = [
        ("by-name", "localhost resolves to"),
        ("by-ip", "[::1] is a loopback"),
    ];
    for (object, refusal) in expected {
        let response = fetch(&app, order, object).await;
        assert_eq!(response.status(), 502, "{object}");
        let message = messages(response).await;
        assert!(message.contains(refusal), "{object}: {message}");
    }
    assert!(
        requests.seen().is_empty(),
        "never asked: {:?}",
        requests.seen()
    );

    // With the redirect's host allowed as well, the file comes through.
    let app = app_with_external_items(
        |config| config.http_client.allow_hosts = vec!["127.0.0.1".into(), "LocalHost".into()],
        &items[..1],
    )
    .await;
    let order = ordered(&app).await;
    let response = fetch(&app, order, "by-name").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), content());
    assert_eq!(requests.seen(), ["/ext/e.dat"]);
}

#[tokio::test]
async fn behind_a_proxy_names_that_do_not_resolve_go_to_it_and_local_ones_are_refused() {
    let proxied = Requests::default();
    let proxy = serve(file_router(&proxied), None).await;
    let direct = Requests::default();
    let server = serve(file_router(&direct), None).await;
    let port = server.rsplit(':').next().unwrap();
    let items = [
        ("unresolved", "http://files.invalid/ext/far.dat".to_owned()),
        (
            "local-name",
            format!("http://localhost:{port}/ext/near.dat"),
        ),
        ("local-ip", format!("{server}/ext/near.dat")),
    ];
    let app = app_with_external_items(
        |config| config.http_client.proxies.http = Some(proxy.clone()),
        &items,
    )
    .await;
    let order = ordered(&app).await;

    let response = fetch(&app, order, "unresolved").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), content());
    assert_eq!(proxied.seen(), ["http://files.invalid/ext/far.dat"]);

    for (object, refusal) in [
        ("local-name", "localhost resolves to"),
        ("local-ip", "127.0.0.1 is a loopback address"),
    ] {
        let response = fetch(&app, order, object).await;
        assert_eq!(response.status(), 502, "{object}");
        let message = messages(response).await;
        assert!(message.contains(refusal), "{object}: {message}");
    }
    assert_eq!(proxied.seen().len(), 1, "{:?}", proxied.seen());
    assert!(direct.seen().is_empty(), "{:?}", direct.seen());
}
