//! Downloads: who may fetch what (owner or admin with a bearer token; a public order token for its own
//! order only), where a file's bytes come from (online storage, the nearline cache, an external URL), and
//! the three ways out: one file (with ranges), a streamed zip, a metalink.

pub mod delivery;
mod external;
pub mod file;
pub mod metalink;
pub mod object;

pub use object::ObjectFile;
pub mod received;
pub mod zip;

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

use crate::app::AppState;
use crate::auth::{Caller, OrderGrant};
use crate::domain::access::{Need, Viewer};
pub use crate::domain::files::safe_name;
use crate::domain::order::{FileState, OrderStatus};
use crate::download::delivery::Connection;
use crate::orders::OrderError;
use crate::store::orders::OrderRow;
use crate::store::suborders::OrderFileRow;

/// Seconds a client is told to wait before asking again for a file not yet available.
pub const RETRY_AFTER_SECONDS: u64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("Data file with id: {0} doesn't exist.")]
    UnknownFile(i64),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error("Order {0} has expired")]
    Expired(i64),
    #[error("Order {0} is {1}: it has no files to download")]
    NotDownloadable(i64, &'static str),
    /// Accepted, its files not yet listed (what REGARDS calls a PENDING order).
    #[error("Order {0} is still being prepared: its files are not listed yet")]
    NotListed(i64),
    #[error("Not yet available.")]
    Pending,
    #[error("{0}")]
    InError(String),
    #[error(
        "The cached copy of data file {0} was removed after its download. To get it again, restart the order \
         once it is done: restarting makes a new order of the same selection"
    )]
    Evicted(i64),
    /// A bearer user who is neither the owner nor an admin.
    #[error("You are not allowed to download the files of order {0}")]
    Forbidden(i64),
    /// An order token for another order (or another owner).
    #[error("This order token does not open data file {0}")]
    WrongToken(i64),
    /// The file's dataset may no longer be downloaded with the groups the order was placed with.
    #[error(
        "Access to data file {0} was withdrawn: the access groups order {1} was placed with may no longer \
         download dataset {2}"
    )]
    Withdrawn(i64, i64, String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Who asks for an order's files.
#[derive(Debug, Clone)]
pub enum Requester {
    Bearer(Caller),
    Token(OrderGrant),
}

/// The order, for this requester: its owner or an admin (403 otherwise), or a token of this very order
/// and owner (401 otherwise); an EXPIRED order is a 404 saying so.
pub async fn order_for(
    state: &AppState,
    requester: &Requester,
    order_id: i64,
) -> Result<OrderRow, DownloadError> {
    let order = state
        .store
        .order(order_id)
        .await?
        .ok_or(OrderError::NotFound(order_id))?;
    match requester {
        Requester::Bearer(caller) => {
            if caller.user != order.owner && !caller.is_admin() {
                return Err(DownloadError::Forbidden(order_id));
            }
        }
        Requester::Token(grant) => {
            if grant.order_id != order.id || grant.owner != order.owner {
                return Err(DownloadError::WrongToken(order_id));
            }
        }
    }
    match order.status() {
        OrderStatus::Expired => Err(DownloadError::Expired(order_id)),
        OrderStatus::Deleted => Err(DownloadError::NotDownloadable(order_id, "DELETED")),
        _ => Ok(order),
    }
}

/// A file of an order, for this requester.
pub async fn file_for(
    state: &AppState,
    requester: &Requester,
    file_id: i64,
) -> Result<(OrderRow, OrderFileRow), DownloadError> {
    let file = state
        .store
        .order_file(file_id)
        .await?
        .ok_or(DownloadError::UnknownFile(file_id))?;
    let order = match order_for(state, requester, file.order_id).await {
        Err(DownloadError::Order(OrderError::NotFound(_))) => {
            return Err(DownloadError::UnknownFile(file_id));
        }
        Err(DownloadError::WrongToken(_)) => return Err(DownloadError::WrongToken(file_id)),
        other => other?,
    };
    let allowed = Allowed::of(state, &order).await?;
    if let Some(dataset) = allowed.withheld(&file) {
        return Err(DownloadError::Withdrawn(
            file_id,
            order.id,
            dataset.to_owned(),
        ));
    }
    Ok((order, file))
}

/// Which of an order's files may be downloaded now: the datasets its frozen access groups may order
/// today (docs/decisions.md "Access rights": downloads re-check the current rights).
#[derive(Debug, Clone)]
pub struct Allowed {
    /// Dataset tasks of the order whose dataset is withheld, with the dataset's ipId.
    withheld: HashMap<i64, String>,
}

impl Allowed {
    pub async fn of(state: &AppState, order: &OrderRow) -> Result<Allowed, DownloadError> {
        let viewer = order.viewer();
        if viewer == Viewer::All {
            return Ok(Allowed {
                withheld: HashMap::new(),
            });
        }
        let scope = crate::access::datasets(
            state.store.as_ref(),
            &state.config.access,
            &viewer,
            Need::Data,
        )
        .await?;
        let withheld = state
            .store
            .dataset_tasks(order.id)
            .await?
            .into_iter()
            .filter(|task| !scope.contains(task.dataset_id))
            .map(|task| (task.id, task.dataset_ip_id))
            .collect();
        Ok(Allowed { withheld })
    }

    /// The dataset of `file` when it is withheld.
    pub fn withheld(&self, file: &OrderFileRow) -> Option<&str> {
        self.withheld.get(&file.dataset_task_id).map(String::as_str)
    }
}

/// Where a file's bytes are.
#[derive(Debug, Clone)]
pub enum Source {
    Local(LocalFile),
    Url(String),
    Object(ObjectFile),
}

/// A file on local disk, and the folder it may not leave (its storage root, or the nearline cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    pub path: PathBuf,
    pub folder: PathBuf,
}

