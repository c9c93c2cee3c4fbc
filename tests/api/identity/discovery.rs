//! `[auth] oidc_issuer`: the JWK set found through the discovery document, whose issuer the tokens
//! must carry unless `[auth] issuer` says otherwise.

use axum::http::StatusCode;
use serde_json::json;

use super::*;

async fn app_discovering(provider: &Provider, issuer: &str) -> TestApp {
    // A trailing slash, as operators often write it.
    let (oidc_issuer, issuer) = (format!("{}/", provider.url), issuer.to_owned());
    spawn_app_with(move |config| {
        config.auth.oidc_issuer = oidc_issuer;
        config.auth.issuer = issuer;
        config.auth.audience = AUDIENCE.into();
    })
    .await
}

#[tokio::test]
async fn the_keys_are_found_through_the_discovery_document_read_once() {
    let key = SigningKey::rsa("rsa-1", jsonwebtoken::Algorithm::RS256);
    let provider = Provider::start(&[&key]).await;
    let app = app_discovering(&provider, "").await;
    let token = key.sign(&claims_with(
        &provider.url,
        "ann@example.org",
        json!({"role": "ADMIN"}),
    ));
    let (status, body) = whoami(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "ADMIN");
    assert_eq!(
        (provider.discovery_requests(), provider.jwks_requests()),
        (1, 1)
    );

    // Rotation: the set is fetched again, the discovery document is not.
    let next = SigningKey::es256("ec-2");
    provider.publish(&[&next]);
    let token = next.sign(&claims(&provider.url, "ann@example.org"));
    assert_eq!(whoami(&app, &token).await.0, StatusCode::OK);
    assert_eq!(
        (provider.discovery_requests(), provider.jwks_requests()),
        (1, 2)
    );
}

#[tokio::test]
async fn the_issuer_is_the_discovered_one_unless_configured() {
    let key = SigningKey::ed25519("ed-1");
    let provider = Provider::start(&[&key]).await;
    // Keycloak behind a proxy: reached inside at one URL, naming its public one as issuer.
    let public = "https://sso.example.org/realms/archive";
    provider.set_issuer(public);
    let app = app_discovering(&provider, "").await;
    let accepted = key.sign(&claims(public, "ann@example.org"));
    assert_eq!(whoami(&app, &accepted).await.0, StatusCode::OK);
    let internal = key.sign(&claims(&provider.url, "ann@example.org"));
    let expected = format!("issuer {:?} is not the expected {public:?}", provider.url);
    assert_refused(&app, &internal, &expected).await;

    let configured = "https://login.example.org/archive";
    let app = app_discovering(&provider, configured).await;
    let token = key.sign(&claims(configured, "ann@example.org"));
    assert_eq!(whoami(&app, &token).await.0, StatusCode::OK);
    assert_refused(&app, &accepted, "is not the expected").await;
}

#[tokio::test]
async fn a_discovery_document_that_cannot_be_read_is_the_cause_given() {
    let key = SigningKey::es256("ec-1");
    let provider = Provider::start(&[&key]).await;
    let oidc_issuer = format!("{}/realms/missing", provider.url);
    let app = spawn_app_with(move |config| config.auth.oidc_issuer = oidc_issuer).await;
    let token = key.sign(&claims(&provider.url, "ann@example.org"));
    let expected = format!(
        "Identity provider keys unavailable: {}/realms/missing/.well-known/openid-configuration: answered HTTP 404 Not Found",
        provider.url
    );
    assert_refused(&app, &token, &expected).await;
    assert_eq!(provider.jwks_requests(), 0);
}
