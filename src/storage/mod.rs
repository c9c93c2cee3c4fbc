//! Storage tiers: an online storage serves its files as they are; a nearline storage restores them first
//! into a bounded cache, checking their checksum on the way. A storage is a local folder or an S3 bucket
//! ([`Place`]); the tier logic (check, restore into the cache, the checksum, the errors) is the same for
//! both, only where the bytes come from differs. Local files are only ever opened inside their folder
//! ([`open_within`]): a symbolic link swapped in after the import cannot lead a download or a restore out
//! of it. docs/decisions.md, "Object storage".

mod copy;
mod digest;
mod fs;
mod objects;
pub mod s3;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::{DownloadMode, StorageConfig, StorageKind};
use copy::{Input, check_size, restore_blocking};
use fs::{FolderCache, metadata_within};

pub use digest::{Digest, hash_file_with};
pub use fs::{local_path, open_within};
pub use objects::object_key;
pub use s3::{S3Bucket, S3Error};

/// Why a file cannot be made available (the file goes to ERROR with this reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    #[error("file missing on storage {storage}: {path}")]
    Missing { storage: String, path: String },
    #[error("file on storage {storage} has {actual} bytes instead of {expected}")]
    WrongSize {
        storage: String,
        expected: i64,
        actual: u64,
    },
    #[error("checksum mismatch: expected {algorithm} {expected}, got {actual}")]
    Corrupt {
        algorithm: String,
        expected: String,
        actual: String,
    },
    #[error("{0}")]
    Io(String),
}

/// The configured storages, by name.
#[derive(Clone, Default)]
pub struct Storages {
    by_name: HashMap<String, Arc<Storage>>,
}

impl Storages {
    /// The storages of the configuration; S3 requests go through `client` (the client of the servers
    /// the operator configures).
    pub fn from_config(
        storages: &[StorageConfig],
        client: &reqwest::Client,
    ) -> Result<Storages, String> {
        let mut by_name = HashMap::new();
        for config in storages {
            let permits = config.restore_parallelism.max(1) as usize;
            let place = if config.is_s3() {
                Place::S3(Arc::new(S3Bucket::new(config, client.clone())?))
            } else {
                Place::Fs(Arc::default())
            };
            let storage = Storage {
                config: config.clone(),
                restores: Arc::new(Semaphore::new(permits)),
                place,
            };
            by_name.insert(config.name.clone(), Arc::new(storage));
        }
        Ok(Storages { by_name })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Storage>> {
        self.by_name.get(name)
    }

    /// Every storage, by name.
    pub fn all(&self) -> Vec<&Arc<Storage>> {
        let mut all: Vec<_> = self.by_name.values().collect();
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }
}

/// Where a storage keeps its files.
pub enum Place {
    /// A local folder, with the canonical forms of the folders checked (the root's too): one `realpath`
    /// per folder, not per file.
    Fs(Arc<FolderCache>),
    S3(Arc<S3Bucket>),
}

/// A storage: its configuration, where its files are, and its restores.
pub struct Storage {
    pub config: StorageConfig,
    /// At most `restore_parallelism` restores at once in this process.
    restores: Arc<Semaphore>,
    pub place: Place,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Storage {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn is_nearline(&self) -> bool {
        self.config.kind == StorageKind::Nearline
    }

    /// The bucket of an S3 storage.
    pub fn bucket(&self) -> Option<&Arc<S3Bucket>> {
        match &self.place {
            Place::S3(bucket) => Some(bucket),
            Place::Fs(_) => None,
        }
    }

    /// An online S3 storage that answers single files with a redirect to a presigned URL.
    pub fn redirects(&self) -> bool {
        self.config.download == DownloadMode::Redirect && self.bucket().is_some()
    }

    /// Cache size of a nearline storage.
    pub fn cache_bytes(&self) -> i64 {
        i64::try_from(self.config.cache_bytes).unwrap_or(i64::MAX)
    }

    /// The folder of the nearline cache.
    pub fn cache_dir(&self) -> PathBuf {
        self.config
            .cache_dir
            .clone()
            .unwrap_or_else(|| self.config.root.join(".cache"))
    }

    /// Where a restored copy of an order file goes: `<cache_dir>/<order>/<file>`.
    pub fn cache_path(&self, order_id: i64, file_id: i64) -> PathBuf {
        self.cache_dir()
            .join(order_id.to_string())
            .join(file_id.to_string())
    }

    /// Opens a restored copy, never out of the cache.
    pub fn open_copy(&self, path: &Path) -> std::io::Result<std::fs::File> {
        open_within(&self.cache_dir(), path)
    }

    /// An online file: it must be there with its size. On a folder a check opens nothing: a regular
    /// file whose folder is inside the root is inside (folders are resolved once); a link is resolved
    /// whole. The files are opened inside their root when they are served (`open_within`). In a bucket:
    /// a HEAD.
    pub async fn check(&self, uri: &str, size: Option<i64>) -> Result<(), StageError> {
        let storage = self.name().to_owned();
        let folders = match &self.place {
            Place::Fs(folders) => folders.clone(),
            Place::S3(bucket) => {
                let head = objects::head(&storage, bucket, uri).await?;
                return check_size(&storage, size, head.size);
            }
        };
        let (root, path) = (self.config.root.clone(), local_path(uri));
        let opened = tokio::task::spawn_blocking(move || {
            metadata_within(&folders, &root, &path).map_err(|error| (path, error))
        })
        .await
        .map_err(|e| StageError::Io(format!("check worker failed: {e}")))?;
        match opened {
            Ok(metadata) => check_size(&storage, size, metadata.len()),
            Err((path, error)) if error.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(StageError::Io(format!("{}: {error}", path.display())))
            }
            Err((path, _)) => Err(StageError::Missing {
                storage,
                path: path.display().to_string(),
            }),
        }
    }

    /// Before a batch of nearline files is restored one by one: asks the store to restore every archived
    /// object of the batch at once, so their restores run side by side (a folder needs nothing). A
    /// failure here is left to each file's own restore, which says why.
    pub async fn prepare_restores(&self, uris: &[&str], days: u32) {
        if let Place::S3(bucket) = &self.place {
            objects::request_restores(&self.config, bucket, uris, days).await;
        }
    }

    /// A nearline file: copied into the cache at `dest` with its checksum checked; nothing is left at
    /// `dest` when it fails. An archived object is restored first (for `days` days), and its copy
    /// read once the store says the restore is done.
    pub async fn restore(
        &self,
        uri: &str,
        dest: &Path,
        (size, digest): (Option<i64>, Option<Digest>),
        days: u32,
    ) -> Result<(), StageError> {
        let _permit = self
            .restores
            .acquire()
            .await
            .map_err(|e| StageError::Io(e.to_string()))?;
        let storage = self.name().to_owned();
        let input = match &self.place {
            Place::Fs(_) => fs::input(&storage, &self.config.root, uri)?,
            Place::S3(bucket) => objects::input(&self.config, bucket, uri, days).await?,
        };
        let dest = dest.to_path_buf();
        tokio::task::spawn_blocking(move || restore_blocking(&storage, input, &dest, size, digest))
            .await
            .map_err(|e| StageError::Io(format!("restore worker failed: {e}")))?
    }
}

#[cfg(test)]
mod tests;