impl LocalFile {
    /// Opens it for reading, never out of its folder (a symbolic link swapped in after the import).
    pub fn open(&self) -> std::io::Result<std::fs::File> {
        crate::storage::open_within(&self.folder, &self.path)
    }
}

/// The source of a file that may be downloaded (AVAILABLE or already DOWNLOADED / DOWNLOAD_ERROR).
pub fn source_of(state: &AppState, file: &OrderFileRow) -> Result<Source, DownloadError> {
    match file.state {
        FileState::Pending => return Err(DownloadError::Pending),
        FileState::Error => {
            return Err(DownloadError::InError(
                file.error
                    .clone()
                    .unwrap_or_else(|| "This file is in error".into()),
            ));
        }
        _ => {}
    }
    let Some(storage_name) = file.storage.as_deref() else {
        return Ok(Source::Url(file.uri.clone()));
    };
    let storage = state.storages.get(storage_name).ok_or_else(|| {
        DownloadError::InError(format!("storage {storage_name:?} is not configured"))
    })?;
    if storage.is_nearline() {
        return match &file.cache_path {
            Some(path) => Ok(Source::Local(LocalFile {
                path: PathBuf::from(path),
                folder: storage.cache_dir(),
            })),
            None => Err(DownloadError::Evicted(file.id)),
        };
    }
    if let Some(object) = ObjectFile::of(storage, file)? {
        return Ok(Source::Object(object));
    }
    Ok(Source::Local(LocalFile {
        path: crate::storage::local_path(&file.uri),
        folder: storage.config.root.clone(),
    }))
}

/// A stream that runs `done` once the whole body was handed over to the HTTP connection: when `length`
/// bytes went out (hyper stops polling a body once its `Content-Length` is reached), or, with no length,
/// when the stream ends. Never when it is dropped before (the client went away) or fails.
pub struct OnComplete<S> {
    inner: S,
    /// What `download_bytes_total` counts the bytes as (`zip`, `file`).
    kind: &'static str,
    remaining: Option<u64>,
    done: Option<Box<dyn FnOnce() + Send>>,
}

