//! The statements of the benchmarks (`regards-order bench`): their fixtures, their baselines (what the
//! database does in one statement, timed beside the service), and the scratch databases they run on.

use std::time::{Duration, Instant};

use sqlx::{AnyPool, AssertSqlSafe, Connection};

use super::StoreError;

/// Creates a database on a PostgreSQL server.
pub async fn create_scratch_database(server: &str, name: &str) -> Result<(), StoreError> {
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    Ok(())
}

/// Drops a database of a PostgreSQL server, its connections closed.
pub async fn drop_scratch_database(server: &str, name: &str) -> Result<(), StoreError> {
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    Ok(())
}

/// The URIs of every catalog file, by id.
pub async fn file_uris(pool: &AnyPool) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT uri FROM files ORDER BY id")
        .fetch_all(pool)
        .await?)
}

/// The baseline of an order: the same rows copied from the catalog into a scratch table by one
/// statement. Returns the rows copied and the time it took.
pub async fn copy_orderable_files(pool: &AnyPool) -> Result<(u64, Duration), StoreError> {
    sqlx::query("CREATE TABLE bench_order_files AS SELECT * FROM order_files WHERE 1 = 0")
        .execute(pool)
        .await?;
    let started = Instant::now();
    let copied = sqlx::query(
        "INSERT INTO bench_order_files (id, order_id, sub_order_id, dataset_task_id, object_ip_id, provider_id, data_type,
             filename, size, checksum, checksum_algo, crc32, mime_type, uri, storage, reference, state, state_date)
         SELECT f.id, 0, 0, 0, o.ip_id, o.provider_id, f.data_type, f.filename, f.size, f.checksum, f.checksum_algo,
                f.crc32, f.mime_type, f.uri, f.storage, f.reference, 'AVAILABLE', 0
         FROM files f JOIN data_objects o ON o.id = f.object_id
         WHERE f.data_type IN ('RAWDATA', 'QUICKLOOK_SD', 'QUICKLOOK_MD', 'QUICKLOOK_HD')",
    )
    .execute(pool)
    .await?
    .rows_affected();
    let elapsed = started.elapsed();
    sqlx::query("DROP TABLE bench_order_files")
        .execute(pool)
        .await?;
    Ok((copied, elapsed))
}

/// `orders` DONE orders of 100 users, a minute apart, each with two dataset tasks; one statement each.
pub async fn insert_done_orders(pool: &AnyPool, orders: u64) -> Result<(), StoreError> {
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO orders (owner, label, creation_date, expiration_date, status, status_date, expanded,
                             total_files, total_bytes, treated_files, treated_bytes)
         SELECT 'user' || (i % 100) || '@example.org', 'order ' || i, 1700000000000 + CAST(i AS BIGINT) * 60000,
                1700259200000 + CAST(i AS BIGINT) * 60000, 'DONE', 1700000000000 + CAST(i AS BIGINT) * 60000,
                1, 4, 4000, 4, 4000
         FROM n",
    )
    .bind(orders as i64)
    .execute(pool)
    .await?;
    for dataset in 1..=2 {
        sqlx::query(
            "INSERT INTO dataset_tasks (order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request,
                                        objects_count, files_count, files_size)
             SELECT id, $1, 'URN:AIP:DATASET:BENCH:' || $1, 'Dataset ' || $1, '', 1, 2, 2000 FROM orders",
        )
        .bind(dataset)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// The baseline of the CSV: every order's line, read by one statement. Returns the rows read.
pub async fn read_csv_rows(pool: &AnyPool) -> Result<usize, StoreError> {
    let rows = sqlx::query(
        "SELECT o.id, o.creation_date, o.expiration_date, o.owner, o.status, o.status_date,
                o.total_bytes, o.treated_bytes, o.error_files,
                (SELECT CAST(SUM(t.files_size) AS BIGINT) FROM dataset_tasks t WHERE t.order_id = o.id),
                (SELECT CAST(SUM(t.files_count) AS BIGINT) FROM dataset_tasks t WHERE t.order_id = o.id)
         FROM orders o ORDER BY o.id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.len())
}

/// The baseline of a search page: 1000 orders and their tasks, read by one statement. Returns the rows.
pub async fn read_order_page(pool: &AnyPool) -> Result<usize, StoreError> {
    let rows = sqlx::query(
        "SELECT o.*, t.* FROM (SELECT * FROM orders ORDER BY creation_date DESC, id DESC LIMIT 1000) o
         JOIN dataset_tasks t ON t.order_id = o.id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.len())
}
