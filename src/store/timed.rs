//! Where users' catalog queries run (searches, summaries, an order's expansion pages): connections of
//! their own, each statement bounded by `[database] statement_timeout`. A query can neither run for ever
//! nor take the connections that orders, jobs and `/health` need. PostgreSQL stops a statement itself
//! (`SET statement_timeout` on these connections); SQLite has no such setting, so each statement runs with
//! a progress handler that interrupts it past its deadline.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AnyPool, AssertSqlSafe, Executor, Row};

use super::StoreError;
use crate::domain::query::sql::SqlParam;

/// Connections of the query pool (at most this many user queries run at once per process).
const CONNECTIONS: u32 = 4;
/// SQLite virtual-machine instructions between two looks at the clock.
const CHECK_EVERY: i32 = 10_000;
/// The least a query waits for a free connection before the catalog is said to be busy.
const LEAST_WAIT: Duration = Duration::from_secs(5);

/// The type of a column read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
}

/// A value read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Int(i64),
    Text(String),
}

impl Cell {
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(value) => *value,
            Cell::Text(_) => 0,
        }
    }

    pub fn text(self) -> String {
        match self {
            Cell::Text(value) => value,
            Cell::Int(value) => value.to_string(),
        }
    }
}

pub enum QueryPool {
    Sqlite { pool: SqlitePool, timeout: Duration },
    Postgres { pool: AnyPool, timeout: Duration },
}

impl QueryPool {
    /// Read-only connections to the SQLite file of `url` (which must exist).
    pub fn sqlite(url: &str, timeout: Duration) -> Result<QueryPool, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .read_only(true)
            .busy_timeout(timeout.max(LEAST_WAIT));
        let pool = SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(timeout.max(LEAST_WAIT))
            .connect_lazy_with(options);
        Ok(QueryPool::Sqlite { pool, timeout })
    }

    /// Connections whose statements PostgreSQL stops after `timeout`.
    pub fn postgres(url: &str, timeout: Duration) -> Result<QueryPool, StoreError> {
        let options = AnyConnectOptions::from_str(url)?;
        let millis = timeout.as_millis().max(1);
        let pool = AnyPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(timeout.max(LEAST_WAIT))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    let settings = format!(
                        "SET statement_timeout = {millis}; SET plan_cache_mode = force_custom_plan; \
                         SET jit = off"
                    );
                    conn.execute(AssertSqlSafe(settings)).await?;
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        Ok(QueryPool::Postgres { pool, timeout })
    }

    fn timeout(&self) -> Duration {
        match self {
            QueryPool::Sqlite { timeout, .. } | QueryPool::Postgres { timeout, .. } => *timeout,
        }
    }

    /// Runs one statement and reads its rows as `kinds` say.
    pub async fn rows(
        &self,
        sql: &str,
        params: &[SqlParam],
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Cell>>, StoreError> {
        let timeout = self.timeout();
        let outcome = match self {
            QueryPool::Sqlite { pool, .. } => sqlite_rows(pool, timeout, sql, params, kinds).await,
            QueryPool::Postgres { pool, .. } => {
                let query = bind(sqlx::query(AssertSqlSafe(sql.to_owned())), params);
                let rows = query.fetch_all(pool).await;
                rows.and_then(|rows| rows.iter().map(|row| read(row, kinds)).collect())
            }
        };
        outcome.map_err(|error| classify(error, timeout))
    }

    pub async fn close(&self) {
        match self {
            QueryPool::Sqlite { pool, .. } => pool.close().await,
            QueryPool::Postgres { pool, .. } => pool.close().await,
        }
    }
}

async fn sqlite_rows(
    pool: &SqlitePool,
    timeout: Duration,
    sql: &str,
    params: &[SqlParam],
    kinds: &[Kind],
) -> Result<Vec<Vec<Cell>>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let deadline = Instant::now() + timeout;
    conn.lock_handle()
        .await?
        .set_progress_handler(CHECK_EVERY, move || Instant::now() < deadline);
    let query = bind(sqlx::query(AssertSqlSafe(sql.to_owned())), params);
    let rows = query.fetch_all(&mut *conn).await;
    conn.lock_handle().await?.remove_progress_handler();
    rows?.iter().map(|row| read(row, kinds)).collect()
}

/// The parameters of a statement, in order, on either backend.
fn bind<'q, DB: sqlx::Database>(
    mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    params: &[SqlParam],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    f64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for param in params {
        query = match param {
            SqlParam::Int(value) => query.bind(*value),
            SqlParam::Float(value) => query.bind(*value),
            SqlParam::Text(value) => query.bind(value.clone()),
        };
    }
    query
}

fn read<R: Row>(row: &R, kinds: &[Kind]) -> Result<Vec<Cell>, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    kinds
        .iter()
        .enumerate()
        .map(|(n, kind)| {
            Ok(match kind {
                Kind::Int => Cell::Int(row.try_get::<Option<i64>, _>(n)?.unwrap_or(0)),
                Kind::Text => Cell::Text(row.try_get::<Option<String>, _>(n)?.unwrap_or_default()),
            })
        })
        .collect()
}

/// A statement stopped by its deadline (SQLite: interrupted; PostgreSQL: `query_canceled`), or no
/// connection free in time, says so; anything else is a database error.
fn classify(error: sqlx::Error, timeout: Duration) -> StoreError {
    match &error {
        sqlx::Error::PoolTimedOut => StoreError::Busy,
        sqlx::Error::Database(database)
            if database.code().as_deref() == Some("57014")
                || database.code().as_deref() == Some("9")
                || database.message().contains("interrupted") =>
        {
            StoreError::QueryTimeout(timeout)
        }
        _ => StoreError::Sqlx(error),
    }
}
