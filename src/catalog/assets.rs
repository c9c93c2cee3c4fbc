//! From a STAC asset to a catalog file: its data type, where it is (a storage, or an external URL), its
//! size and checksum (computed for local files when the STAC does not give them). Blocking file-system
//! work: run it off the async threads.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use md5::Digest;

use super::stac::AssetDoc;
use crate::domain::files::{Checksum, DataType};
use crate::storage::{Place, Storages};
use crate::store::NewFile;

mod objects;

use objects::BucketRoot;

/// Part of the reason given for a local file outside every storage root.
pub const OUTSIDE_ROOTS: &str = "is under no storage root";

/// The configured storage roots, canonical, for telling which storage holds a local file, and the
/// buckets of the S3 storages, for objects.
#[derive(Debug, Clone)]
pub struct StorageRoots {
    roots: Vec<(String, PathBuf)>,
    buckets: Vec<BucketRoot>,
}

impl StorageRoots {
    /// Roots that do not exist yet are created (an empty storage is a valid one).
    pub fn new(storages: &Storages) -> std::io::Result<StorageRoots> {
        let (mut roots, mut buckets) = (Vec::new(), Vec::new());
        for storage in storages.all() {
            let name = storage.name().to_owned();
            match &storage.place {
                Place::Fs(_) => {
                    std::fs::create_dir_all(&storage.config.root)?;
                    roots.push((name, storage.config.root.canonicalize()?));
                }
                Place::S3(bucket) => buckets.push(BucketRoot {
                    storage: name,
                    bucket: bucket.clone(),
                    prefix: storage.config.prefix.clone(),
                    http_base: format!("{}/{}/", storage.config.endpoint, bucket.name()),
                }),
            }
        }
        Ok(StorageRoots { roots, buckets })
    }

    fn storage_of(&self, path: &Path) -> Option<&str> {
        self.roots
            .iter()
            .filter(|(_, root)| path.starts_with(root))
            .max_by_key(|(_, root)| root.as_os_str().len())
            .map(|(name, _)| name.as_str())
    }

    pub fn describe(&self) -> String {
        let roots: Vec<String> = self
            .roots
            .iter()
            .map(|(n, r)| format!("{n} = {}", r.display()))
            .chain(self.buckets.iter().map(|b| {
                let prefix = if b.prefix.is_empty() {
                    String::new()
                } else {
                    format!("{}/", b.prefix)
                };
                format!("{} = s3://{}/{prefix}", b.storage, b.bucket.name())
            }))
            .collect();
        roots.join(", ")
    }
}

/// Resolves the assets of many items, remembering the canonical form of the folders it has seen (one
/// `realpath` per folder instead of one per file).
pub struct Resolver<'a> {
    roots: &'a StorageRoots,
    folders: HashMap<PathBuf, Result<PathBuf, String>>,
}

impl<'a> Resolver<'a> {
    pub fn new(roots: &'a StorageRoots) -> Resolver<'a> {
        Resolver {
            roots,
            folders: HashMap::new(),
        }
    }

    /// The canonical path of a regular file; a symbolic link is followed to its target, which must then
    /// be inside a root too.
    fn canonical_file(&mut self, path: &Path) -> Result<(PathBuf, std::fs::Metadata), String> {
        let missing =
            |e: std::io::Error| format!("file {} is missing or unreadable: {e}", path.display());
        let link = std::fs::symlink_metadata(path).map_err(missing)?;
        let (Some(folder), Some(name), false) = (
            path.parent(),
            path.file_name(),
            link.file_type().is_symlink(),
        ) else {
            let canonical = path.canonicalize().map_err(missing)?;
            let metadata = std::fs::metadata(&canonical).map_err(missing)?;
            return Ok((canonical, metadata));
        };
        let folder = self
            .folders
            .entry(folder.to_path_buf())
            .or_insert_with(|| {
                folder
                    .canonicalize()
                    .map_err(|e| format!("folder {}: {e}", folder.display()))
            })
            .clone()?;
        Ok((folder.join(name), link))
    }
}

/// A catalog file made from an asset, and why its `file:checksum` was dropped, if it was.
#[derive(Debug)]
pub struct Resolved {
    pub file: NewFile,
    pub checksum_dropped: Option<String>,
}

/// Resolves one asset, or says why it must be skipped. `base` is the folder of the STAC file, for relative
/// hrefs (none for HTTP imports). A checksum that cannot be read is dropped (a local file then gets its MD5
/// computed), not the asset.
pub fn resolve(
    asset: &AssetDoc,
    base: Option<&Path>,
    resolver: &mut Resolver,
) -> Result<Resolved, String> {
    let data_type = match &asset.data_type {
        Some(name) => name.parse::<DataType>()?,
        None => DataType::from_stac_roles(&asset.roles),
    };
    let (checksum, checksum_dropped) = match &asset.checksum {
        None | Some(serde_json::Value::Null) => (None, None),
        Some(serde_json::Value::String(text)) => match Checksum::from_multihash(text) {
            Ok(checksum) => (Some(checksum), None),
            Err(reason) => (None, Some(reason)),
        },
        Some(other) => (None, Some(format!("file:checksum {other} is not a string"))),
    };
    let file = resolve_file(asset, data_type, checksum, base, resolver)?;
    Ok(Resolved {
        file,
        checksum_dropped,
    })
}

fn resolve_file(
    asset: &AssetDoc,
    data_type: DataType,
    checksum: Option<Checksum>,
    base: Option<&Path>,
    resolver: &mut Resolver,
) -> Result<NewFile, String> {
    let href = asset.href.trim();
    if let Some((bucket, key)) = objects::object_of(&resolver.roots.buckets, href) {
        return object_file(asset, data_type, checksum, (&bucket, &key), resolver.roots);
    }
    let (scheme, _) = href.split_once("://").unwrap_or(("", href));
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => {
            let url = url::Url::parse(href).map_err(|e| format!("invalid URL {href:?}: {e}"))?;
            let filename = url
                .path_segments()
                .and_then(|mut segments| segments.next_back())
                .filter(|name| !name.is_empty())
                .map(percent_decode)
                .map(|name| crate::domain::files::safe_name(&name))
                .unwrap_or_else(|| asset.key.clone());
            Ok(NewFile {
                asset_key: asset.key.clone(),
                data_type,
                mime_type: mime_type(asset, &filename),
                filename,
                size: asset.size,
                checksum,
                crc32: asset.crc32,
                uri: href.to_owned(),
                storage: None,
            })
        }
        "file" => {
            let url = url::Url::parse(href).map_err(|e| format!("invalid URL {href:?}: {e}"))?;
            let path = url
                .to_file_path()
                .map_err(|()| format!("invalid file URL {href:?}"))?;
            local_file(asset, data_type, checksum, &path, resolver)
        }
        "" => {
            let path = Path::new(href);
            let path = match (path.is_absolute(), base) {
                (true, _) => path.to_path_buf(),
                (false, Some(base)) => base.join(path),
                (false, None) => {
                    return Err(format!("relative href {href:?} cannot be resolved here"));
                }
            };
            local_file(asset, data_type, checksum, &path, resolver)
        }
        other => Err(format!("unsupported href scheme {other}:// in {href:?}")),
    }
}

