//! Health, metrics and the OpenAPI description: no token needed.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_the_database_up() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let backend = if app.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["status"], "UP");
    assert_eq!(body["database"]["status"], "UP");
    assert_eq!(body["database"]["backend"], backend);
}

#[tokio::test]
async fn health_reports_the_database_down_as_503() {
    let app = spawn_app().await;
    app.state.store.close().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "DOWN");
    assert_eq!(body["database"]["status"], "DOWN");
    assert!(
        body["database"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn health_reports_a_postgresql_server_that_lost_its_database() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        return;
    }
    let name = app.database_url().rsplit('/').next().unwrap().to_owned();
    let server = crate::helpers::postgres_url().unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let response = app.get("/health").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_with_latency_histograms() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/nowhere").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health",status="200"}"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(
        text.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/health",status="200",le="0.005"}"#),
        "{text}"
    );
    assert!(text.contains(r#"jobs_queued{kind="mail"}"#), "{text}");
}

#[tokio::test]
async fn the_openapi_description_lists_the_operations_endpoints() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in ["/health", "/metrics", "/openapi.json"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
