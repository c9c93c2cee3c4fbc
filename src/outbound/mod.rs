//! Outgoing connections, built in one place from `[http_client]`: rustls with the web PKI roots plus
//! `ca_file`, the proxies of the environment, connect and read timeouts. Two HTTP clients share them: a
//! general one (for services the operator configures) and the external-files one, which adds the
//! private-address rule. SMTP takes the same roots (`notify`). See docs/ARCHITECTURE.md.

mod address;
mod external;
mod guard;
mod tls;

use std::sync::Arc;

use anyhow::Context;

use crate::config::{HttpClientConfig, Proxies};

pub use address::non_public;
pub use external::{ExternalFiles, FetchError, Fetched, describe};
pub use guard::Refused;
pub use tls::{ca_certificates, install_crypto_provider};

/// The HTTP clients of the service. Cheap to clone.
#[derive(Clone)]
pub struct HttpClients {
    /// For servers the operator configured (identity provider, catalogs). Never for the URLs of
    /// external files: those go through `external_files`.
    pub general: reqwest::Client,
    pub external_files: ExternalFiles,
}

impl HttpClients {
    /// Fails on a `ca_file` that cannot be read or holds no certificate, or on a bad proxy URL.
    pub fn from_config(config: &HttpClientConfig) -> anyhow::Result<HttpClients> {
        install_crypto_provider();
        let extra_roots = ca_certificates(&config.ca_file)?;
        let tls = tls::client_config(&extra_roots).context("cannot set up TLS")?;
        let general = builder(config, &tls)?
            .build()
            .context("cannot build the HTTP client")?;
        let guard = Arc::new(guard::AddressGuard::new(config));
        let client = builder(config, &tls)?
            .dns_resolver(Arc::new(guard::GuardedResolver(guard.clone())))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the HTTP client of external files")?;
        Ok(HttpClients {
            general,
            external_files: ExternalFiles {
                client,
                guard,
                timeouts: external::Timeouts {
                    connect: config.connect_timeout,
                    read: config.read_timeout,
                },
            },
        })
    }
}

fn builder(
    config: &HttpClientConfig,
    tls: &rustls::ClientConfig,
) -> anyhow::Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .user_agent(concat!("regards-order/", env!("CARGO_PKG_VERSION")))
        // The proxies come from the configuration (which read the environment), not from reqwest.
        .no_proxy();
    for proxy in proxies(&config.proxies)? {
        builder = builder.proxy(proxy);
    }
    Ok(builder)
}

/// `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones, `ALL_PROXY` for both, each except the
/// hosts of `NO_PROXY`.
fn proxies(proxies: &Proxies) -> anyhow::Result<Vec<reqwest::Proxy>> {
    let mut list = Vec::new();
    for (url, name) in [
        (&proxies.https, "HTTPS_PROXY"),
        (&proxies.http, "HTTP_PROXY"),
        (&proxies.all, "ALL_PROXY"),
    ] {
        let Some(url) = url else { continue };
        let proxy = match name {
            "HTTPS_PROXY" => reqwest::Proxy::https(url),
            "HTTP_PROXY" => reqwest::Proxy::http(url),
            _ => reqwest::Proxy::all(url),
        };
        // The value is not repeated: it may hold a password.
        let proxy = proxy.map_err(|_| anyhow::anyhow!("{name} is not a proxy URL"))?;
        let no_proxy = reqwest::NoProxy::from_string(proxies.no_proxy.as_deref().unwrap_or(""));
        list.push(proxy.no_proxy(no_proxy));
    }
    Ok(list)
}
