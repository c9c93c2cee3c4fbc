//! `/metrics`: labels from fixed sets whatever clients send, and the optional scrape token.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::{connect, read_response};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const MADE_UP: usize = 2_000;

/// Sends one request line on a connection of its own and reads the answer.
async fn send_raw(app: &TestApp, method: &str, path: &str) -> u16 {
    let mut stream = connect(app).await;
    let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    read_response(&mut stream).await.expect("an answer").status
}

async fn metrics_text(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The values a label takes in the text.
fn label_values(text: &str, label: &str) -> BTreeSet<String> {
    let marker = format!("{label}=\"");
    text.match_indices(&marker)
        .map(|(at, _)| {
            let value = &text[at + marker.len()..];
            value[..value.find('"').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn made_up_methods_and_paths_share_labels_and_the_metrics_stay_small() {
    let app = spawn_app().await;
    let before = metrics_text(&app).await.len();
    for batch in 0..MADE_UP / 50 {
        let requests = (0..50).map(|i| {
            let n = batch * 50 + i;
            let (app, method, path) = (&app, format!("B{n:08}"), format!("/nowhere-{n:08}"));
            async move {
                assert_eq!(send_raw(app, &method, "/health").await, 405);
                assert_eq!(send_raw(app, "GET", &path).await, 404);
            }
        });
        futures::future::join_all(requests).await;
    }

    let text = metrics_text(&app).await;
    assert!(!text.contains("B0000"), "a made-up method became a label");
    assert!(!text.contains("nowhere-"), "an unknown path became a label");
    assert!(
        text.contains(r#"method="OTHER",route="/health",status="405""#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    let standard = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "OTHER",
    ];
    for method in label_values(&text, "method") {
        assert!(
            standard.contains(&method.as_str()),
            "method label {method:?}"
        );
    }
    // Each new series costs some 2 KiB (a counter and a histogram): 4,000 would be 8 MiB. Other tests of
    // this process add their own few.
    let grown = text.len().saturating_sub(before);
    assert!(grown < 512 * 1024, "/metrics grew by {grown} bytes");
}

#[tokio::test]
async fn with_a_metrics_token_set_metrics_need_it_as_a_bearer_token_and_are_open_without() {
    let token = "scrape-4f1c9a7e";
    let app = spawn_app_with(|config| config.http.metrics_token = token.into()).await;
    let scrape = |bearer: Option<&str>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };
    for wrong in [
        None,
        Some("scrape-4f1c9a7"),
        Some("scrape-4f1c9a7e0"),
        Some(""),
    ] {
        let response = scrape(wrong).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["messages"][0]
                .as_str()
                .unwrap()
                .contains("metrics_token"),
            "{body}"
        );
    }
    let response = scrape(Some(token)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );
    // An access token is not the metrics token.
    let admin = app.admin_token();
    assert_eq!(
        scrape(Some(&admin)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let open = spawn_app().await;
    assert_eq!(
        open.get("/metrics").await.status(),
        StatusCode::OK,
        "open without the key"
    );
}
