//! Storage tiers: an online storage serves its files as they are; a nearline storage restores them first
//! into a bounded cache, checking their checksum on the way. Local folders now; the same operations would
//! take an object store. Files are only ever opened inside their folder ([`open_within`]): a symbolic
//! link swapped in after the import cannot lead a download or a restore out of it.

mod digest;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::{StorageConfig, StorageKind};

pub use digest::{Digest, hash_file_with};

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
    by_name: HashMap<String, Arc<LocalStorage>>,
}

impl Storages {
    pub fn from_config(storages: &[StorageConfig]) -> Storages {
        let by_name = storages
            .iter()
            .map(|config| {
                let permits = config.restore_parallelism.max(1) as usize;
                (
                    config.name.clone(),
                    Arc::new(LocalStorage {
                        config: config.clone(),
                        restores: Arc::new(Semaphore::new(permits)),
                        folders: Arc::default(),
                    }),
                )
            })
            .collect();
        Storages { by_name }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<LocalStorage>> {
        self.by_name.get(name)
    }

    /// Every storage, by name.
    pub fn all(&self) -> Vec<&Arc<LocalStorage>> {
        let mut all: Vec<_> = self.by_name.values().collect();
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }
}

/// A storage on a local folder.
pub struct LocalStorage {
    pub config: StorageConfig,
    /// At most `restore_parallelism` restores at once in this process.
    restores: Arc<Semaphore>,
    /// Canonical forms of the folders checked (the root's too): one `realpath` per folder, not per file.
    folders: Arc<FolderCache>,
}

/// Canonical forms of folders, by path (cleared when it grows past `FolderCache::MOST`).
#[derive(Default)]
struct FolderCache(std::sync::Mutex<HashMap<PathBuf, PathBuf>>);

impl FolderCache {
    const MOST: usize = 100_000;

    fn canonical(&self, folder: &Path) -> std::io::Result<PathBuf> {
        let mut known = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = known.get(folder) {
            return Ok(found.clone());
        }
        let canonical = folder.canonicalize()?;
        if known.len() >= Self::MOST {
            known.clear();
        }
        known.insert(folder.to_path_buf(), canonical.clone());
        Ok(canonical)
    }
}

impl LocalStorage {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn is_nearline(&self) -> bool {
        self.config.kind == StorageKind::Nearline
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

    /// Opens a file of this storage (its `file://` URI), never out of its root.
    pub fn open(&self, uri: &str) -> std::io::Result<std::fs::File> {
        open_within(&self.config.root, &local_path(uri))
    }

    /// Opens a restored copy, never out of the cache.
    pub fn open_copy(&self, path: &Path) -> std::io::Result<std::fs::File> {
        open_within(&self.cache_dir(), path)
    }

