//! Files of an online S3 storage: a single file or a range streamed from the store (a ranged GET), or,
//! under `download = "redirect"`, a 307 to a presigned URL that counts as sent when it is answered; HEAD
//! is answered here and never counts. Zips read objects ahead: the GETs of the next objects of a page
//! go out, and their first bytes are buffered, while earlier files are zipped. docs/decisions.md,
//! "Object storage".

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::file::{
    Asked, answered_part, base_headers, content_disposition, counted, unreadable, unsatisfiable,
    with_part,
};
use super::{DownloadError, Recording, Source, source_of};
use crate::app::AppState;
use crate::domain::ranges::ByteRange;
use crate::error::AppError;
use crate::quotas::Slot;
use crate::store::suborders::OrderFileRow;

/// Objects of a zip being fetched ahead of the one zipped.
const AHEAD: usize = 4;
/// Chunks of an object buffered ahead (reqwest's chunks are a few KiB to a few hundred: a few MiB per
/// object at most; the connection's own buffers hold the rest until the zip reads on).
const AHEAD_CHUNKS: usize = 8;

/// An object of an online S3 storage.
#[derive(Debug, Clone)]
pub struct ObjectFile {
    pub storage: std::sync::Arc<crate::storage::Storage>,
    pub bucket: std::sync::Arc<crate::storage::S3Bucket>,
    pub key: String,
}

impl ObjectFile {
    /// The object of a file of `storage`, when it is an S3 storage.
    pub fn of(
        storage: &std::sync::Arc<crate::storage::Storage>,
        file: &OrderFileRow,
    ) -> Result<Option<ObjectFile>, DownloadError> {
        let Some(bucket) = storage.bucket() else {
            return Ok(None);
        };
        let key = crate::storage::object_key(bucket.name(), &file.uri).ok_or_else(|| {
            DownloadError::InError(format!(
                "{} is not an object of storage {}",
                file.uri,
                storage.name()
            ))
        })?;
        Ok(Some(ObjectFile {
            storage: storage.clone(),
            bucket: bucket.clone(),
            key: key.to_owned(),
        }))
    }
}

pub(super) async fn respond(
    state: &AppState,
    file: &OrderFileRow,
    object: &ObjectFile,
    asked: Asked<'_>,
    (recording, slot, expiry): (Recording, Option<Slot>, Option<i64>),
) -> Result<Response, AppError> {
    // The size recorded at import, checked against the store when the file was staged.
    let size = file.size.unwrap_or(0).max(0) as u64;
    let builder = base_headers(file, size)?;
    let (status, part) = match answered_part(file, &asked, size) {
        Ok(answered) => answered,
        Err(range) => return unsatisfiable(&range, size),
    };
    let builder = with_part(builder, status, part, size);
    if matches!(recording, Recording::Never) {
        // HEAD: answered from what the service knows, nothing asked of the store.
        return builder
            .body(Body::empty())
            .map_err(|e| AppError::Internal(e.into()));
    }
    if object.storage.redirects() {
        return redirect(state, file, object, (part, size), (slot, expiry));
    }
    let asked_part = (status == StatusCode::PARTIAL_CONTENT).then_some(part);
    let bytes = match object.bucket.get(&object.key, asked_part).await {
        Ok(bytes) => Box::pin(bytes),
        Err(error) => return Err(unreadable(state, file, &error.to_string()).await),
    };
    let body = Body::from_stream(counted(state, file, (part, size), bytes, recording, slot));
    builder.body(body).map_err(|e| AppError::Internal(e.into()))
}

