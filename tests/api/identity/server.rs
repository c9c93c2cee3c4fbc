//! A test identity provider on a free port: its JWK set at `/jwks` (keys changed while it runs, an
//! optional `Cache-Control`) and an OpenID discovery document at `/.well-known/openid-configuration`.
//! It counts the requests of each.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::keys::{SigningKey, jwk_set};

#[derive(Default)]
struct Published {
    jwks: Mutex<Value>,
    cache_control: Mutex<Option<String>>,
    /// How long the JWK set takes to answer.
    delay: Mutex<Duration>,
    issuer: Mutex<String>,
    /// Where the JWK set is, whatever the issuer says.
    jwks_uri: String,
    jwks_requests: AtomicUsize,
    discovery_requests: AtomicUsize,
}

/// A running provider.
pub struct Provider {
    /// `http://127.0.0.1:<port>`: also the issuer its discovery document names, unless changed.
    pub url: String,
    published: Arc<Published>,
}

impl Provider {
    /// Serves `keys` on a free port.
    pub async fn start(keys: &[&SigningKey]) -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Provider::start_on(listener, keys)
    }

    /// Serves `keys` on `listener` (a test may choose the address before the provider is up).
    pub fn start_on(listener: TcpListener, keys: &[&SigningKey]) -> Provider {
        let address: SocketAddr = listener.local_addr().unwrap();
        let url = format!("http://{address}");
        let published = Arc::new(Published {
            jwks_uri: format!("{url}/jwks"),
            ..Published::default()
        });
        *published.jwks.lock().unwrap() = jwk_set(keys);
        *published.issuer.lock().unwrap() = url.clone();
        let router = Router::new()
            .route("/jwks", get(jwks))
            .route("/.well-known/openid-configuration", get(discovery))
            .with_state(published.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Provider { url, published }
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.url)
    }

    /// Replaces the published keys (a rotation).
    pub fn publish(&self, keys: &[&SigningKey]) {
        *self.published.jwks.lock().unwrap() = jwk_set(keys);
    }

    /// Publishes a raw JWK set document.
    pub fn publish_raw(&self, document: Value) {
        *self.published.jwks.lock().unwrap() = document;
    }

    pub fn set_delay(&self, delay: Duration) {
        *self.published.delay.lock().unwrap() = delay;
    }

    pub fn set_cache_control(&self, value: &str) {
        *self.published.cache_control.lock().unwrap() = Some(value.to_owned());
    }

    /// The issuer the discovery document names.
    pub fn set_issuer(&self, issuer: &str) {
        *self.published.issuer.lock().unwrap() = issuer.to_owned();
    }

    pub fn jwks_requests(&self) -> usize {
        self.published.jwks_requests.load(Ordering::SeqCst)
    }

    pub fn discovery_requests(&self) -> usize {
        self.published.discovery_requests.load(Ordering::SeqCst)
    }
}

async fn jwks(State(published): State<Arc<Published>>) -> Response {
    published.jwks_requests.fetch_add(1, Ordering::SeqCst);
    let delay = *published.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let body = published.jwks.lock().unwrap().clone();
    let cache_control = published.cache_control.lock().unwrap().clone();
    let mut response = axum::Json(body).into_response();
    if let Some(value) = cache_control {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, value.parse().unwrap());
    }
    response
}

async fn discovery(State(published): State<Arc<Published>>) -> axum::Json<Value> {
    published.discovery_requests.fetch_add(1, Ordering::SeqCst);
    let issuer = published.issuer.lock().unwrap().clone();
    axum::Json(json!({
        "issuer": issuer,
        // Keycloak names its set `<issuer>/protocol/openid-connect/certs`; any URL will do.
        "jwks_uri": published.jwks_uri,
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
    }))
}
