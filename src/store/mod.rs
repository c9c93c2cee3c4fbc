//! Persistence: one `Store` trait, two implementations — SQLite (the embedded default) and PostgreSQL
//! (production, several instances). Both run on sqlx's `Any` driver, so where the dialects agree one SQL
//! text serves both (the traits' default methods); where they differ (locking, transaction start) each
//! backend has its own statement. Timestamps are epoch milliseconds (`BIGINT`).

pub mod access;
pub mod admin;
pub mod basket;
pub mod bench;
pub mod catalog;
mod codec;
pub mod digest;
mod jobs;
pub mod orders;
mod postgres;
pub mod quotas;
mod sql;
mod sqlite;
pub mod suborders;
pub mod timed;

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::AnyPool;

pub use access::AccessStore;
pub use admin::{AdminStore, NamedCount, OrderLine};
pub use basket::{BasketContent, BasketDatasetRecord, BasketItemRecord, BasketRecord, BasketStore};
pub use catalog::{
    CatalogStore, DatasetRow, FileRow, NewDataset, NewFile, NewObject, ObjectRow, PropertyValue,
    SummaryRow, WriteOutcome,
};
pub use jobs::{JobCount, JobStore, LeasedJob, NewJob, enqueue, enqueue_or_move};
pub use orders::{DatasetTaskRow, OrderRow, OrderStore};
pub use suborders::{OrderFileRow, SubOrderRow};

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A connection on either backend (a transaction derefs to one): what store functions that may run in the
/// caller's transaction take.
pub type Conn = sqlx::AnyConnection;

/// Commits a transaction.
pub async fn commit(tx: Tx) -> Result<(), StoreError> {
    Ok(tx.commit().await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, from its scheme.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "The catalog query ran longer than {}s and was stopped: narrow it (fewer terms, fewer wildcards) \
         or try again later",
        .0.as_secs_f64()
    )]
    QueryTimeout(std::time::Duration),
    #[error("The catalog is busy with other queries: try again in a few seconds")]
    Busy,
    /// A state machine refused a change (a bug, not an input error).
    #[error("{0}")]
    Transition(String),
    /// A blocking or background part of a store operation failed.
    #[error("{0}")]
    Worker(String),
}

/// How long a statement running a user's catalog query may take by default (`[database]
/// statement_timeout`).
pub const DEFAULT_STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What every backend provides: its pool, how a writing transaction starts, its migrations.
#[async_trait]
pub trait Database: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    fn pool(&self) -> &AnyPool;

    /// Where users' catalog queries run, each statement bounded in time (`timed`).
    fn queries(&self) -> &timed::QueryPool;

    /// Begins a transaction that is going to write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads then writes fails with SQLITE_BUSY under
    /// concurrency, whatever the busy timeout.
    async fn begin_write(&self) -> Result<Tx, StoreError>;

    /// Applies this backend's migrations (`migrations/<backend>/`).
    async fn migrate(&self) -> Result<(), StoreError>;

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    async fn close(&self) {
        self.queries().close().await;
        self.pool().close().await;
    }
}

/// Everything the service persists.
pub trait Store:
    Database + JobStore + CatalogStore + BasketStore + OrderStore + AdminStore + AccessStore
{
}

impl<T> Store for T where
    T: Database + JobStore + CatalogStore + BasketStore + OrderStore + AdminStore + AccessStore
{
}

/// Opens the database a URL names (`sqlite://...` creates the file; `postgres://...`), without migrating;
/// users' catalog queries stopped after [`DEFAULT_STATEMENT_TIMEOUT`].
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with(url, DEFAULT_STATEMENT_TIMEOUT).await
}

/// The same, users' catalog queries stopped after `statement_timeout`.
pub async fn connect_with(
    url: &str,
    statement_timeout: std::time::Duration,
) -> Result<Arc<dyn Store>, StoreError> {
    sqlx::any::install_default_drivers();
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => Ok(Arc::new(
            sqlite::SqliteStore::connect(url, statement_timeout).await?,
        )),
        Some(Backend::Postgres) => Ok(Arc::new(
            postgres::PostgresStore::connect(url, statement_timeout).await?,
        )),
        None => Err(StoreError::UnsupportedUrl(url.to_owned())),
    }
}
