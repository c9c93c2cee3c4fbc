//! The private-address rule for external files (docs/ARCHITECTURE.md, "Outgoing connections"): a
//! resolver that refuses names resolving to non-public addresses before any connection, and a check of
//! each URL before it is requested (every redirect hop included) for literal IPs — which reqwest never
//! resolves — and, behind a proxy, for names that resolve here.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::address::non_public;
use crate::config::HttpClientConfig;

/// An external file's host that may not be reached.
#[derive(Debug, Clone)]
pub struct Refused {
    pub host: String,
    /// The host is a name that resolved to `address` (not a literal IP).
    resolved: bool,
    pub address: IpAddr,
    kind: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Refused {
            host,
            resolved,
            address,
            kind,
        } = self;
        if *resolved {
            write!(f, "{host} resolves to {address}, a {kind} address")?;
        } else {
            write!(f, "{host} is a {kind} address")?;
        }
        f.write_str(
            ": external files may not be fetched from it (the host is not in [http_client] allow_hosts)",
        )
    }
}

impl std::error::Error for Refused {}

/// What external files may reach.
#[derive(Debug)]
pub struct AddressGuard {
    /// `allow_hosts`, lowercase, IPv6 without brackets.
    allowed: HashSet<String>,
    /// The proxies' own hosts: the resolver looks them up for the connection to the proxy.
    proxy_hosts: HashSet<String>,
    /// Names are also resolved here before a request (a proxy would resolve them out of our sight).
    behind_proxy: bool,
    /// Bounds that local lookup; a name that does not answer in time is left to the proxy.
    lookup_timeout: Duration,
}

impl AddressGuard {
    pub fn new(config: &HttpClientConfig) -> AddressGuard {
        let proxies = &config.proxies;
        let proxy_hosts = [&proxies.http, &proxies.https, &proxies.all]
            .into_iter()
            .flatten()
            .filter_map(|url| proxy_host(url))
            .collect();
        AddressGuard {
            allowed: config.allow_hosts.iter().map(|h| bare(h)).collect(),
            proxy_hosts,
            behind_proxy: !proxies.is_empty(),
            lookup_timeout: config.connect_timeout,
        }
    }

    fn is_allowed(&self, host: &str) -> bool {
        self.allowed.contains(&bare(host))
    }

    /// Checks a URL about to be requested: its literal IP, or (behind a proxy) the addresses its name
    /// resolves to here; a name that does not resolve here is left to the proxy.
    pub async fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let Some(host) = url.host() else {
            return Ok(());
        };
        let host_text = url.host_str().unwrap_or_default();
        if self.is_allowed(host_text) {
            return Ok(());
        }
        match host {
            Host::Ipv4(ip) => check(host_text, false, &[ip.into()]),
            Host::Ipv6(ip) => check(host_text, false, &[ip.into()]),
            Host::Domain(name) if self.behind_proxy => {
                let port = url.port_or_known_default().unwrap_or(0);
                let lookup = tokio::net::lookup_host((name, port));
                match tokio::time::timeout(self.lookup_timeout, lookup).await {
                    Ok(Ok(addresses)) => {
                        let ips: Vec<IpAddr> = addresses.map(|a| a.ip()).collect();
                        check(name, true, &ips)
                    }
                    _ => Ok(()),
                }
            }
            Host::Domain(_) => Ok(()),
        }
    }
}

/// Refuses when any address is not public: a name answering both kinds is a DNS-rebinding pattern.
fn check(host: &str, resolved: bool, addresses: &[IpAddr]) -> Result<(), Refused> {
    for address in addresses {
        if let Some(kind) = non_public(*address) {
            return Err(Refused {
                host: host.to_owned(),
                resolved,
                address: *address,
                kind,
            });
        }
    }
    Ok(())
}

