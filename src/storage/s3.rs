//! An S3 bucket (any S3-compatible store): HEAD, ranged GET, RestoreObject and presigned URLs, each
//! request signed with SigV4 (`rusty-s3`, presigned in the query) and sent with the service's HTTP client
//! for operator-configured servers. docs/ARCHITECTURE.md, "Object storage".

use std::time::Duration;

use futures::{Stream, TryStreamExt};
use reqwest::StatusCode;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use crate::config::StorageConfig;
use crate::domain::ranges::ByteRange;

/// Signatures are made for the request about to be sent: they need not live long.
const REQUEST_TTL: Duration = Duration::from_secs(300);

/// What the store answered, when it was not what was asked for: its status and its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Error {
    #[error("object {key} does not exist in bucket {bucket}")]
    Missing { bucket: String, key: String },
    #[error("the store answered {status} for {key}: {reason}")]
    Refused {
        key: String,
        status: u16,
        reason: String,
    },
    #[error("the store cannot be reached for {key}: {reason}")]
    Unreachable { key: String, reason: String },
}

/// What a HEAD says of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub size: u64,
    /// In an archive class (GLACIER, DEEP_ARCHIVE): not readable until restored.
    pub archived: bool,
    /// `x-amz-restore`: none asked, in progress, or done (a readable copy exists).
    pub restore: RestoreState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreState {
    None,
    InProgress,
    Done,
}

impl ObjectHead {
    pub fn readable(&self) -> bool {
        !self.archived || self.restore == RestoreState::Done
    }
}

/// A bucket and the keys to reach it (never shown: `Debug` names the bucket only).
pub struct S3Bucket {
    bucket: Bucket,
    credentials: Option<Credentials>,
    client: reqwest::Client,
}

impl std::fmt::Debug for S3Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Bucket")
            .field("bucket", &self.bucket.name())
            .finish_non_exhaustive()
    }
}

impl S3Bucket {
    pub fn new(config: &StorageConfig, client: reqwest::Client) -> Result<S3Bucket, String> {
        let endpoint = url::Url::parse(&config.endpoint)
            .map_err(|e| format!("storage {:?}: endpoint: {e}", config.name))?;
        let style = if config.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(
            endpoint,
            style,
            config.bucket.clone(),
            config.region.clone(),
        )
        .map_err(|e| format!("storage {:?}: bucket: {e}", config.name))?;
        let credentials = match (&config.access_key_id, &config.secret_access_key) {
            (key, secret) if key.is_empty() || secret.is_empty() => None,
            (key, secret) if config.session_token.is_empty() => {
                Some(Credentials::new(key.clone(), secret.clone()))
            }
            (key, secret) => Some(Credentials::new_with_token(
                key.clone(),
                secret.clone(),
                config.session_token.clone(),
            )),
        };
        Ok(S3Bucket {
            bucket,
            credentials,
            client,
        })
    }

    pub fn name(&self) -> &str {
        self.bucket.name()
    }

    fn unreachable(key: &str, error: reqwest::Error) -> S3Error {
        S3Error::Unreachable {
            key: key.to_owned(),
            // Without the URL: it carries a signature.
            reason: error.without_url().to_string(),
        }
    }

    pub async fn head(&self, key: &str) -> Result<ObjectHead, S3Error> {
        let url = self
            .bucket
            .head_object(self.credentials.as_ref(), key)
            .sign(REQUEST_TTL);
        let answer = self
            .client
            .head(url)
            .send()
            .await
            .map_err(|e| Self::unreachable(key, e))?;
        if !answer.status().is_success() {
            return Err(self.refused(key, answer).await);
        }
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let archived = header("x-amz-storage-class")
            .is_some_and(|class| matches!(class.as_str(), "GLACIER" | "DEEP_ARCHIVE"));
        let restore = match header("x-amz-restore") {
            None => RestoreState::None,
            Some(value) if value.replace(' ', "").contains("ongoing-request=\"true\"") => {
                RestoreState::InProgress
            }
            Some(_) => RestoreState::Done,
        };
        Ok(ObjectHead {
            // The header: reqwest's `content_length` is the (empty) body's of a HEAD answer.
            size: header("content-length")
                .and_then(|length| length.parse().ok())
                .unwrap_or(0),
            archived,
            restore,
        })
    }