/// 307 to a presigned URL, valid `presign_ttl` but never past the order's expiration; the range asked
/// (the whole file without one) counts as sent now, and toward the owner's quota.
fn redirect(
    state: &AppState,
    file: &OrderFileRow,
    object: &ObjectFile,
    (part, size): (ByteRange, u64),
    (slot, expiry): (Option<Slot>, Option<i64>),
) -> Result<Response, AppError> {
    let now = state.clock.now().millis();
    let mut ttl = object.storage.config.presign_ttl;
    if let Some(expiry) = expiry {
        let left = Duration::from_millis(u64::try_from(expiry - now).unwrap_or(0));
        ttl = ttl.min(left);
    }
    let disposition = content_disposition(&super::safe_name(&file.filename));
    let url = object.bucket.presigned_get(
        &object.key,
        ttl,
        disposition.to_str().unwrap_or("attachment"),
    );
    let (state, file_id) = (state.clone(), file.id);
    let counts = crate::quotas::counts(&file.data_type, file.storage.as_deref());
    tokio::spawn(async move {
        let recorded = crate::orders::downloaded::range_sent(&state, file_id, part).await;
        if let Err(error) = recorded {
            tracing::warn!(file_id, %error, "cannot record a redirected download");
        }
        if let Some(slot) = slot
            && let Err(error) = slot.received(file_id, counts, part, size).await
        {
            tracing::warn!(file_id, %error, "cannot count a download toward its quota");
        }
    });
    Response::builder()
        .status(StatusCode::TEMPORARY_REDIRECT)
        .header(header::LOCATION, url.as_str())
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::empty())
        .map_err(|e| AppError::Internal(e.into()))
}

type Chunk = Result<bytes::Bytes, String>;

/// The objects of a zip fetched ahead, by file id.
pub struct ReadAhead {
    handle: Handle,
    started: HashMap<i64, mpsc::Receiver<Chunk>>,
}

impl ReadAhead {
    pub fn new(handle: Handle) -> ReadAhead {
        ReadAhead {
            handle,
            started: HashMap::new(),
        }
    }

    /// Starts fetching the first objects among `next` (the rest of a page), up to [`AHEAD`] at once.
    pub fn fill(&mut self, state: &AppState, next: &VecDeque<OrderFileRow>) {
        for file in next.iter().take(AHEAD) {
            if self.started.contains_key(&file.id) {
                continue;
            }
            if let Ok(Source::Object(object)) = source_of(state, file) {
                let receiver = self.start(&object);
                self.started.insert(file.id, receiver);
            }
        }
    }

    fn start(&self, object: &ObjectFile) -> mpsc::Receiver<Chunk> {
        let (sender, receiver) = mpsc::channel(AHEAD_CHUNKS);
        let (bucket, key) = (object.bucket.clone(), object.key.clone());
        self.handle.spawn(async move {
            let mut bytes = match bucket.get(&key, None).await {
                Ok(bytes) => Box::pin(bytes),
                Err(error) => return drop(sender.send(Err(error.to_string())).await),
            };
            while let Some(chunk) = bytes.next().await {
                // The zip gone (a send fails): stop reading.
                if sender.send(chunk.map_err(|e| e.to_string())).await.is_err() {
                    return;
                }
            }
        });
        receiver
    }

    /// A reader of an object's bytes (blocking; on the zip's thread): fetched ahead, or now. A store
    /// refusing it is an error here, before its entry is started.
    pub fn open(
        &mut self,
        file: &OrderFileRow,
        object: &ObjectFile,
    ) -> Result<Box<dyn Read + Send>, String> {
        let mut receiver = match self.started.remove(&file.id) {
            Some(receiver) => receiver,
            None => self.start(object),
        };
        let first = match self.handle.block_on(receiver.recv()) {
            Some(Err(reason)) => return Err(format!("Error during file download: {reason}")),
            first => first,
        };
        let rest = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        let chunks = futures::stream::iter(first)
            .chain(rest)
            .map(|chunk| chunk.map_err(std::io::Error::other));
        let reader = tokio_util::io::StreamReader::new(Box::pin(chunks));
        Ok(Box::new(tokio_util::io::SyncIoBridge::new_with_handle(
            reader,
            self.handle.clone(),
        )))
    }
}
