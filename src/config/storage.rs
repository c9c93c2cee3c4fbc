//! `[[storages]]`: a local folder (`backend = "fs"`) or an S3 bucket (`backend = "s3"`), online or
//! nearline. Credentials of a bucket come from the storage's own keys, else from the standard `AWS_*`
//! variables; they are never shown (`Debug` redacts them). docs/decisions.md, "Object storage".

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{DEFAULT_CACHE_BYTES, duration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    Online,
    Nearline,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    #[default]
    Fs,
    S3,
}

/// How a single file of an online S3 storage is served: through the service, or by a redirect to a
/// presigned URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DownloadMode {
    #[default]
    Proxy,
    Redirect,
}

#[derive(Clone, Deserialize)]
pub struct StorageConfig {
    pub name: String,
    pub kind: StorageKind,
    #[serde(default)]
    pub backend: StorageBackend,
    /// The folder of an `fs` storage (none for `s3`).
    #[serde(default)]
    pub root: PathBuf,
    /// Nearline only; default `<data_dir>/cache/<name>`.
    pub cache_dir: Option<PathBuf>,
    #[serde(default = "default_cache_bytes")]
    pub cache_bytes: u64,
    #[serde(default = "default_restore_parallelism")]
    pub restore_parallelism: u32,
    #[serde(default)]
    pub bucket: String,
    /// Keys of this storage start with it (no leading or trailing `/` once resolved).
    #[serde(default)]
    pub prefix: String,
    /// Default: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else `https://s3.<region>.amazonaws.com`.
    #[serde(default)]
    pub endpoint: String,
    /// Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`.
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub path_style: bool,
    #[serde(default)]
    pub access_key_id: String,
    #[serde(default)]
    pub secret_access_key: String,
    /// From `AWS_SESSION_TOKEN`, with the keys of the environment only.
    #[serde(skip)]
    pub session_token: String,
    #[serde(default)]
    pub download: DownloadMode,
    #[serde(
        default = "default_presign_ttl",
        deserialize_with = "duration::deserialize"
    )]
    pub presign_ttl: Duration,
    #[serde(default = "default_restore_tier")]
    pub restore_tier: String,
    #[serde(
        default = "default_restore_poll_interval",
        deserialize_with = "duration::deserialize"
    )]
    pub restore_poll_interval: Duration,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |secret: &str| if secret.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("StorageConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("backend", &self.backend)
            .field("root", &self.root)
            .field("cache_dir", &self.cache_dir)
            .field("cache_bytes", &self.cache_bytes)
            .field("restore_parallelism", &self.restore_parallelism)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key_id", &hidden(&self.access_key_id))
            .field("secret_access_key", &hidden(&self.secret_access_key))
            .field("session_token", &hidden(&self.session_token))
            .field("download", &self.download)
            .field("presign_ttl", &self.presign_ttl)
            .field("restore_tier", &self.restore_tier)
            .field("restore_poll_interval", &self.restore_poll_interval)
            .finish()
    }
}

fn default_cache_bytes() -> u64 {
    DEFAULT_CACHE_BYTES
}

pub(super) fn default_restore_parallelism() -> u32 {
    4
}

fn default_presign_ttl() -> Duration {
    Duration::from_secs(15 * 60)
}

fn default_restore_tier() -> String {
    "Standard".into()
}

fn default_restore_poll_interval() -> Duration {
    Duration::from_secs(60)
}

/// The longest a presigned URL may live (SigV4's limit).
const MOST_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

impl StorageConfig {
    /// A storage on a local folder, with the defaults of every other key.
    pub fn local(name: &str, kind: StorageKind, root: PathBuf) -> StorageConfig {
        StorageConfig {
            name: name.into(),
            kind,
            backend: StorageBackend::Fs,
            root,
            cache_dir: None,
            cache_bytes: DEFAULT_CACHE_BYTES,
            restore_parallelism: default_restore_parallelism(),
            bucket: String::new(),
            prefix: String::new(),
            endpoint: String::new(),
            region: String::new(),
            path_style: false,
            access_key_id: String::new(),
            secret_access_key: String::new(),
            session_token: String::new(),
            download: DownloadMode::Proxy,
            presign_ttl: default_presign_ttl(),
            restore_tier: default_restore_tier(),
            restore_poll_interval: default_restore_poll_interval(),
        }
    }

