//! What handlers and jobs share: `AppState`. Every module above the store may depend on it; it depends
//! on nothing that serves (the start-up is `server`).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::{IdentityProvider, TokenKeys, load_or_create_secret};
use crate::config::Config;
use crate::notify::Mailer;
use crate::store::Store;
use crate::time::Clock;

/// What handlers and jobs share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub keys: Arc<TokenKeys>,
    /// The identity provider whose tokens are accepted beside HS512 ones (`[auth] jwks_url` or
    /// `oidc_issuer`); it fetches its keys over `http.general`.
    pub identity: Option<Arc<IdentityProvider>>,
    pub clock: Clock,
    pub mailer: Mailer,
    pub metrics: PrometheusHandle,
    /// Base of the links in emails and metalinks: `http.public_url`, else the address actually bound.
    pub public_url: Arc<str>,
    pub storages: crate::storage::Storages,
    /// Outgoing HTTP: `http.external_files` for the URLs of external files, `http.general` otherwise.
    pub http: crate::outbound::HttpClients,
    /// Started with `serve --demo`: the web application offers the demo tokens.
    pub demo: bool,
}

impl AppState {
    /// Opens (and migrates) the database, loads or creates the secret, prepares the mailer and the
    /// identity provider (whose keys are fetched when first needed: a provider down never stops this).
    /// `bound` is the listening address, when there is one, for the default public URL.
    pub async fn open(
        config: Config,
        bound: Option<SocketAddr>,
        clock: Clock,
    ) -> anyhow::Result<AppState> {
        // Every key of a storage, the database and the mail server redacted by their `Debug`.
        tracing::debug!(?config, "configuration in effect");
        // First: a `ca_file` that cannot be used stops the start before the database is touched.
        let http = crate::outbound::HttpClients::from_config(&config.http_client)?;
        let store =
            crate::store::connect_with(&config.database.url, config.database.statement_timeout)
                .await
                .with_context(|| {
                    format!(
                        "cannot open the database {}",
                        crate::config::redact_url(&config.database.url)
                    )
                })?;
        store.migrate().await?;
        let secret = load_or_create_secret(&config)?;
        let keys = TokenKeys::new(&secret, &config.auth.tenant);
        let mailer = Mailer::from_config(&config)?;
        let public_url = public_url(&config, bound);
        let storages = crate::storage::Storages::from_config(&config.storages, &http.general)
            .map_err(anyhow::Error::msg)?;
        let identity = IdentityProvider::from_config(&config.auth, http.general.clone());
        Ok(AppState {
            identity: identity.map(Arc::new),
            http,
            storages,
            config: Arc::new(config),
            store,
            keys: Arc::new(keys),
            clock,
            mailer,
            metrics: crate::telemetry::recorder(),
            public_url: public_url.into(),
            demo: false,
        })
    }
}

fn public_url(config: &Config, bound: Option<SocketAddr>) -> String {
    if !config.http.public_url.is_empty() {
        return config.http.public_url.clone();
    }
    let Some(mut addr) = bound else {
        return format!("http://{}", config.http.bind);
    };
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_defaults_to_the_bound_address() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_data_dir(dir.path()).unwrap();
        let bound: SocketAddr = "0.0.0.0:41234".parse().unwrap();
        assert_eq!(public_url(&config, Some(bound)), "http://127.0.0.1:41234");
        config.http.public_url = "https://archive.example.org/order".into();
        assert_eq!(
            public_url(&config, Some(bound)),
            "https://archive.example.org/order"
        );
    }
}
