//! `[http_client]`: outgoing HTTP (external files, the identity provider's keys, later STAC APIs) and the
//! TLS roots SMTP shares.
//! The proxies come from the standard environment variables, read here like every other setting.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Deserialize)]
pub struct HttpClientConfig {
    /// A PEM bundle added to the web PKI roots; empty: the web PKI roots only.
    pub ca_file: PathBuf,
    #[serde(deserialize_with = "super::duration::deserialize")]
    pub connect_timeout: Duration,
    /// The longest wait between two reads (headers included), not a bound on the whole transfer.
    #[serde(deserialize_with = "super::duration::deserialize")]
    pub read_timeout: Duration,
    /// Hosts external files may reach even on private addresses, matched literally, case-insensitive.
    /// A list, or (from the environment) a comma-separated string.
    #[serde(deserialize_with = "list_or_commas")]
    pub allow_hosts: Vec<String>,
    /// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` (or their lowercase forms).
    #[serde(skip)]
    pub proxies: Proxies,
}

impl HttpClientConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.connect_timeout.is_zero() || self.read_timeout.is_zero() {
            return Err("http_client.connect_timeout and read_timeout must be positive".into());
        }
        if self.allow_hosts.iter().any(|host| host.trim().is_empty()) {
            return Err("http_client.allow_hosts has an empty host".into());
        }
        Ok(())
    }
}

/// The proxies of the process environment. Their URLs may hold a password: Debug hides them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    pub http: Option<String>,
    pub https: Option<String>,
    pub all: Option<String>,
    /// Hosts, domains and networks reached without a proxy (curl's syntax).
    pub no_proxy: Option<String>,
}

impl Proxies {
    /// Reads the variables from `env`; the uppercase name wins, empty values are unset.
    pub fn from_env(env: &[(String, String)]) -> Proxies {
        let read = |name: &str| {
            let lower = name.to_ascii_lowercase();
            [name, lower.as_str()].iter().find_map(|wanted| {
                env.iter()
                    .find(|(key, value)| key == wanted && !value.trim().is_empty())
                    .map(|(_, value)| value.trim().to_owned())
            })
        };
        Proxies {
            http: read("HTTP_PROXY"),
            https: read("HTTPS_PROXY"),
            all: read("ALL_PROXY"),
            no_proxy: read("NO_PROXY"),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none() && self.all.is_none()
    }
}

impl std::fmt::Debug for Proxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |url: &Option<String>| url.as_deref().map(super::redact_url);
        f.debug_struct("Proxies")
            .field("http", &shown(&self.http))
            .field("https", &shown(&self.https))
            .field("all", &shown(&self.all))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

fn list_or_commas<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }
    Ok(match ListOrText::deserialize(deserializer)? {
        ListOrText::List(list) => list,
        ListOrText::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|host| !host.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn proxies_come_from_the_usual_variables() {
        let proxies = Proxies::from_env(&env(&[
            ("https_proxy", "http://lower:3128"),
            ("HTTPS_PROXY", "http://user:secret@proxy.example.org:3128"),
            ("http_proxy", "http://plain:3128"),
            ("ALL_PROXY", ""),
            ("no_proxy", "localhost,.example.org"),
        ]));
        assert_eq!(
            proxies.https.as_deref(),
            Some("http://user:secret@proxy.example.org:3128")
        );
        assert_eq!(proxies.http.as_deref(), Some("http://plain:3128"));
        assert_eq!(proxies.all, None);
        assert_eq!(proxies.no_proxy.as_deref(), Some("localhost,.example.org"));
        let shown = format!("{proxies:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(Proxies::from_env(&[]).is_empty());
    }
}