    /// The bytes of an object, or of a range of it, as they arrive.
    pub async fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + use<>, S3Error> {
        let url = self
            .bucket
            .get_object(self.credentials.as_ref(), key)
            .sign(REQUEST_TTL);
        let mut request = self.client.get(url);
        if let Some(range) = range.filter(|r| !r.is_empty()) {
            request = request.header(
                reqwest::header::RANGE,
                format!("bytes={}-{}", range.start, range.end - 1),
            );
        }
        let answer = request
            .send()
            .await
            .map_err(|e| Self::unreachable(key, e))?;
        if !matches!(
            answer.status(),
            StatusCode::OK | StatusCode::PARTIAL_CONTENT
        ) {
            return Err(self.refused(key, answer).await);
        }
        Ok(answer
            .bytes_stream()
            .map_err(|e| std::io::Error::other(e.without_url())))
    }

    /// Asks for a readable copy of an archived object for `days` days (`RestoreObject`). A restore
    /// already in progress (409) is fine.
    pub async fn restore(&self, key: &str, days: u32, tier: &str) -> Result<(), S3Error> {
        let url = self.signed(rusty_s3::Method::Post, key, &[("restore", "")]);
        let body = format!(
            "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>{days}</Days>\
             <GlacierJobParameters><Tier>{tier}</Tier></GlacierJobParameters></RestoreRequest>"
        );
        let answer = self
            .client
            .post(url)
            .body(body)
            .send()
            .await
            .map_err(|e| Self::unreachable(key, e))?;
        match answer.status() {
            status if status.is_success() || status == StatusCode::CONFLICT => Ok(()),
            _ => Err(self.refused(key, answer).await),
        }
    }

    /// A URL anyone may GET the object with for `ttl`, its answer named `filename`.
    pub fn presigned_get(&self, key: &str, ttl: Duration, disposition: &str) -> url::Url {
        let mut action = self.bucket.get_object(self.credentials.as_ref(), key);
        action
            .query_mut()
            .insert("response-content-disposition", disposition.to_owned());
        action.sign(ttl.max(Duration::from_secs(1)))
    }

    /// A request signed in its query (for actions `rusty-s3` has no type for).
    fn signed(&self, method: rusty_s3::Method, key: &str, query: &[(&str, &str)]) -> url::Url {
        let url = self.bucket.object_url(key);
        match &self.credentials {
            Some(credentials) => rusty_s3::signing::sign(
                &jiff_now(),
                method,
                url,
                credentials.key(),
                credentials.secret(),
                credentials.token(),
                self.bucket.region(),
                REQUEST_TTL.as_secs(),
                query.iter().copied(),
                std::iter::empty(),
            ),
            None => {
                let mut url = url;
                for (name, value) in query {
                    url.query_pairs_mut().append_pair(name, value);
                }
                url
            }
        }
    }

    /// The store's reason for a refusal: the `Code` and `Message` of its XML error body.
    async fn refused(&self, key: &str, answer: reqwest::Response) -> S3Error {
        let status = answer.status();
        if status == StatusCode::NOT_FOUND {
            return S3Error::Missing {
                bucket: self.name().to_owned(),
                key: key.to_owned(),
            };
        }
        let body = answer.text().await.unwrap_or_default();
        let element = |name: &str| {
            let open = format!("<{name}>");
            let start = body.find(&open)? + open.len();
            let end = body[start..].find(&format!("</{name}>"))? + start;
            Some(body[start..end].trim().to_owned())
        };
        let reason = match (element("Code"), element("Message")) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code,
            _ => status
                .canonical_reason()
                .unwrap_or("no reason given")
                .to_owned(),
        };
        S3Error::Refused {
            key: key.to_owned(),
            status: status.as_u16(),
            reason,
        }
    }
}

fn jiff_now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}