    pub fn is_s3(&self) -> bool {
        self.backend == StorageBackend::S3
    }

    /// Fills what an S3 storage leaves to the environment (`AWS_*` variables): region, endpoint, and the
    /// keys when the storage has none of its own (its own keys win).
    pub fn resolve_s3(&mut self, env: &[(String, String)]) {
        if !self.is_s3() {
            return;
        }
        let read = |names: &[&str]| {
            names.iter().find_map(|wanted| {
                env.iter()
                    .find(|(key, value)| key == wanted && !value.trim().is_empty())
                    .map(|(_, value)| value.trim().to_owned())
            })
        };
        self.prefix = self.prefix.trim_matches('/').to_owned();
        if self.region.trim().is_empty() {
            self.region = read(&["AWS_REGION", "AWS_DEFAULT_REGION"]).unwrap_or("us-east-1".into());
        }
        if self.endpoint.trim().is_empty() {
            self.endpoint = read(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
                .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", self.region));
        }
        self.endpoint = self.endpoint.trim().trim_end_matches('/').to_owned();
        if self.access_key_id.is_empty() && self.secret_access_key.is_empty() {
            self.access_key_id = read(&["AWS_ACCESS_KEY_ID"]).unwrap_or_default();
            self.secret_access_key = read(&["AWS_SECRET_ACCESS_KEY"]).unwrap_or_default();
            self.session_token = read(&["AWS_SESSION_TOKEN"]).unwrap_or_default();
        }
    }

    /// What no type can express: a root for `fs`, a bucket and an endpoint for `s3`, `redirect` only
    /// for an online S3 storage.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if self.kind == StorageKind::Nearline && self.restore_parallelism == 0 {
            return Err(format!(
                "storage {name:?}: restore_parallelism must be at least 1"
            ));
        }
        if self.download == DownloadMode::Redirect
            && (!self.is_s3() || self.kind != StorageKind::Online)
        {
            return Err(format!(
                "storage {name:?}: download = \"redirect\" needs an online S3 storage (backend = \"s3\", kind = \"online\")"
            ));
        }
        if !self.is_s3() {
            if self.root.as_os_str().is_empty() {
                return Err(format!("storage {name:?}: an fs storage needs a root"));
            }
            return Ok(());
        }
        self.validate_s3()
    }

    fn validate_s3(&self) -> Result<(), String> {
        let name = &self.name;
        if self.bucket.trim().is_empty() {
            return Err(format!("storage {name:?}: an s3 storage needs a bucket"));
        }
        match url::Url::parse(&self.endpoint) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
            _ => {
                return Err(format!(
                    "storage {name:?}: endpoint {:?} is not an http(s) URL",
                    self.endpoint
                ));
            }
        }
        if self.access_key_id.is_empty() != self.secret_access_key.is_empty() {
            return Err(format!(
                "storage {name:?}: access_key_id and secret_access_key go together"
            ));
        }
        if self.presign_ttl < Duration::from_secs(1) || self.presign_ttl > MOST_PRESIGN_TTL {
            return Err(format!(
                "storage {name:?}: presign_ttl must be between 1s and 7d"
            ));
        }
        if !["Standard", "Bulk", "Expedited"].contains(&self.restore_tier.as_str()) {
            return Err(format!(
                "storage {name:?}: restore_tier must be Standard, Bulk or Expedited, got {:?}",
                self.restore_tier
            ));
        }
        if self.restore_poll_interval.is_zero() {
            return Err(format!(
                "storage {name:?}: restore_poll_interval must be longer than 0"
            ));
        }
        Ok(())
    }
}