fn local_file(
    asset: &AssetDoc,
    data_type: DataType,
    checksum: Option<Checksum>,
    path: &Path,
    resolver: &mut Resolver,
) -> Result<NewFile, String> {
    let (path, metadata) = resolver.canonical_file(path)?;
    let roots = resolver.roots;
    let storage = roots.storage_of(&path).ok_or_else(|| {
        format!(
            "file {} {OUTSIDE_ROOTS} ({})",
            path.display(),
            roots.describe()
        )
    })?;
    if !metadata.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    let (size, checksum, crc32) = match checksum {
        Some(checksum) => (metadata.len(), checksum, asset.crc32),
        None => {
            let (size, md5, crc32) =
                hash_file(&path).map_err(|e| format!("file {}: {e}", path.display()))?;
            (size, Checksum::md5(md5), Some(crc32))
        }
    };
    if let Some(declared) = asset.size
        && declared != size
    {
        return Err(format!(
            "file {} has {size} bytes, the STAC says {declared}",
            path.display()
        ));
    }
    let filename = path
        .file_name()
        .map_or_else(|| asset.key.clone(), |n| n.to_string_lossy().into_owned());
    Ok(NewFile {
        asset_key: asset.key.clone(),
        data_type,
        mime_type: mime_type(asset, &filename),
        filename,
        size: Some(size),
        checksum: Some(checksum),
        crc32,
        uri: url::Url::from_file_path(&path)
            .map_or_else(|()| path.display().to_string(), |u| u.to_string()),
        storage: Some(storage.to_owned()),
    })
}

/// An object of an S3 storage: its size declared or asked of the store, its checksum only declared.
fn object_file(
    asset: &AssetDoc,
    data_type: DataType,
    checksum: Option<Checksum>,
    (bucket, key): (&str, &str),
    roots: &StorageRoots,
) -> Result<NewFile, String> {
    let uri = format!("s3://{bucket}/{key}");
    let root = objects::storage_of(&roots.buckets, bucket, key).ok_or_else(|| {
        format!(
            "object {uri} is under no storage bucket and prefix ({})",
            roots.describe()
        )
    })?;
    let size = objects::size_of(root, key, asset.size)?;
    let filename = key
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(crate::domain::files::safe_name)
        .unwrap_or_else(|| asset.key.clone());
    Ok(NewFile {
        asset_key: asset.key.clone(),
        data_type,
        mime_type: mime_type(asset, &filename),
        filename,
        size: Some(size),
        checksum,
        crc32: asset.crc32,
        uri,
        storage: Some(root.storage.clone()),
    })
}

/// Size, MD5 (hex) and CRC-32 of a file, in one pass.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String, u32)> {
    let mut file = File::open(path)?;
    let mut md5 = md5::Md5::new();
    let mut crc = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        md5.update(&buffer[..read]);
        crc.update(&buffer[..read]);
        size += read as u64;
    }
    let hex = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((size, hex, crc.finalize()))
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(|| text.to_owned(), |(_, value)| value.into_owned())
}

fn mime_type(asset: &AssetDoc, filename: &str) -> String {
    if let Some(media_type) = asset.media_type.as_deref().filter(|m| !m.trim().is_empty()) {
        return media_type.to_owned();
    }
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "tif" | "tiff" => "image/tiff",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain",
        "nc" => "application/x-netcdf",
        "h5" | "hdf5" => "application/x-hdf5",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
    .to_owned()
}

#[cfg(test)]
mod tests;
