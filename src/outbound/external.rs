//! Fetching external files: the private-address rule on every hop (redirects are followed here, each
//! target checked before it is requested), and the first bytes read before answering, so a server that
//! sends its headers and then stalls is a timeout the caller can still report with a status.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, RANGE};
use url::Url;

use super::guard::{AddressGuard, Refused};

/// As many as reqwest follows by default.
const MAX_REDIRECTS: usize = 10;

pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A successful answer (2xx) of an external server.
pub struct Fetched {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: ByteStream,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Refused(#[from] Refused),
    /// No connection within `connect_timeout`, or nothing read for `read_timeout`.
    #[error("{0}")]
    TimedOut(String),
    #[error("{0}")]
    Failed(String),
    /// The server answered with an error status (or a redirect without a usable `Location`).
    #[error("answered {0}")]
    Status(StatusCode),
}

/// Timeouts as the messages name them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
}

impl Timeouts {
    fn error(&self, error: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(current) = source {
            if let Some(refused) = current.downcast_ref::<Refused>() {
                return FetchError::Refused(refused.clone());
            }
            source = current.source();
        }
        if !error.is_timeout() {
            return FetchError::Failed(describe(error));
        }
        FetchError::TimedOut(if error.is_connect() {
            format!(
                "no connection within {:?} (http_client.connect_timeout)",
                self.connect
            )
        } else {
            format!(
                "nothing received for {:?} (http_client.read_timeout)",
                self.read
            )
        })
    }
}

/// An error and its causes on one line, without the URL (the caller names it, password hidden).
pub fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// The client of external files: guarded resolver, no automatic redirects.
#[derive(Clone)]
pub struct ExternalFiles {
    pub(super) client: reqwest::Client,
    pub(super) guard: Arc<AddressGuard>,
    pub(super) timeouts: Timeouts,
}

impl ExternalFiles {
    /// GETs `url` (passing `range` on), following redirects; a 2xx answer with its first chunk read.
    pub async fn get(&self, url: &str, range: Option<&str>) -> Result<Fetched, FetchError> {
        let mut url =
            Url::parse(url).map_err(|error| FetchError::Failed(format!("invalid URL: {error}")))?;
        for _ in 0..=MAX_REDIRECTS {
            self.guard.check_url(&url).await?;
            let mut request = self.client.get(url.clone());
            if let Some(range) = range {
                request = request.header(RANGE, range);
            }
            let response = request.send().await.map_err(|e| self.timeouts.error(e))?;
            let status = response.status();
            if status.is_redirection()
                && let Some(next) = redirect_target(&url, response.headers())
            {
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status(status));
            }
            return self.first_chunk_read(response).await;
        }
        Err(FetchError::Failed(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    /// The client for a request of its own to `url` once the private-address rule let it through: the
    /// client's resolver checks names, this checks a literal IP (and, behind a proxy, a name resolving
    /// here). It follows no redirect.
    pub async fn checked_client(&self, url: &Url) -> Result<&reqwest::Client, Refused> {
        self.guard.check_url(url).await?;
        Ok(&self.client)
    }

    /// Reads the first chunk now: a server that stalls after its headers times out here.
    async fn first_chunk_read(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Fetched, FetchError> {
        let first = response
            .chunk()
            .await
            .map_err(|error| self.timeouts.error(error))?;
        let status = response.status();
        let headers = response.headers().clone();
        let timeouts = self.timeouts;
        let rest = response
            .bytes_stream()
            .map_err(move |error| std::io::Error::other(timeouts.error(error)));
        let body = futures::stream::iter(first.map(Ok)).chain(rest);
        Ok(Fetched {
            status,
            headers,
            body: Box::pin(body),
        })
    }
}

fn redirect_target(from: &Url, headers: &HeaderMap) -> Option<Url> {
    let location = headers.get(LOCATION)?.to_str().ok()?;
    let next = from.join(location).ok()?;
    matches!(next.scheme(), "http" | "https").then_some(next)
}
