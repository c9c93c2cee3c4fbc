//! The embedded default: a SQLite file in WAL mode.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use super::basket::BasketStore;
use super::catalog::CatalogStore;
use super::jobs::{JobStore, LeasedJob, lease_job_with};
use super::orders::OrderStore;
use super::timed::QueryPool;
use super::{Backend, Database, StoreError, Tx};
use crate::time::Timestamp;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pool: AnyPool,
    queries: QueryPool,
}

impl SqliteStore {
    pub async fn connect(
        url: &str,
        statement_timeout: Duration,
    ) -> Result<SqliteStore, StoreError> {
        let (path, params) = split_url(url);
        if let Some(folder) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        let url = match params {
            Some(params) if params.contains("mode=") => url.to_owned(),
            Some(params) => format!("sqlite://{path}?{params}&mode=rwc"),
            None => format!("sqlite://{path}?mode=rwc"),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        // WAL is a property of the file: set it once, before the pool opens its connections.
        let mut first = options.connect().await?;
        first.execute("PRAGMA journal_mode = WAL").await?;
        first.close().await?;

        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                         PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY",
                    )
                        .await?;
                    Ok(())
                })
            })
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let queries = QueryPool::sqlite(&url, statement_timeout)?;
        Ok(SqliteStore { pool, queries })
    }
}

/// `sqlite://./data/x.db?mode=rwc` → (`./data/x.db`, `Some("mode=rwc")`); `sqlite:x.db` works too.
fn split_url(url: &str) -> (&str, Option<&str>) {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    match rest.split_once('?') {
        Some((path, params)) => (path, Some(params)),
        None => (rest, None),
    }
}

#[async_trait]
impl Database for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn pool(&self) -> &AnyPool {
        &self.pool
    }

    fn queries(&self) -> &QueryPool {
        &self.queries
    }

    async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn lease_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<LeasedJob>, StoreError> {
        // One UPDATE statement is atomic on SQLite (a single writer), so no row lock is needed.
        lease_job_with(&self.pool, "", worker, now, lease_until).await
    }
}

impl CatalogStore for SqliteStore {}

impl BasketStore for SqliteStore {}

impl OrderStore for SqliteStore {}

impl super::AdminStore for SqliteStore {}

impl super::AccessStore for SqliteStore {}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_path_and_parameters() {
        assert_eq!(split_url("sqlite://./data/x.db"), ("./data/x.db", None));
        assert_eq!(
            split_url("sqlite:///abs/x.db?mode=rwc"),
            ("/abs/x.db", Some("mode=rwc"))
        );
        assert_eq!(split_url("sqlite:x.db"), ("x.db", None));
    }
}
