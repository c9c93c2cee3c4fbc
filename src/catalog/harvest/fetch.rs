//! Fetching the JSON documents of a harvest (pages and Collections): which client, retries with
//! backoff, a bounded body (docs/decisions.md, "STAC API harvest").

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use url::{Origin, Url};

use super::HarvestOptions;
use super::request::{Method, PageRequest};
use crate::outbound::{HttpClients, Refused};

/// The longest `Retry-After` a server gets: a harvest waits, it does not sleep for hours.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How a refused link is introduced: the rule's own message speaks of external files.
const ANOTHER_SERVER: &str = "a link to another server than the harvested one";

/// Why a document could not be read, after its last attempt.
#[derive(Debug)]
pub struct Failed {
    /// The server's answer, when it answered with an error status.
    pub status: Option<StatusCode>,
    /// What went wrong, naming the request.
    pub message: String,
}

/// How one attempt failed: worth another attempt or not, and when the server asked to be retried.
enum Attempt {
    Transient(Failed, Option<Duration>),
    Final(Failed),
}

pub struct Fetcher<'a> {
    clients: &'a HttpClients,
    /// The origin of the URL the operator typed, reached with the general client.
    trusted: Origin,
    options: &'a HarvestOptions,
}

impl<'a> Fetcher<'a> {
    pub fn new(clients: &'a HttpClients, start: &Url, options: &'a HarvestOptions) -> Fetcher<'a> {
        Fetcher {
            clients,
            trusted: start.origin(),
            options,
        }
    }

    /// The JSON document answering `request`. A failure that may pass (no connection, a timeout, a body
    /// cut short, 408, 429, 5xx) is tried again after each of `options.retry_delays` (or the server's
    /// `Retry-After`, up to a minute); any other fails at once.
    pub async fn json(&self, request: &PageRequest) -> Result<Value, Failed> {
        let mut delays = self.options.retry_delays.iter();
        let mut attempts = 1;
        loop {
            let (failed, asked) = match self.attempt(request).await {
                Ok(document) => return Ok(document),
                Err(Attempt::Final(failed)) => return Err(failed),
                Err(Attempt::Transient(failed, asked)) => (failed, asked),
            };
            let Some(delay) = delays.next() else {
                return Err(Failed {
                    message: format!("{} ({attempts} attempts)", failed.message),
                    ..failed
                });
            };
            let wait = asked.map_or(*delay, |asked| asked.min(MAX_RETRY_AFTER));
            tracing::warn!("{}; trying again in {wait:?}", failed.message);
            tokio::time::sleep(wait).await;
            attempts += 1;
        }
    }

    async fn attempt(&self, request: &PageRequest) -> Result<Value, Attempt> {
        let what = request.describe();
        let client = self
            .client_for(&request.url)
            .await
            .map_err(|error| Attempt::Final(failed(None, format!("{what}: {error}"))))?;
        let mut builder = match request.method {
            Method::Get => client.get(request.url.clone()),
            Method::Post => client.post(request.url.clone()),
        };
        builder = builder
            .header(ACCEPT, "application/geo+json, application/json")
            .headers(request.headers.clone());
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(Value::Object(body.clone()).to_string());
        }
        let response = builder.send().await.map_err(|error| {
            // The resolver of the external files' client refused the name: trying again changes nothing.
            if is_refused(&error) {
                let reason = crate::outbound::describe(error);
                return Attempt::Final(failed(None, format!("{what}: {ANOTHER_SERVER}: {reason}")));
            }
            let message = format!("{what}: {}", crate::outbound::describe(error));
            Attempt::Transient(failed(None, message), None)
        })?;
        let status = response.status();
        if !status.is_success() {
            let asked = retry_after(&response);
            let failure = failed(Some(status), format!("{what} answered {status}"));
            return Err(match status {
                StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => {
                    Attempt::Transient(failure, asked)
                }
                _ if status.is_server_error() => Attempt::Transient(failure, asked),
                _ => Attempt::Final(failure),
            });
        }
        let bytes = self.body(response, &what).await?;
        serde_json::from_slice(&bytes)
            .map_err(|error| Attempt::Final(failed(None, format!("{what}: not JSON: {error}"))))
    }

    /// The general client on the typed URL's origin, which the operator chose (it may be private, on
    /// loopback). A link to another origin comes from the remote data: the external files' client, with
    /// the private-address rule, and no redirect followed.
    async fn client_for(&self, url: &Url) -> Result<&reqwest::Client, String> {
        if url.origin() == self.trusted {
            return Ok(&self.clients.general);
        }
        self.clients
            .external_files
            .checked_client(url)
            .await
            .map_err(|refused| format!("{ANOTHER_SERVER}: {refused}"))
    }

    /// The whole body, refused beyond `options.max_page_bytes`.
    async fn body(&self, mut response: reqwest::Response, what: &str) -> Result<Vec<u8>, Attempt> {
        let limit = self.options.max_page_bytes;
        let too_large = || Attempt::Final(failed(None, format!("{what}: more than {limit} bytes")));
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > limit => return Err(too_large()),
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => return Ok(bytes),
                Err(error) => {
                    let message = format!("{what}: {}", crate::outbound::describe(error));
                    return Err(Attempt::Transient(failed(None, message), None));
                }
            }
        }
    }
}

fn is_refused(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<Refused>() {
            return true;
        }
        source = current.source();
    }
    false
}

fn failed(status: Option<StatusCode>, message: String) -> Failed {
    Failed { status, message }
}

/// A `Retry-After` in seconds (the date form is left to the backoff).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    seconds.trim().parse().ok().map(Duration::from_secs)
}