impl<S> OnComplete<S> {
    pub fn new(
        inner: S,
        kind: &'static str,
        length: Option<u64>,
        done: impl FnOnce() + Send + 'static,
    ) -> OnComplete<S> {
        let mut stream = OnComplete {
            inner,
            kind,
            remaining: length,
            done: Some(Box::new(done)),
        };
        if length == Some(0) {
            // Nothing to send: hyper will not even poll an empty body.
            stream.finish();
        }
        stream
    }

    fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            done();
        }
    }
}

impl<S, E> Stream for OnComplete<S>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
{
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let next = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            metrics::counter!("download_bytes_total", "kind" => self.kind)
                .increment(chunk.len() as u64);
        }
        match (&next, self.remaining) {
            (Poll::Ready(Some(Ok(chunk))), Some(remaining)) => {
                let left = remaining.saturating_sub(chunk.len() as u64);
                self.remaining = Some(left);
                if left == 0 {
                    self.finish();
                }
            }
            (Poll::Ready(Some(Err(_))), _) => self.done = None,
            (Poll::Ready(None), None | Some(0)) => self.finish(),
            _ => {}
        }
        next
    }
}

/// What becomes of a body sent whole: nothing (HEAD), recorded at once (no connection to watch), or
/// recorded once its connection stayed sound a little while (see [`crate::download::delivery`]).
#[derive(Debug, Clone)]
pub enum Recording {
    Never,
    Now,
    AfterDelivery(Connection),
}

impl Recording {
    pub fn of(method: &axum::http::Method, extensions: &axum::http::Extensions) -> Recording {
        if method == axum::http::Method::HEAD {
            return Recording::Never;
        }
        match crate::download::delivery::connection_of(extensions) {
            Some(connection) => Recording::AfterDelivery(connection),
            None => Recording::Now,
        }
    }

    /// Spawns `record` when (and if) the body counts as delivered.
    pub fn record<F>(&self, record: impl FnOnce() -> F + Send + 'static)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        match self {
            Recording::Never => {}
            Recording::Now => {
                tokio::spawn(record());
            }
            Recording::AfterDelivery(connection) => connection.after_delivery(move || {
                tokio::spawn(record());
            }),
        }
    }
}

/// A safe file name (see [`safe_name`]) unique among those handed out: `name (1).ext`, `name (2).ext`, ...
pub fn unique_name(taken: &mut std::collections::HashSet<String>, name: &str) -> String {
    let name = safe_name(name);
    if taken.insert(name.clone()) {
        return name;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name.as_str(), String::new()),
    };
    (1..)
        .map(|n| format!("{stem} ({n}){extension}"))
        .find(|candidate| taken.insert(candidate.clone()))
        .expect("some suffix is free")
}

/// `order_<id>_<yyyy-MM-ddTHH-mm-ssZ>.<extension>` (no `:` in a file name).
pub fn attachment_name(order_id: i64, now: crate::time::Timestamp, extension: &str) -> String {
    format!(
        "order_{order_id}_{}.{extension}",
        now.to_datetime().format("%Y-%m-%dT%H-%M-%SZ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_unique_like_regards_does() {
        let mut taken = std::collections::HashSet::new();
        assert_eq!(unique_name(&mut taken, "a.txt"), "a.txt");
        assert_eq!(unique_name(&mut taken, "a.txt"), "a (1).txt");
        assert_eq!(unique_name(&mut taken, "a.txt"), "a (2).txt");
        assert_eq!(unique_name(&mut taken, "README"), "README");
        assert_eq!(unique_name(&mut taken, "README"), "README (1)");
        assert_eq!(unique_name(&mut taken, "a (1).txt"), "a (1) (1).txt");
    }

    #[test]
    fn unique_names_are_safe_names() {
        let mut taken = std::collections::HashSet::new();
        assert_eq!(unique_name(&mut taken, "a/b"), "a_b");
        assert_eq!(unique_name(&mut taken, "a\\b"), "a_b (1)");
    }

    #[test]
    fn attachment_names_have_no_colon() {
        let name = attachment_name(7, crate::time::Timestamp(1_522_765_200_383), "zip");
        assert_eq!(name, "order_7_2018-04-03T14-20-00Z.zip");
    }
}
