//! `serve` configured with an identity provider and no secret: it starts, takes the provider's tokens,
//! and the secret it generated still signs the `token` command's.

use std::time::Duration;

use super::*;
use crate::helpers::TestDatabase;
use crate::identity::{AUDIENCE, Provider, SigningKey, claims};

async fn status_of(url: &str, token: &str) -> u16 {
    crate::helpers::http_client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn serve_with_a_jwks_url_and_no_secret_answers_provider_and_cli_tokens() {
    let key = SigningKey::rsa("rsa-1", jsonwebtoken::Algorithm::RS256);
    let provider = Provider::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let data_dir = dir.path().join("data");
    let jwks_url = provider.jwks_url();
    let env = [
        ("REGARDS_ORDER__AUTH__JWKS_URL", jwks_url.as_str()),
        ("REGARDS_ORDER__AUTH__AUDIENCE", AUDIENCE),
    ];
    let (mut child, address) = start_serve_with(&data_dir, &database.url, &env).await;

    let token = key.sign(&claims(&provider.url, "ann@example.org"));
    assert_eq!(
        status_of(&format!("{address}/order/basket"), &token).await,
        204
    );
    assert_eq!(
        status_of(&format!("{address}/user/orders"), &token).await,
        200
    );
    let other = SigningKey::es256("rsa-1").sign(&claims(&provider.url, "ann@example.org"));
    assert_eq!(
        status_of(&format!("{address}/user/orders"), &other).await,
        401
    );
    assert_eq!(
        provider.jwks_requests(),
        1,
        "fetched once, at start or for the first token"
    );

    assert!(data_dir.join("secret").exists(), "a secret was generated");
    let output = regards_order(&[
        "token",
        "--email",
        "carol@example.org",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hs512 = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        status_of(&format!("{address}/user/orders"), hs512.trim()).await,
        200
    );

    signal(&child, "-TERM");
    let status = wait_exit(&mut child, Duration::from_secs(15)).await;
    assert!(status.success(), "{status}");
}
