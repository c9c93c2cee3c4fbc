//! Tokens from an identity provider (docs/decisions.md, "Identity from a provider"): a JWK set and
//! discovery server started by each test, keys generated in the test.

mod accepted;
mod discovery;
mod key_cache;
mod keys;
mod provider_down;
mod refused;
pub mod server;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use regards_order::http::auth::RegisteredUser;
use serde_json::{Value, json};
use tower::ServiceExt;

pub use keys::SigningKey;
pub use server::Provider;

use crate::helpers::{TestApp, spawn_app_with};

/// The audience the apps of these tests require.
pub const AUDIENCE: &str = "regards-order";

/// An app accepting the tokens of `provider`'s JWK set, from its issuer, for `AUDIENCE`.
pub async fn app_for(provider: &Provider) -> TestApp {
    let (jwks_url, issuer) = (provider.jwks_url(), provider.url.clone());
    spawn_app_with(move |config| {
        config.auth.jwks_url = jwks_url;
        config.auth.issuer = issuer;
        config.auth.audience = AUDIENCE.into();
    })
    .await
}

/// The claims of a valid token from `issuer` for `email`, as Keycloak shapes them (no role claim).
pub fn claims(issuer: &str, email: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": issuer, "aud": ["account", AUDIENCE], "sub": "3f2c9a4e-subject", "email": email,
        "typ": "Bearer", "iat": now, "exp": now + 3600,
    })
}

/// `claims` with `changes` written over them (a null removes the claim).
pub fn claims_with(issuer: &str, email: &str, changes: Value) -> Value {
    let mut claims = claims(issuer, email);
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

/// Who the service takes the bearer of `token` for, through the real extractor: 200 with
/// `{user, role, groups}`, else the status and the error body.
pub async fn whoami(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let router = Router::new()
        .route(
            "/whoami",
            get(|RegisteredUser(caller): RegisteredUser| async move {
                axum::Json(json!({
                    "user": caller.user, "role": caller.role, "groups": caller.groups,
                }))
            }),
        )
        .with_state(app.state.clone());
    let request = Request::get("/whoami")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, body)
}

/// The first message of an error body.
pub fn message(body: &Value) -> &str {
    body["messages"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {body}"))
}

/// Asserts a 401 whose message contains `expected`.
pub async fn assert_refused(app: &TestApp, token: &str, expected: &str) {
    let (status, body) = whoami(app, token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        message(&body).contains(expected),
        "{expected:?} not in {body}"
    );
}
