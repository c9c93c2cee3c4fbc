//! The tier logic's S3 side: an object's HEAD for a check, restores asked for and polled until the store
//! says they are done, and an object's bytes as the reader a restore copies into the cache.
//! docs/decisions.md, "Object storage".

use std::time::Duration;

use super::StageError;
use super::copy::Input;
use super::s3::{ObjectHead, RestoreState, S3Bucket, S3Error};
use crate::config::StorageConfig;

/// The key of an object from its URI `s3://<bucket>/<key>`, when it is in `bucket`.
pub fn object_key<'a>(bucket: &str, uri: &'a str) -> Option<&'a str> {
    let rest = uri.strip_prefix("s3://")?;
    let (name, key) = rest.split_once('/')?;
    (name == bucket && !key.is_empty()).then_some(key)
}

fn stage_error(storage: &str, error: S3Error) -> StageError {
    match error {
        S3Error::Missing { bucket, key } => StageError::Missing {
            storage: storage.to_owned(),
            path: format!("s3://{bucket}/{key}"),
        },
        other => StageError::Io(other.to_string()),
    }
}

fn key_of<'a>(storage: &str, bucket: &S3Bucket, uri: &'a str) -> Result<&'a str, StageError> {
    object_key(bucket.name(), uri).ok_or_else(|| {
        StageError::Io(format!(
            "{uri} is not an object of bucket {} (storage {storage})",
            bucket.name()
        ))
    })
}

pub(super) async fn head(
    storage: &str,
    bucket: &S3Bucket,
    uri: &str,
) -> Result<ObjectHead, StageError> {
    let key = key_of(storage, bucket, uri)?;
    bucket.head(key).await.map_err(|e| stage_error(storage, e))
}

/// Sends RestoreObject for each archived object of `uris` not yet restored nor being restored.
pub(super) async fn request_restores(
    config: &StorageConfig,
    bucket: &S3Bucket,
    uris: &[&str],
    days: u32,
) {
    for uri in uris {
        let Some(key) = object_key(bucket.name(), uri) else {
            continue;
        };
        if let Ok(head) = bucket.head(key).await
            && head.archived
            && head.restore == RestoreState::None
            && let Err(error) = bucket.restore(key, days, &config.restore_tier).await
        {
            tracing::warn!(storage = config.name, %error, "restore not accepted");
        }
    }
}

/// The bytes of an object, once readable: an archived object is restored first (RestoreObject, then a
/// HEAD every `restore_poll_interval` until `x-amz-restore` says it is done).
pub(super) async fn input(
    config: &StorageConfig,
    bucket: &S3Bucket,
    uri: &str,
    days: u32,
) -> Result<Input, StageError> {
    let storage = config.name.as_str();
    let key = key_of(storage, bucket, uri)?;
    let mut head = bucket
        .head(key)
        .await
        .map_err(|e| stage_error(storage, e))?;
    if head.archived && head.restore == RestoreState::None {
        bucket
            .restore(key, days, &config.restore_tier)
            .await
            .map_err(|e| stage_error(storage, e))?;
        head = bucket
            .head(key)
            .await
            .map_err(|e| stage_error(storage, e))?;
    }
    while !head.readable() {
        tokio::time::sleep(config.restore_poll_interval.max(Duration::from_millis(10))).await;
        head = bucket
            .head(key)
            .await
            .map_err(|e| stage_error(storage, e))?;
        if head.archived && head.restore == RestoreState::None {
            return Err(StageError::Io(format!(
                "the restore of {uri} was dropped by the store"
            )));
        }
    }
    let bytes = bucket
        .get(key, None)
        .await
        .map_err(|e| stage_error(storage, e))?;
    let reader =
        tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(Box::pin(bytes)));
    Ok(Input {
        name: uri.to_owned(),
        reader: Box::new(reader),
    })
}
