//! The provider's keys in memory: rotation without restart, one refetch per 30 s for unknown key ids
//! however many tokens name them at once, and the answer's max-age.

use std::time::Duration;

use axum::http::StatusCode;

use super::*;

#[tokio::test]
async fn a_rotation_to_a_new_kid_is_picked_up_without_restart() {
    let old = SigningKey::es256("2024-key");
    let provider = Provider::start(&[&old]).await;
    let app = app_for(&provider).await;
    let claims = claims(&provider.url, "ann@example.org");
    assert_eq!(whoami(&app, &old.sign(&claims)).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_requests(), 1);

    let new = SigningKey::ed25519("2025-key");
    provider.publish(&[&new]);
    let (status, body) = whoami(&app, &new.sign(&claims)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        provider.jwks_requests(),
        2,
        "the unknown kid fetched the keys once"
    );
    assert_eq!(whoami(&app, &new.sign(&claims)).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_requests(), 2, "then they are known");

    // The old key left the set: its tokens are refused from now on.
    assert_refused(
        &app,
        &old.sign(&claims),
        "no key \"2024-key\" among the identity provider's keys",
    )
    .await;
    assert_eq!(
        provider.jwks_requests(),
        2,
        "within 30 s of the last refetch"
    );
}

#[tokio::test]
async fn twenty_tokens_with_unknown_kids_cause_at_most_one_refetch_in_30_s() {
    let key = SigningKey::es256("known");
    let provider = Provider::start(&[&key]).await;
    let app = app_for(&provider).await;
    let claims = claims(&provider.url, "ann@example.org");
    assert_eq!(whoami(&app, &key.sign(&claims)).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_requests(), 1);

    let strangers: Vec<SigningKey> = (0..20)
        .map(|i| SigningKey::es256(&format!("unknown-{i}")))
        .collect();
    let tokens: Vec<String> = strangers.iter().map(|s| s.sign(&claims)).collect();
    let answers = futures::future::join_all(tokens.iter().map(|token| whoami(&app, token))).await;
    for ((status, body), stranger) in answers.iter().zip(&strangers) {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{body}");
        let expected = format!(
            "no key {:?} among the identity provider's keys",
            stranger.kid
        );
        assert!(message(body).contains(&expected), "{body}");
    }
    assert_eq!(
        provider.jwks_requests(),
        2,
        "one refetch for twenty tokens at once"
    );

    // Even a key published since waits for the 30 s to pass; known keys keep working meanwhile.
    provider.publish(&[&key, &strangers[0]]);
    assert_refused(&app, &strangers[0].sign(&claims), "no key \"unknown-0\"").await;
    assert_eq!(whoami(&app, &key.sign(&claims)).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_requests(), 2);
}

#[tokio::test]
async fn keys_are_kept_for_the_max_age_of_the_answer_else_five_minutes() {
    let key = SigningKey::ed25519("ed-1");
    let provider = Provider::start(&[&key]).await;
    provider.set_cache_control("public, max-age=3");
    let (jwks_url, issuer) = (provider.jwks_url(), provider.url.clone());
    // A short refetch interval, the floor of the time keys are kept, so that max-age=3 counts.
    let app = spawn_app_with(move |config| {
        config.auth.jwks_url = jwks_url;
        config.auth.issuer = issuer;
        config.auth.key_refetch_interval = Duration::from_millis(100);
    })
    .await;
    let token = key.sign(&claims(&provider.url, "ann@example.org"));
    assert_eq!(whoami(&app, &token).await.0, StatusCode::OK);
    assert_eq!(whoami(&app, &token).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_requests(), 1, "kept within max-age");

    tokio::time::sleep(Duration::from_millis(3200)).await;
    provider.set_cache_control("public");
    assert_eq!(whoami(&app, &token).await.0, StatusCode::OK);
    assert_eq!(
        provider.jwks_requests(),
        2,
        "fetched again once max-age passed"
    );

    // That answer had no max-age: kept for 5 minutes, so not fetched again after max-age=3 would have.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(whoami(&app, &token).await.0, StatusCode::OK);
    assert_eq!(provider.jwks_requests(), 2);
}

#[tokio::test]
async fn clients_that_give_up_during_a_fetch_do_not_multiply_fetches() {
    let key = SigningKey::es256("ec-1");
    let provider = Provider::start(&[&key]).await;
    provider.set_delay(Duration::from_secs(2));
    let app = app_for(&provider).await;
    let token = key.sign(&claims(&provider.url, "ann@example.org"));
    for _ in 0..5 {
        let gave_up = tokio::time::timeout(Duration::from_millis(50), whoami(&app, &token)).await;
        assert!(gave_up.is_err(), "the keys take 2 s to come");
    }
    // The fetch the first one started goes on without it; the next client gets its outcome.
    let (status, body) = whoami(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(provider.jwks_requests(), 1);
}
