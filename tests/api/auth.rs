//! Bearer tokens and roles, through the real extractors and state.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use regards_order::app::AppState;
use regards_order::auth::{Role, load_or_create_secret};
use regards_order::http::auth::{Admin, Exploit, RegisteredUser};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{TestApp, spawn_app};

/// A router whose handlers state the role they need, as the service's own handlers do.
fn guarded(state: AppState) -> Router {
    Router::new()
        .route(
            "/user",
            get(|RegisteredUser(caller): RegisteredUser| async move { caller.user }),
        )
        .route(
            "/exploit",
            get(|Exploit(caller): Exploit| async move { caller.user }),
        )
        .route(
            "/admin",
            get(|Admin(caller): Admin| async move { caller.user }),
        )
        .with_state(state)
}

async fn call(app: &TestApp, path: &str, authorization: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = guarded(app.state.clone())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn message(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    value["messages"][0].as_str().unwrap().to_owned()
}

/// A token signed with the app's secret carrying arbitrary claims.
fn signed(app: &TestApp, claims: Value) -> String {
    let secret = load_or_create_secret(&app.state.config).unwrap();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn far_future() -> i64 {
    chrono::Utc::now().timestamp() + 3600
}

#[tokio::test]
async fn a_valid_token_with_enough_role_passes() {
    let app = spawn_app().await;
    let token = app.token("alice@example.org", Role::RegisteredUser);
    let (status, body) = call(&app, "/user", Some(&format!("Bearer {token}"))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "alice@example.org")
    );

    let admin = app.token("root@example.org", Role::InstanceAdmin);
    for path in ["/user", "/exploit", "/admin"] {
        let (status, _) = call(&app, path, Some(&format!("Bearer {admin}"))).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_missing_header_is_a_401_with_a_message() {
    let app = spawn_app().await;
    let (status, body) = call(&app, "/user", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message(&body).contains("Authorization: Bearer"), "{body}");

    let (status, _) = call(&app, "/user", Some("Basic dXNlcjpwYXNz")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_token_is_a_401() {
    let app = spawn_app().await;
    let claims =
        json!({"sub": "a@b.c", "role": "ADMIN", "exp": chrono::Utc::now().timestamp() - 5});
    let (status, body) = call(
        &app,
        "/user",
        Some(&format!("Bearer {}", signed(&app, claims))),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(message(&body), "Token expired");
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_a_401() {
    let app = spawn_app().await;
    let claims = json!({"sub": "a@b.c", "role": "ADMIN", "exp": far_future()});
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(b"not the secret of this service, but long enough"),
    )
    .unwrap();
    let (status, body) = call(&app, "/user", Some(&format!("Bearer {forged}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(message(&body), "Invalid token: signature does not match");

    let (status, body) = call(&app, "/user", Some("Bearer garbage")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(message(&body), "Invalid token: malformed token");
}

#[tokio::test]
async fn an_unknown_role_is_a_401() {
    let app = spawn_app().await;
    let claims = json!({"sub": "a@b.c", "role": "KING", "exp": far_future()});
    let (status, body) = call(
        &app,
        "/user",
        Some(&format!("Bearer {}", signed(&app, claims))),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(message(&body), "Invalid token: unknown role \"KING\"");
}

#[tokio::test]
async fn an_order_token_is_not_a_bearer_token() {
    let app = spawn_app().await;
    let claims =
        json!({"sub": "a@b.c", "role": "ADMIN", "exp": far_future(), "typ": "order", "orderId": 1});
    let (status, body) = call(
        &app,
        "/user",
        Some(&format!("Bearer {}", signed(&app, claims))),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(message(&body), "Invalid token: not an access token");
}

#[tokio::test]
async fn a_role_too_low_is_a_403_naming_the_role_needed() {
    let app = spawn_app().await;
    let user = format!(
        "Bearer {}",
        app.token("bob@example.org", Role::RegisteredUser)
    );
    let (status, body) = call(&app, "/exploit", Some(&user)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        message(&body),
        "Access denied: role REGISTERED_USER is below the EXPLOIT role this endpoint needs"
    );

    let exploit = format!("Bearer {}", app.token("eve@example.org", Role::Exploit));
    assert_eq!(
        call(&app, "/exploit", Some(&exploit)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "/admin", Some(&exploit)).await.0,
        StatusCode::FORBIDDEN
    );

    let public = format!("Bearer {}", app.token("anon@example.org", Role::Public));
    assert_eq!(
        call(&app, "/user", Some(&public)).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_regards_token_without_type_and_email_uses_its_subject() {
    let app = spawn_app().await;
    let claims =
        json!({"sub": "login", "role": "EXPLOIT", "exp": far_future(), "tenant": "PROJECT"});
    let (status, body) = call(
        &app,
        "/exploit",
        Some(&format!("Bearer {}", signed(&app, claims))),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "login"));
}