    /// An online file: it must be there, inside the root, with its size. A check opens nothing: a regular
    /// file whose folder is inside the root is inside (folders are resolved once); a link is resolved
    /// whole. The files are opened inside their root when they are served (`open_within`).
    pub async fn check(&self, uri: &str, size: Option<i64>) -> Result<(), StageError> {
        let storage = self.name().to_owned();
        let (root, path) = (self.config.root.clone(), local_path(uri));
        let folders = self.folders.clone();
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

    /// A nearline file: copied into the cache at `dest` with its checksum checked; nothing is left at
    /// `dest` when it fails.
    pub async fn restore(
        &self,
        uri: &str,
        dest: &Path,
        size: Option<i64>,
        digest: Option<Digest>,
    ) -> Result<(), StageError> {
        let _permit = self
            .restores
            .acquire()
            .await
            .map_err(|e| StageError::Io(e.to_string()))?;
        let source = local_path(uri);
        let dest = dest.to_path_buf();
        let storage = self.name().to_owned();
        let root = self.config.root.clone();
        tokio::task::spawn_blocking(move || {
            restore_blocking(&storage, (&root, &source), &dest, size, digest)
        })
        .await
        .map_err(|e| StageError::Io(format!("restore worker failed: {e}")))?
    }
}

fn check_size(storage: &str, expected: Option<i64>, actual: u64) -> Result<(), StageError> {
    match expected {
        Some(expected) if expected >= 0 && expected as u64 != actual => {
            Err(StageError::WrongSize {
                storage: storage.to_owned(),
                expected,
                actual,
            })
        }
        _ => Ok(()),
    }
}

/// Copies `source` (inside `root`) to `dest`, hashing it.
fn restore_blocking(
    storage: &str,
    (root, source): (&Path, &Path),
    dest: &Path,
    size: Option<i64>,
    digest: Option<Digest>,
) -> Result<(), StageError> {
    let input = match open_within(root, source) {
        Ok(input) if input.metadata().is_ok_and(|m| m.is_file()) => input,
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(StageError::Io(format!("{}: {error}", source.display())));
        }
        _ => {
            return Err(StageError::Missing {
                storage: storage.to_owned(),
                path: source.display().to_string(),
            });
        }
    };
    let folder = dest
        .parent()
        .ok_or_else(|| StageError::Io(format!("no folder for {}", dest.display())))?;
    std::fs::create_dir_all(folder)
        .map_err(|e| StageError::Io(format!("cannot create {}: {e}", folder.display())))?;
    let partial = dest.with_extension("partial");
    let copied = copy_hashing(
        (input, source),
        &partial,
        digest.as_ref().map(|d| d.algorithm.as_str()),
    );
    let result = copied.and_then(|(written, actual)| {
        check_size(storage, size, written)?;
        if let (Some(expected), Some(actual)) = (&digest, actual)
            && !expected.hex.eq_ignore_ascii_case(&actual)
        {
            return Err(StageError::Corrupt {
                algorithm: expected.algorithm.clone(),
                expected: expected.hex.clone(),
                actual,
            });
        }
        std::fs::rename(&partial, dest)
            .map_err(|e| StageError::Io(format!("cannot move {}: {e}", partial.display())))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn copy_hashing(
    (mut input, source): (std::fs::File, &Path),
    dest: &Path,
    algorithm: Option<&str>,
) -> Result<(u64, Option<String>), StageError> {
    use std::io::{Read, Write};
    let io =
        |e: std::io::Error| StageError::Io(format!("copy of {} failed: {e}", source.display()));
    let mut output = std::fs::File::create(dest).map_err(io)?;
    let mut hasher = algorithm.and_then(digest::Hasher::new);
    let mut buffer = vec![0u8; 256 * 1024];
    let mut written = 0u64;
    loop {
        let read = input.read(&mut buffer).map_err(io)?;
        if read == 0 {
            break;
        }
        output.write_all(&buffer[..read]).map_err(io)?;
        if let Some(hasher) = hasher.as_mut() {
            hasher.update(&buffer[..read]);
        }
        written += read as u64;
    }
    output.sync_all().map_err(io)?;
    Ok((written, hasher.map(digest::Hasher::finish)))
}

/// Opens `path` for reading, only if it is inside `folder` once every symbolic link is resolved (links that
/// stay inside are fine). The last component is opened without following a link, and the file actually
/// opened is looked up again (`/proc/self/fd`), so a link swapped in between the check and the open is
/// caught too. Outside: `PermissionDenied`, saying so.
pub fn open_within(folder: &Path, path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let folder = folder.canonicalize()?;
    let outside = || {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("leads out of its folder {}", folder.display()),
        )
    };
    let resolved = path.canonicalize()?;
    if !resolved.starts_with(&folder) {
        return Err(outside());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&resolved)?;
    if let Ok(opened) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        && !opened.starts_with(&folder)
    {
        return Err(outside());
    }
    Ok(file)
}

/// The metadata of `path`, only if it is inside `root` (see `LocalStorage::check`).
fn metadata_within(
    folders: &FolderCache,
    root: &Path,
    path: &Path,
) -> std::io::Result<std::fs::Metadata> {
    let metadata = std::fs::symlink_metadata(path)?;
    if metadata.file_type().is_symlink() {
        return open_within(root, path)?.metadata();
    }
    let root = folders.canonical(root)?;
    let folder = folders.canonical(path.parent().unwrap_or(path))?;
    if !folder.starts_with(&root) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("leads out of its folder {}", root.display()),
        ));
    }
    Ok(metadata)
}

/// The path of a `file://` URI (or a plain path).
pub fn local_path(uri: &str) -> PathBuf {
    url::Url::parse(uri)
        .ok()
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
        .unwrap_or_else(|| PathBuf::from(uri))
}

#[cfg(test)]
mod tests;
