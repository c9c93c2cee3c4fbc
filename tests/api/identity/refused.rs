//! Provider tokens the service refuses: 401 with a message saying why.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::*;
use crate::helpers::spawn_app;

#[tokio::test]
async fn wrong_issuer_audience_dates_and_roles_are_401s_saying_which() {
    let key = SigningKey::es256("ec-1");
    let provider = Provider::start(&[&key]).await;
    let app = app_for(&provider).await;
    let past = chrono::Utc::now().timestamp() - 5;
    let cases = [
        (
            json!({"iss": "https://elsewhere.example.org/realms/x"}),
            "Invalid token: issuer \"https://elsewhere.example.org/realms/x\" is not the expected",
        ),
        (json!({"iss": null}), "the token has no issuer (iss claim)"),
        (
            json!({"aud": ["account", "another-service"]}),
            "the token's audience [\"account\", \"another-service\"] does not include \"regards-order\"",
        ),
        (
            json!({"aud": null}),
            "the token has no audience (aud claim); \"regards-order\" is required",
        ),
        (json!({"exp": past}), "Token expired"),
        (json!({"exp": null}), "the token has no expiry (exp claim)"),
        (
            json!({"role": "KING"}),
            "Invalid token: unknown role \"KING\"",
        ),
        (
            json!({"typ": "order"}),
            "Invalid token: not an access token",
        ),
        (
            json!({"email": null, "sub": null}),
            "the token names no user",
        ),
    ];
    for (changes, expected) in cases {
        let token = key.sign(&claims_with(&provider.url, "ann@example.org", changes));
        assert_refused(&app, &token, expected).await;
    }
    assert_eq!(
        provider.jwks_requests(),
        1,
        "known keys are not fetched again"
    );
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let rsa = SigningKey::rsa("rsa-1", Algorithm::RS256);
    let provider = Provider::start(&[&rsa]).await;
    let app = app_for(&provider).await;
    let claims = claims_with(
        &provider.url,
        "mallory@example.org",
        json!({"role": "ADMIN"}),
    );
    // The classic confusion: the public key, which anyone may fetch, as an HMAC secret.
    let public_der = rsa.rsa_public_der.clone().unwrap();
    let public_jwk = serde_json::to_vec(&rsa.jwk()).unwrap();
    for secret in [public_der, public_jwk] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa-1".into());
        let forged =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        assert_refused(
            &app,
            &forged,
            "Invalid token: the token is signed with HS256 but key \"rsa-1\" is for RS256",
        )
        .await;
    }
    // The genuine token passes: the refusal is the algorithm's.
    let (status, body) = whoami(&app, &rsa.sign(&claims)).await;
    assert_eq!((status.as_u16(), &body["role"]), (200, &json!("ADMIN")));
}

#[tokio::test]
async fn a_token_without_kid_or_whose_alg_disagrees_with_the_key_is_refused() {
    let rsa = SigningKey::rsa("rsa-1", Algorithm::RS256);
    let ec = SigningKey::es256("ec-1");
    let provider = Provider::start(&[&rsa, &ec]).await;
    let app = app_for(&provider).await;
    let claims = claims(&provider.url, "ann@example.org");

    let no_kid = ec.sign_with(Header::new(Algorithm::ES256), &claims);
    assert_refused(&app, &no_kid, "the token names no key (kid)").await;

    // Same RSA key, another RSA algorithm than the one its JWK declares.
    let mut header = Header::new(Algorithm::RS384);
    header.kid = Some("rsa-1".into());
    let rs384 = rsa.sign_with(header, &claims);
    assert_refused(
        &app,
        &rs384,
        "signed with RS384 but key \"rsa-1\" is for RS256",
    )
    .await;

    // An RSA signature presented as the EC key's.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("ec-1".into());
    let crossed = rsa.sign_with(header, &claims);
    assert_refused(
        &app,
        &crossed,
        "signed with RS256 but key \"ec-1\" is for ES256",
    )
    .await;

    // The right kid and algorithm, another private key.
    let impostor = SigningKey::es256("ec-1");
    let forged = impostor.sign(&claims);
    assert_refused(&app, &forged, "Invalid token: signature does not match").await;
}

#[tokio::test]
async fn without_a_provider_only_hs512_tokens_pass() {
    let app = spawn_app().await;
    assert!(app.state.identity.is_none());
    let key = SigningKey::ed25519("ed-1");
    let token = key.sign(&claims("https://sso.example.org", "ann@example.org"));
    assert_refused(
        &app,
        &token,
        "Invalid token: a token signed with EdDSA needs an identity provider, and none is configured ([auth] jwks_url or oidc_issuer)",
    )
    .await;
    assert_eq!(whoami(&app, &app.user_token()).await.0.as_u16(), 200);
    assert_refused(&app, "garbage", "Invalid token: malformed token").await;
}

#[tokio::test]
async fn symmetric_and_encryption_keys_of_the_set_verify_nothing() {
    let ec = SigningKey::es256("ec-1");
    let provider = Provider::start(&[&ec]).await;
    let secret = b"a secret published by mistake in the JWK set!";
    let mut set = super::keys::jwk_set(&[&ec]);
    let keys = set["keys"].as_array_mut().unwrap();
    keys.push(json!({"kid": "oct-1", "kty": "oct", "alg": "HS256",
                     "k": "YSBzZWNyZXQgcHVibGlzaGVkIGJ5IG1pc3Rha2UgaW4gdGhlIEpXSyBzZXQh"}));
    // Keycloak publishes its encryption key beside its signing keys.
    let mut enc = ec.jwk();
    enc["kid"] = json!("enc-1");
    enc["use"] = json!("enc");
    keys.push(enc);
    provider.publish_raw(set);
    let app = app_for(&provider).await;
    let claims = claims(&provider.url, "ann@example.org");

    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("oct-1".into());
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap();
    assert_refused(
        &app,
        &token,
        "no key \"oct-1\" among the identity provider's keys",
    )
    .await;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("enc-1".into());
    let token = ec.sign_with(header, &claims);
    assert_refused(
        &app,
        &token,
        "no key \"enc-1\" among the identity provider's keys",
    )
    .await;
    assert_eq!(whoami(&app, &ec.sign(&claims)).await.0.as_u16(), 200);
}

#[tokio::test]
async fn expiry_is_read_on_the_service_clock() {
    let key = SigningKey::es256("ec-1");
    let provider = Provider::start(&[&key]).await;
    let app = app_for(&provider).await;
    // Valid for an hour by the wall clock.
    let token = key.sign(&claims(&provider.url, "ann@example.org"));
    assert_eq!(whoami(&app, &token).await.0.as_u16(), 200);
    app.state
        .clock
        .advance(std::time::Duration::from_secs(3601));
    assert_refused(&app, &token, "Token expired").await;
}