/// A host as compared with `allow_hosts`: lowercase, without IPv6 brackets.
fn bare(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// The host of a proxy URL, written with or without its scheme (`proxy:3128` is `http://proxy:3128`).
fn proxy_host(text: &str) -> Option<String> {
    let parsed = match Url::parse(text) {
        Ok(url) if url.has_host() => url,
        _ => Url::parse(&format!("http://{text}")).ok()?,
    };
    parsed.host_str().map(bare)
}

/// The resolver of the external-files client: the system's, then the rule.
#[derive(Debug, Clone)]
pub struct GuardedResolver(pub Arc<AddressGuard>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let exempt = guard.is_allowed(&host) || guard.proxy_hosts.contains(&bare(&host));
            if !exempt {
                let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
                check(&host, true, &ips)?;
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Proxies;

    fn guard(allow: &[&str], proxies: Proxies) -> AddressGuard {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::with_data_dir(dir.path())
            .unwrap()
            .http_client;
        config.allow_hosts = allow.iter().map(|h| h.to_string()).collect();
        config.proxies = proxies;
        AddressGuard::new(&config)
    }

    async fn verdict(guard: &AddressGuard, url: &str) -> Result<(), String> {
        guard
            .check_url(&Url::parse(url).unwrap())
            .await
            .map_err(|refused| refused.to_string())
    }

    #[tokio::test]
    async fn literal_ips_are_checked_unless_their_host_is_allowed() {
        let allowing = guard(
            &["127.0.0.1", "[::1]", "Data.Example.ORG"],
            Proxies::default(),
        );
        assert_eq!(verdict(&allowing, "https://127.0.0.1:8443/x").await, Ok(()));
        assert_eq!(verdict(&allowing, "http://[::1]/x").await, Ok(()));
        assert_eq!(verdict(&allowing, "http://8.8.8.8/x").await, Ok(()));
        let refused = verdict(&allowing, "http://127.0.0.2/x").await.unwrap_err();
        assert!(
            refused.starts_with("127.0.0.2 is a loopback address: external files may not"),
            "{refused}"
        );
        let refused = verdict(&allowing, "http://[::ffff:10.0.0.1]/x")
            .await
            .unwrap_err();
        assert!(refused.contains("a private address"), "{refused}");
        assert!(allowing.is_allowed("data.example.org"));
        // The URL parser reads every spelling of an IPv4 address (and allow_hosts matches it as read).
        assert_eq!(verdict(&allowing, "http://2130706433/x").await, Ok(()));
        let strict = guard(&[], Proxies::default());
        for url in [
            "http://2130706433/x",
            "http://0x7f.1/x",
            "http://0177.0.0.1/x",
        ] {
            let refused = verdict(&strict, url).await.unwrap_err();
            assert!(
                refused.starts_with("127.0.0.1 is a loopback"),
                "{url}: {refused}"
            );
        }
    }

    #[tokio::test]
    async fn names_are_left_to_the_resolver_unless_a_proxy_would_resolve_them() {
        let direct = guard(&[], Proxies::default());
        assert_eq!(verdict(&direct, "http://localhost:1/x").await, Ok(()));

        let proxies = Proxies {
            https: Some("http://user:pw@Proxy.Example.org:3128".into()),
            ..Proxies::default()
        };
        let proxied = guard(&[], proxies);
        assert!(proxied.proxy_hosts.contains("proxy.example.org"));
        let refused = verdict(&proxied, "http://localhost:1/x").await.unwrap_err();
        assert!(refused.starts_with("localhost resolves to"), "{refused}");
        assert_eq!(
            verdict(&proxied, "http://no-such-host.invalid/x").await,
            Ok(()),
            "left to the proxy"
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_private_answers_but_not_allowed_or_proxy_hosts() {
        let resolve = |guard: AddressGuard, name: &'static str| {
            let resolver = GuardedResolver(Arc::new(guard));
            async move {
                resolver
                    .resolve(name.parse().unwrap())
                    .await
                    .map(|addresses| addresses.count())
                    .map_err(|error| error.to_string())
            }
        };
        let refused = resolve(guard(&[], Proxies::default()), "localhost")
            .await
            .unwrap_err();
        assert!(refused.starts_with("localhost resolves to"), "{refused}");
        assert!(
            resolve(guard(&["LOCALHOST"], Proxies::default()), "localhost")
                .await
                .unwrap()
                > 0
        );
        let proxies = Proxies {
            http: Some("localhost:3128".into()),
            ..Proxies::default()
        };
        assert!(resolve(guard(&[], proxies), "localhost").await.unwrap() > 0);
    }

    #[test]
    fn proxy_hosts_are_read_with_or_without_a_scheme() {
        assert_eq!(proxy_host("proxy:3128").as_deref(), Some("proxy"));
        assert_eq!(
            proxy_host("http://u:p@10.0.0.5:3128").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(proxy_host("socks5://[::1]:1080").as_deref(), Some("::1"));
    }
}
