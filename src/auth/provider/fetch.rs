//! Fetching the identity provider's keys over the service's general HTTP client (`[http_client]`'s
//! roots, proxies and timeouts; no private-address rule: the provider is the operator's, like SMTP —
//! docs/ARCHITECTURE.md, "Outgoing connections"): the OpenID discovery document, the JWK set, and how
//! long the answer may be kept.

use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, HeaderMap};
use serde::Deserialize;

use super::keys::KeySet;

/// The longest a fetch may take; requests waiting for keys are answered by then.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery documents and JWK sets are a few KiB.
const MAX_BODY: usize = 1024 * 1024;
/// How long keys are kept when the answer says nothing (`Cache-Control: max-age`).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// A fetch that failed: the URL asked and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchFailure {
    pub url: String,
    pub error: String,
}

impl std::fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.url, self.error)
    }
}

/// What an OpenID provider's discovery document says.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovered {
    pub issuer: String,
    pub jwks_uri: String,
}

/// A JWK set as fetched.
pub struct FetchedKeys {
    pub keys: KeySet,
    /// Keys left out, with the reason (logged).
    pub skipped: Vec<String>,
    /// The answer's `Cache-Control: max-age`, when it has one (`no-cache`, `no-store`: zero).
    pub max_age: Option<Duration>,
}

/// `<issuer>/.well-known/openid-configuration`.
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

pub async fn discover(client: &reqwest::Client, url: &str) -> Result<Discovered, FetchFailure> {
    let failure = |error: String| FetchFailure {
        url: url.to_owned(),
        error,
    };
    let (body, _) = get(client, url).await.map_err(failure)?;
    serde_json::from_slice(&body)
        .map_err(|error| failure(format!("not an OpenID discovery document: {error}")))
}

pub async fn fetch_keys(client: &reqwest::Client, url: &str) -> Result<FetchedKeys, FetchFailure> {
    let failure = |error: String| FetchFailure {
        url: url.to_owned(),
        error,
    };
    let (body, headers) = get(client, url).await.map_err(failure)?;
    let (keys, skipped) = KeySet::parse(&body).map_err(failure)?;
    Ok(FetchedKeys {
        keys,
        skipped,
        max_age: max_age(&headers),
    })
}

/// GETs `url`: its body (at most `MAX_BODY`) and headers, or why not.
async fn get(client: &reqwest::Client, url: &str) -> Result<(Vec<u8>, HeaderMap), String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(describe)?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("answered HTTP {status}"));
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("the answer is larger than {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, headers))
}

/// A reqwest error and its causes, without the URL (said once by `FetchFailure`).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = if error.is_timeout() {
        format!("no answer within {}s", FETCH_TIMEOUT.as_secs())
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `max-age=N` of the `Cache-Control` headers; `no-cache` and `no-store` keep nothing.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let directives = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase());
    let mut found = None;
    for directive in directives {
        if directive == "no-cache" || directive == "no-store" {
            return Some(Duration::ZERO);
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            found = seconds
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(CACHE_CONTROL, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn keys_are_kept_for_the_max_age_of_the_answer() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(max_age(&headers(&["max-age=600"])), secs(600));
        assert_eq!(
            max_age(&headers(&["public, Max-Age=\"120\", must-revalidate"])),
            secs(120)
        );
        assert_eq!(max_age(&headers(&["public", "max-age=60"])), secs(60));
        assert_eq!(max_age(&headers(&["no-cache, max-age=600"])), secs(0));
        assert_eq!(max_age(&headers(&["no-store"])), secs(0));
        assert_eq!(max_age(&headers(&["public"])), None);
        assert_eq!(max_age(&headers(&["max-age=soon"])), None);
        assert_eq!(max_age(&HeaderMap::new()), None);
    }

    #[test]
    fn the_discovery_document_is_under_the_issuer() {
        assert_eq!(
            discovery_url("https://sso.example.org/realms/archive/"),
            "https://sso.example.org/realms/archive/.well-known/openid-configuration"
        );
    }
}
