//! PostgreSQL: production, and several service instances sharing one database.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use super::basket::BasketStore;
use super::catalog::CatalogStore;
use super::jobs::{JobStore, LeasedJob, lease_job_with};
use super::orders::OrderStore;
use super::timed::QueryPool;
use super::{Backend, Database, StoreError, Tx};
use crate::time::Timestamp;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PostgresStore {
    pool: AnyPool,
    queries: QueryPool,
}

impl PostgresStore {
    pub async fn connect(
        url: &str,
        statement_timeout: Duration,
    ) -> Result<PostgresStore, StoreError> {
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Prepared statements are reused; a generic plan for `WHERE order_id = $1 AND state = $2
                    // AND id IN (...)` scans a million-row index where the primary key finds 1000 rows.
                    conn.execute("SET plan_cache_mode = force_custom_plan")
                        .await?;
                    // Our statements are short; JIT compiling them costs more than it saves. On tables not
                    // analyzed yet (a fresh bulk load), cost estimates in the millions made every 1000-order
                    // CSV batch spend 200 ms compiling for a 10 ms query.
                    conn.execute("SET jit = off").await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let queries = QueryPool::postgres(url, statement_timeout)?;
        Ok(PostgresStore { pool, queries })
    }
}

#[async_trait]
impl Database for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn pool(&self) -> &AnyPool {
        &self.pool
    }

    fn queries(&self) -> &QueryPool {
        &self.queries
    }

    async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl JobStore for PostgresStore {
    async fn lease_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<LeasedJob>, StoreError> {
        // Several processes lease at once: skip the rows another transaction is taking.
        lease_job_with(
            &self.pool,
            "FOR UPDATE SKIP LOCKED",
            worker,
            now,
            lease_until,
        )
        .await
    }
}

impl CatalogStore for PostgresStore {}

impl BasketStore for PostgresStore {}

impl OrderStore for PostgresStore {}

impl super::AdminStore for PostgresStore {}

impl super::AccessStore for PostgresStore {}
