//! Files of a local folder, opened only inside it (docs/ARCHITECTURE.md, "Files never leave their
//! folder").

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Canonical forms of folders, by path (cleared when it grows past `FolderCache::MOST`).
#[derive(Default)]
pub struct FolderCache(std::sync::Mutex<HashMap<PathBuf, PathBuf>>);

impl FolderCache {
    const MOST: usize = 100_000;

    pub(super) fn canonical(&self, folder: &Path) -> std::io::Result<PathBuf> {
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
pub(super) fn metadata_within(
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

/// A local file to restore, opened inside `root` (a file outside it, or missing, says so).
pub(super) fn input(
    storage: &str,
    root: &Path,
    uri: &str,
) -> Result<super::Input, super::StageError> {
    use super::StageError;
    let source = local_path(uri);
    match open_within(root, &source) {
        Ok(file) if file.metadata().is_ok_and(|m| m.is_file()) => Ok(super::Input {
            name: source.display().to_string(),
            reader: Box::new(file),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(StageError::Io(format!("{}: {error}", source.display())))
        }
        _ => Err(StageError::Missing {
            storage: storage.to_owned(),
            path: source.display().to_string(),
        }),
    }
}
