//! A provider that is down when the service starts: nothing stops, its tokens get a 401 naming the
//! cause, HS512 tokens pass, and its tokens pass once it is back (within the refetch interval).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tokio::net::TcpListener;

use super::*;

/// The refetch interval of this test (30 s otherwise): a failed fetch holds the next one back that long.
const INTERVAL: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn a_provider_down_at_start_stops_nothing_and_its_tokens_pass_once_it_is_back() {
    // An address nothing listens on yet.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let jwks_url = format!("http://{address}/jwks");
    let configured = jwks_url.clone();
    let app = spawn_app_with(move |config| {
        config.auth.jwks_url = configured;
        config.auth.key_refetch_interval = INTERVAL;
    })
    .await;
    let key = SigningKey::es256("ec-1");
    let token = key.sign(&claims(&format!("http://{address}"), "ann@example.org"));

    let failed_at = Instant::now();
    let (status, body) = whoami(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let expected = format!("Identity provider keys unavailable: {jwks_url}: ");
    assert!(message(&body).starts_with(&expected), "{body}");
    assert!(message(&body).contains("Connection refused"), "{body}");
    assert_eq!(whoami(&app, &app.user_token()).await.0, StatusCode::OK);
    let response = app.get_as(&app.user_token(), "/order/basket", &[]).await;
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "HS512 tokens pass"
    );

    let listener = TcpListener::bind(address).await.unwrap();
    let back = Instant::now();
    let provider = Provider::start_on(listener, &[&key]);
    // Within the interval of the failed fetch the cause is still given, without asking again.
    let (status, body) = whoami(&app, &token).await;
    if failed_at.elapsed() < INTERVAL {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(message(&body).starts_with(&expected), "{body}");
        assert_eq!(provider.jwks_requests(), 0);
    }

    // Accepted at the latest one interval (and a fetch) after the provider came back.
    let deadline = back + INTERVAL + Duration::from_secs(5);
    loop {
        let (status, body) = whoami(&app, &token).await;
        if status == StatusCode::OK {
            assert_eq!(body["user"], "ann@example.org");
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        provider.jwks_requests(),
        1,
        "one fetch once the interval passed"
    );
}
