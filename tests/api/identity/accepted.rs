//! Provider tokens the service accepts, and what it takes from them.

use axum::http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;

use super::*;

#[tokio::test]
async fn rsa_ecdsa_and_eddsa_tokens_are_accepted_with_their_role_and_groups() {
    let rs256 = SigningKey::rsa("rsa-1", Algorithm::RS256);
    let ps256 = SigningKey::rsa("ps-1", Algorithm::PS256);
    let es256 = SigningKey::es256("ec-1");
    let eddsa = SigningKey::ed25519("ed-1");
    let provider = Provider::start(&[&rs256, &ps256, &es256, &eddsa]).await;
    let app = app_for(&provider).await;
    let issuer = provider.url.as_str();

    let regards = json!({"role": "EXPLOIT", "accessGroups": ["alpha", "beta"]});
    let token = rs256.sign(&claims_with(issuer, "ann@example.org", regards));
    let (status, body) = whoami(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"user": "ann@example.org", "role": "EXPLOIT", "groups": ["alpha", "beta"]})
    );

    let token = ps256.sign(&claims(issuer, "pat@example.org"));
    assert_eq!(
        whoami(&app, &token).await.1,
        json!({"user": "pat@example.org", "role": "REGISTERED_USER", "groups": []})
    );

    // Keycloak's shape: realm roles, group paths.
    let keycloak = json!({
        "realm_access": {"roles": ["offline_access", "EXPLOIT", "ADMIN", "default-roles-archive"]},
        "groups": ["/archive-team", "/projects/solar"],
    });
    let token = es256.sign(&claims_with(issuer, "bob@example.org", keycloak));
    assert_eq!(
        whoami(&app, &token).await.1,
        json!({"user": "bob@example.org", "role": "ADMIN", "groups": ["archive-team", "projects/solar"]})
    );

    let no_email = json!({"email": null, "realm_access": {"roles": ["offline_access"]}});
    let token = eddsa.sign(&claims_with(issuer, "", no_email));
    assert_eq!(
        whoami(&app, &token).await.1,
        json!({"user": "3f2c9a4e-subject", "role": "REGISTERED_USER", "groups": []})
    );
    assert_eq!(provider.jwks_requests(), 1, "one fetch serves every key");
}

#[tokio::test]
async fn hs512_tokens_keep_working_beside_provider_tokens_on_the_real_endpoints() {
    let key = SigningKey::es256("ec-1");
    let provider = Provider::start(&[&key]).await;
    let app = app_for(&provider).await;
    let provider_token = key.sign(&claims(&provider.url, "ann@example.org"));
    for token in [provider_token, app.user_token()] {
        let response = app.get_as(&token, "/order/basket", &[]).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let response = app.get_as(&token, "/user/orders", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let exploit = key.sign(&claims_with(
        &provider.url,
        "ann@example.org",
        json!({"role": "EXPLOIT"}),
    ));
    let response = app.get_as(&exploit, "/orders", &[]).await;
    assert_eq!(response.status(), StatusCode::OK, "EXPLOIT may list orders");
    let user = key.sign(&claims(&provider.url, "ann@example.org"));
    let response = app.get_as(&user, "/orders", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_claims_read_are_the_ones_configured() {
    let key = SigningKey::ed25519("ed-1");
    let provider = Provider::start(&[&key]).await;
    let jwks_url = provider.jwks_url();
    let app = spawn_app_with(move |config| {
        config.auth.jwks_url = jwks_url;
        config.auth.claims.email = "preferred_username".into();
        config.auth.claims.role = "regards_role".into();
        config.auth.claims.groups = "teams".into();
    })
    .await;
    let token = key.sign(&claims_with(
        "https://any-issuer.example.org",
        "ignored@example.org",
        json!({"aud": null, "preferred_username": "ann", "regards_role": "PROJECT_ADMIN",
               "role": "KING", "teams": ["/t1"], "accessGroups": ["ignored"]}),
    ));
    assert_eq!(
        whoami(&app, &token).await.1,
        json!({"user": "ann", "role": "PROJECT_ADMIN", "groups": ["t1"]}),
        "no issuer or audience configured: neither is checked"
    );
}
