//! The sections of the configuration, as typed structs (the keys of `defaults.toml`). Secrets and URLs
//! that may hold passwords are hidden in their `Debug` output.

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, duration};

/// `[auth]` and `[auth.claims]`, with their checks, are in `auth.rs`.
pub use super::auth::AuthConfig;

#[derive(Clone, Deserialize)]
pub struct HttpConfig {
    pub bind: String,
    /// Base of the links in emails and metalinks; empty means the address actually bound.
    pub public_url: String,
    /// Connections served at once; more wait to be accepted (lowered at start to fit the file limit).
    pub max_connections: u32,
    /// From the accept (or a following request's first byte) to the end of the request head.
    #[serde(deserialize_with = "duration::deserialize")]
    pub header_read_timeout: Duration,
    /// From the end of the head to the end of the body, one second more per 64 KiB received.
    #[serde(deserialize_with = "duration::deserialize")]
    pub body_read_timeout: Duration,
    /// From the end of a response to the first byte of the next request.
    #[serde(deserialize_with = "duration::deserialize")]
    pub idle_timeout: Duration,
    /// Empty: `/metrics` is open; else it requires `Authorization: Bearer <metrics_token>`.
    pub metrics_token: String,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = if self.metrics_token.is_empty() {
            ""
        } else {
            "<redacted>"
        };
        f.debug_struct("HttpConfig")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("metrics_token", &token)
            .finish()
    }
}

#[derive(Clone, Deserialize)]
pub struct DatabaseConfig {
    pub url: String,
    /// The longest a statement running a user's catalog query may take (stopped after: 503).
    #[serde(deserialize_with = "duration::deserialize")]
    pub statement_timeout: Duration,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

/// A URL fit for logs and `Debug` output: its password hidden.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrdersConfig {
    /// How long an order lasts from its creation; none (`"never"`): until its owner deletes it.
    #[serde(deserialize_with = "duration::deserialize_or_never")]
    pub expiration: Option<Duration>,
    pub suborder_max_bytes: u64,
    pub suborder_max_files: u32,
    pub max_running_suborders_per_user: u32,
    pub page_size: u32,
    /// The most files and bytes one order may hold (0: no limit).
    pub max_files: u64,
    pub max_bytes: u64,
    /// Added to `expiration` per internal sub-order once the order is expanded (0: the fixed rule).
    #[serde(deserialize_with = "duration::deserialize")]
    pub expiration_per_suborder: Duration,
    /// The most `expiration` and its growth may add up to.
    #[serde(deserialize_with = "duration::deserialize")]
    pub expiration_max: Duration,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobsConfig {
    pub workers: usize,
    #[serde(deserialize_with = "duration::deserialize")]
    pub lease: Duration,
    #[serde(deserialize_with = "duration::deserialize")]
    pub poll_interval: Duration,
    pub max_attempts: u32,
}

#[derive(Clone, Deserialize)]
pub struct MailConfig {
    pub from: String,
    /// Empty: mails are written as `.eml` files into `<data_dir>/outbox`.
    pub smtp_url: String,
    #[serde(deserialize_with = "duration::deserialize")]
    pub reminder_after: Duration,
    /// "Files ready" mails to one owner: at most one per this window, listing what became ready.
    #[serde(deserialize_with = "duration::deserialize")]
    pub digest: Duration,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("from", &self.from)
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("reminder_after", &self.reminder_after)
            .field("digest", &self.digest)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccessConfig {
    /// Whether a dataset never given rights is open to every user or closed to all but admins.
    pub default: DefaultAccess,
    /// Groups every user is in, besides the groups of their token.
    pub public_groups: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultAccess {
    Open,
    Closed,
}

impl AccessConfig {
    pub fn default_open(&self) -> bool {
        self.default == DefaultAccess::Open
    }
}

/// Download quotas' defaults (docs/decisions.md "Download quotas"): -1 is no limit.
#[derive(Debug, Clone, Deserialize)]
pub struct QuotasConfig {
    pub max_quota: i64,
    pub rate_limit: i64,
    /// How long a download counts: `None` ("never") for ever.
    #[serde(deserialize_with = "window")]
    pub window: Option<Duration>,
}

fn window<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim() == "never" {
        return Ok(None);
    }
    super::duration::parse_duration(&text)
        .map(Some)
        .map_err(|error| serde::de::Error::custom(format!("{error}, or \"never\"")))
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogConfig {
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl HttpConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "http.max_connections must be at least 1".into(),
            ));
        }
        let timeouts = [
            ("header_read_timeout", self.header_read_timeout),
            ("body_read_timeout", self.body_read_timeout),
            ("idle_timeout", self.idle_timeout),
        ];
        for (name, timeout) in timeouts {
            if timeout.is_zero() {
                return Err(ConfigError::Invalid(format!(
                    "http.{name} must be longer than 0"
                )));
            }
        }
        Ok(())
    }
}
