//! Configuration, read once into typed structs: embedded defaults, then an optional TOML file, then
//! `REGARDS_ORDER__SECTION__KEY` environment variables, then command-line flags. Unknown keys are
//! reported, not fatal. Nothing else in the service reads the environment.

mod auth;
mod duration;
mod http_client;
mod layers;
mod sections;
mod storage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::{Table, Value};

pub use auth::{ClaimsConfig, KEY_REFETCH_INTERVAL};
pub use duration::parse_duration;
pub use http_client::{HttpClientConfig, Proxies};
pub use layers::ENV_PREFIX;
pub use sections::{
    AccessConfig, AuthConfig, DatabaseConfig, DefaultAccess, HttpConfig, JobsConfig, LogConfig,
    LogFormat, MailConfig, OrdersConfig, QuotasConfig, redact_url,
};
pub use storage::{DownloadMode, StorageBackend, StorageConfig, StorageKind};

const DEFAULTS: &str = include_str!("defaults.toml");

/// Default cache size of a nearline storage: 10 GiB.
pub const DEFAULT_CACHE_BYTES: u64 = 10 * 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration file {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("invalid environment variable {0}")]
    Env(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Where the configuration comes from, besides the embedded defaults.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    pub file: Option<PathBuf>,
    /// The process environment (only `REGARDS_ORDER__*` variables are read).
    pub env: Vec<(String, String)>,
    pub flags: Flags,
}

/// The command-line flags that override configuration keys.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub data_dir: PathBuf,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub orders: OrdersConfig,
    pub jobs: JobsConfig,
    /// Always resolved after loading: the configured list, or the two default storages.
    #[serde(default)]
    pub storages: Vec<StorageConfig>,
    pub mail: MailConfig,
    pub log: LogConfig,
    pub http_client: HttpClientConfig,
    pub access: AccessConfig,
    pub quotas: QuotasConfig,
}

/// A loaded configuration and the keys it did not recognise.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub unknown_keys: Vec<String>,
}

impl Config {
    pub fn load(sources: &Sources) -> Result<Loaded, ConfigError> {
        let mut table: Table = DEFAULTS.parse().expect("embedded defaults are valid TOML");
        if let Some(path) = &sources.file {
            layers::merge(&mut table, read_file(path)?);
        }
        layers::apply_env(&mut table, sources.env.iter().cloned()).map_err(ConfigError::Env)?;
        apply_flags(&mut table, &sources.flags);

        let mut unknown_keys = Vec::new();
        let mut config: Config = serde_ignored::deserialize(Value::Table(table), |path| {
            unknown_keys.push(path.to_string())
        })
        .map_err(|error| ConfigError::Invalid(error.to_string()))?;
        config.http_client.proxies = Proxies::from_env(&sources.env);
        for storage in &mut config.storages {
            storage.resolve_s3(&sources.env);
        }
        let config = config.resolve()?;
        Ok(Loaded {
            config,
            unknown_keys,
        })
    }

    /// The configuration with nothing but the embedded defaults and a data dir (used by tests).
    pub fn with_data_dir(data_dir: &Path) -> Result<Config, ConfigError> {
        let sources = Sources {
            flags: Flags {
                data_dir: Some(data_dir.to_path_buf()),
                ..Flags::default()
            },
            ..Sources::default()
        };
        Ok(Config::load(&sources)?.config)
    }

    /// Fills the values derived from `data_dir` and checks the values no type can express.
    fn resolve(mut self) -> Result<Config, ConfigError> {
        if self.database.url.trim().is_empty() {
            self.database.url = format!(
                "sqlite://{}",
                self.data_dir.join("regards-order.db").display()
            );
        }
        if self.storages.is_empty() {
            self.storages = default_storages(&self.data_dir);
        }
        for storage in &mut self.storages {
            if storage.kind == StorageKind::Nearline && storage.cache_dir.is_none() {
                storage.cache_dir = Some(self.data_dir.join("cache").join(&storage.name));
            }
        }
        self.http.public_url = self.http.public_url.trim().trim_end_matches('/').to_owned();
        self.auth.normalize();
        self.validate()?;
        Ok(self)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: String| Err(ConfigError::Invalid(message));
        let secret_len = self.auth.secret.len();
        if secret_len > 0 && secret_len < 32 {
            return invalid(format!(
                "auth.secret must be at least 32 bytes (it has {secret_len}); leave it empty to have one generated"
            ));
        }
        let public_url = &self.http.public_url;
        if !public_url.is_empty()
            && !public_url.starts_with("http://")
            && !public_url.starts_with("https://")
        {
            return invalid(format!(
                "http.public_url must start with http:// or https://, got {public_url:?}"
            ));
        }
        self.http.validate()?;
        self.auth.validate().map_err(ConfigError::Invalid)?;
        if !(1..=1000).contains(&self.orders.page_size) {
            return invalid(format!(
                "orders.page_size must be between 1 and 1000, got {}",
                self.orders.page_size
            ));
        }
        if self.orders.suborder_max_bytes == 0 || self.orders.suborder_max_files == 0 {
            return invalid(
                "orders.suborder_max_bytes and orders.suborder_max_files must be positive".into(),
            );
        }
        if self.quotas.max_quota < -1 || self.quotas.rate_limit < -1 {
            return invalid(
                "quotas.max_quota and quotas.rate_limit must be -1 (no limit) or more".into(),
            );
        }
        if self.jobs.max_attempts == 0 {
            return invalid("jobs.max_attempts must be at least 1".into());
        }
        self.http_client.validate().map_err(ConfigError::Invalid)?;
        if self.jobs.lease < Duration::from_secs(1) {
            return invalid("jobs.lease must be at least 1s".into());
        }
        let mut names = std::collections::HashSet::new();
        for storage in &self.storages {
            if storage.name.trim().is_empty() {
                return invalid("every storage needs a name".into());
            }
            if !names.insert(storage.name.as_str()) {
                return invalid(format!("storage name {:?} is used twice", storage.name));
            }
            storage.validate().map_err(ConfigError::Invalid)?;
        }
        Ok(())
    }

    /// Path of the file holding the generated secret.
    pub fn secret_file(&self) -> PathBuf {
        self.data_dir.join("secret")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

/// An online and a nearline storage under `<data_dir>/archive/`.
pub fn default_storages(data_dir: &Path) -> Vec<StorageConfig> {
    let archive = data_dir.join("archive");
    let nearline = StorageConfig {
        cache_dir: Some(data_dir.join("cache").join("nearline")),
        ..StorageConfig::local("nearline", StorageKind::Nearline, archive.join("nearline"))
    };
    vec![
        StorageConfig::local("online", StorageKind::Online, archive.join("online")),
        nearline,
    ]
}

fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse()
        .map_err(|error: toml::de::Error| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: error.to_string(),
        })
}

fn apply_flags(table: &mut Table, flags: &Flags) {
    let mut set = |path: &[&str], value: String| {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        layers::set(table, &path, Value::String(value))
            .expect("flag keys are sections of the defaults");
    };
    if let Some(bind) = &flags.bind {
        set(&["http", "bind"], bind.clone());
    }
    if let Some(data_dir) = &flags.data_dir {
        set(&["data_dir"], data_dir.display().to_string());
    }
    if let Some(url) = &flags.database_url {
        set(&["database", "url"], url.clone());
    }
}

#[cfg(test)]
mod tests;
