//! Assets in an S3 bucket: `s3://<bucket>/<key>` hrefs, and `http(s)` hrefs under
//! `<endpoint>/<bucket>/<prefix>/`, belong to the storage whose bucket and prefix contain the key (by whole
//! path segments; the longest prefix wins). The size comes from `file:size`, else a HEAD; a checksum only
//! from `file:checksum`, never from an ETag. docs/decisions.md, "Object storage".

use std::sync::Arc;

use crate::storage::S3Bucket;

/// A storage on an S3 bucket, as imports see it.
#[derive(Debug, Clone)]
pub struct BucketRoot {
    pub storage: String,
    pub bucket: Arc<S3Bucket>,
    pub prefix: String,
    /// `<endpoint>/<bucket>/`: an `http(s)` href starting with it names an object of the bucket.
    pub http_base: String,
}

impl BucketRoot {
    /// Whether `key` is under the prefix, by whole path segments.
    fn contains(&self, key: &str) -> bool {
        self.prefix.is_empty()
            || key
                .strip_prefix(&self.prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// The storage holding an object of `bucket` named `key`: the longest prefix containing it.
pub fn storage_of<'a>(roots: &'a [BucketRoot], bucket: &str, key: &str) -> Option<&'a BucketRoot> {
    roots
        .iter()
        .filter(|root| root.bucket.name() == bucket && root.contains(key))
        .max_by_key(|root| root.prefix.len())
}

/// The bucket and key of an `s3://` href, or of an `http(s)` href under a storage's endpoint and
/// bucket (its key percent-decoded).
pub fn object_of(roots: &[BucketRoot], href: &str) -> Option<(String, String)> {
    if let Some(rest) = href.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/')?;
        return Some((bucket.to_owned(), key.to_owned()));
    }
    roots.iter().find_map(|root| {
        let key = href.strip_prefix(&root.http_base)?;
        let key = key.split(['?', '#']).next().unwrap_or(key);
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8()
            .ok()?
            .into_owned();
        root.contains(&key)
            .then(|| (root.bucket.name().to_owned(), key))
    })
}

/// The size of an object: declared, else asked of the store (a HEAD, through the runtime this blocking
/// import runs in).
pub fn size_of(root: &BucketRoot, key: &str, declared: Option<u64>) -> Result<u64, String> {
    if let Some(size) = declared {
        return Ok(size);
    }
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| format!("no file:size for s3://{}/{key}", root.bucket.name()))?;
    handle
        .block_on(root.bucket.head(key))
        .map(|head| head.size)
        .map_err(|e| e.to_string())
}
