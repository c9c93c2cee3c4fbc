//! HTTP conventions shared by every endpoint.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn repeated_slashes_route_as_one() {
    let app = spawn_app().await;
    for path in ["//health", "///health", "//health?x=1"] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_path_is_a_404_with_the_envelope() {
    let app = spawn_app().await;
    let response = app.get("/no/such/thing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"messages": ["No endpoint GET /no/such/thing"]})
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_the_envelope() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"messages": ["Method DELETE is not allowed on /health"]})
    );
}

/// The committed `openapi.json` is the one the code generates. To accept a change:
/// `UPDATE_OPENAPI=1 cargo test openapi`.
#[tokio::test]
async fn the_committed_openapi_document_matches_the_served_one() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let served = response.text().await.unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let served: Value = serde_json::from_str(&served).unwrap();
    let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
    assert!(
        served == committed,
        "openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test openapi` and commit it"
    );
}
