//! An order's files: written by the expansion, moved between states by `transition` (which keeps the
//! counters of their sub-orders and of their order exact in the same transaction), read page by page.

use std::collections::HashMap;

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::domain::order::FileState;
use crate::store::{Backend, StoreError};
use crate::time::Timestamp;

/// A file of an order, as the expansion copies it from the catalog.
#[derive(Debug, Clone)]
pub struct NewOrderFile {
    pub order_id: i64,
    pub sub_order_id: i64,
    pub dataset_task_id: i64,
    pub object_ip_id: String,
    pub provider_id: String,
    pub data_type: String,
    pub filename: String,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub checksum_algo: Option<String>,
    pub crc32: Option<i64>,
    pub mime_type: String,
    pub uri: String,
    pub storage: Option<String>,
    pub state: FileState,
}

pub const FILE_COLUMNS: &str = "id, order_id, sub_order_id, dataset_task_id, object_ip_id, provider_id, data_type, \
     filename, size, checksum, checksum_algo, crc32, mime_type, uri, storage, reference, state, error, cache_path";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderFileRow {
    pub id: i64,
    pub order_id: i64,
    pub sub_order_id: i64,
    pub dataset_task_id: i64,
    pub object_ip_id: String,
    pub provider_id: String,
    pub data_type: String,
    pub filename: String,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub checksum_algo: Option<String>,
    pub crc32: Option<i64>,
    pub mime_type: String,
    pub uri: String,
    pub storage: Option<String>,
    pub reference: i64,
    pub state: FileState,
    pub error: Option<String>,
    pub cache_path: Option<String>,
}

pub async fn insert_order_files(
    conn: &mut AnyConnection,
    backend: Backend,
    files: &[NewOrderFile],
    now: Timestamp,
) -> Result<(), StoreError> {
    for chunk in files.chunks(1500) {
        let sql = format!(
            "INSERT INTO order_files (order_id, sub_order_id, dataset_task_id, object_ip_id, provider_id, data_type,
                 filename, size, checksum, checksum_algo, crc32, mime_type, uri, storage, reference, state, state_date)
             VALUES {}",
            backend.rows(chunk.len(), 17)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for f in chunk {
            query = query
                .bind(f.order_id)
                .bind(f.sub_order_id)
                .bind(f.dataset_task_id)
                .bind(f.object_ip_id.clone())
                .bind(f.provider_id.clone())
                .bind(f.data_type.clone())
                .bind(f.filename.clone())
                .bind(f.size)
                .bind(f.checksum.clone())
                .bind(f.checksum_algo.clone())
                .bind(f.crc32)
                .bind(f.mime_type.clone())
                .bind(f.uri.clone())
                .bind(f.storage.clone())
                .bind(i64::from(f.storage.is_none()))
                .bind(f.state.as_str())
                .bind(now.millis());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Files of a sub-order in a state, by id (at most `limit`).
pub async fn files_in_state(
    conn: &mut AnyConnection,
    sub_order_id: i64,
    state: FileState,
    limit: i64,
) -> Result<Vec<OrderFileRow>, StoreError> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM order_files WHERE sub_order_id = $1 AND state = $2 ORDER BY id LIMIT $3"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(sub_order_id)
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// How a file state counts in the counters: (treated, available, error, download error, pending).
fn weight(state: FileState) -> [i64; 5] {
    [
        i64::from(state != FileState::Pending),
        i64::from(state == FileState::Available),
        i64::from(state == FileState::Error),
        i64::from(state == FileState::DownloadError),
        i64::from(state == FileState::Pending),
    ]
}

/// What one transition changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    pub files: i64,
    pub bytes: i64,
}

/// Files of one order to move from a state to another.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    pub order_id: i64,
    pub ids: &'a [i64],
    pub from: FileState,
    pub to: FileState,
    /// The reason, for ERROR and DOWNLOAD_ERROR.
    pub error: Option<&'a str>,
    pub now: Timestamp,
}

/// Moves files (only those still in `from`) and updates the counters of their sub-orders and of the
/// order.
pub async fn transition(
    conn: &mut AnyConnection,
    backend: Backend,
    change: &Transition<'_>,
) -> Result<Moved, StoreError> {
    let Transition {
        order_id,
        ids,
        from,
        to,
        error,
        now,
    } = *change;
    let mut moved = Moved::default();
    let mut per_sub_order: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|n| backend.arg(6 + n)).collect();
        let list = format!("({})", list.join(", "));
        let sql = format!(
            "UPDATE order_files SET state = {}, error = {}, state_date = {}
             WHERE order_id = {} AND state = {} AND id IN {list}
             RETURNING sub_order_id, size",
            backend.arg(1),
            backend.arg(2),
            backend.arg(3),
            backend.arg(4),
            backend.arg(5)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(to.as_str())
            .bind(error.map(str::to_owned))
            .bind(now.millis())
            .bind(order_id)
            .bind(from.as_str());
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let sub_order: i64 = row.try_get(0)?;
            let size: Option<i64> = row.try_get(1)?;
            moved.files += 1;
            moved.bytes += size.unwrap_or(0);
            *per_sub_order.entry(sub_order).or_default() += 1;
        }
    }
    if moved.files == 0 {
        return Ok(moved);
    }
    let (before, after) = (weight(from), weight(to));
    let delta: Vec<i64> = before.iter().zip(after).map(|(b, a)| a - b).collect();
    for (sub_order, count) in &per_sub_order {
        sqlx::query(
            "UPDATE sub_orders SET pending_files = pending_files + $2, available_files = available_files + $3 WHERE id = $1",
        )
        .bind(*sub_order)
        .bind(delta[4] * count)
        .bind(delta[1] * count)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "UPDATE orders SET treated_files = treated_files + $2, treated_bytes = treated_bytes + $3,
                           available_files = available_files + $4, error_files = error_files + $5,
                           download_error_files = download_error_files + $6,
                           available_update_date = CASE WHEN $4 <> 0 THEN $7 ELSE available_update_date END
         WHERE id = $1",
    )
    .bind(order_id)
    .bind(delta[0] * moved.files)
    .bind(delta[0] * moved.bytes)
    .bind(delta[1] * moved.files)
    .bind(delta[2] * moved.files)
    .bind(delta[3] * moved.files)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(moved)
}

/// Sets the cache path of restored files.
pub async fn set_cache_path(
    conn: &mut AnyConnection,
    id: i64,
    path: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE order_files SET cache_path = $2 WHERE id = $1")
        .bind(id)
        .bind(path)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves files into a sub-order, 1000 per statement (counters: `recount` both ends afterwards).
pub async fn move_to_sub_order(
    conn: &mut AnyConnection,
    backend: Backend,
    sub_order_id: i64,
    ids: &[i64],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|n| backend.arg(2 + n)).collect();
        let sql = format!(
            "UPDATE order_files SET sub_order_id = {} WHERE id IN ({})",
            backend.arg(1),
            list.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(sub_order_id);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn order_file(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<OrderFileRow>, StoreError> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM order_files WHERE id = $1");
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// A page of an order's files: in a state (or all), of a sub-order or a dataset task (or all), by id.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileFilter {
    pub state: Option<FileState>,
    pub sub_order_id: Option<i64>,
    pub dataset_task_id: Option<i64>,
}

pub async fn files_page(
    conn: &mut AnyConnection,
    order_id: i64,
    filter: FileFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<OrderFileRow>, i64), StoreError> {
    let mut conditions = vec!["order_id = $1".to_owned()];
    let mut n = 1;
    let mut text_param = None;
    let mut int_params = Vec::new();
    if let Some(state) = filter.state {
        n += 1;
        conditions.push(format!("state = ${n}"));
        text_param = Some(state.as_str());
    }
    for (column, value) in [
        ("sub_order_id", filter.sub_order_id),
        ("dataset_task_id", filter.dataset_task_id),
    ] {
        if let Some(value) = value {
            n += 1;
            conditions.push(format!("{column} = ${n}"));
            int_params.push(value);
        }
    }
    let condition = conditions.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM order_files WHERE {condition}");
    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql)).bind(order_id);
    if let Some(text) = text_param {
        count = count.bind(text);
    }
    for value in &int_params {
        count = count.bind(*value);
    }
    let total = count.fetch_one(&mut *conn).await?;
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM order_files WHERE {condition} ORDER BY id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query_as::<_, OrderFileRow>(AssertSqlSafe(sql)).bind(order_id);
    if let Some(text) = text_param {
        query = query.bind(text);
    }
    for value in &int_params {
        query = query.bind(*value);
    }
    let rows = query
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(&mut *conn)
        .await?;
    Ok((rows, total))
}

/// Which of an order's files a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// What a zip holds.
    Available,
    /// What a metalink lists: everything but the files in ERROR.
    NotInError,
}

/// The next files of an order after `after` (by id), at most `limit`.
pub async fn files_after(
    conn: &mut AnyConnection,
    order_id: i64,
    listing: Listing,
    after: i64,
    limit: i64,
) -> Result<Vec<OrderFileRow>, StoreError> {
    let (operator, state) = match listing {
        Listing::Available => ("=", FileState::Available),
        Listing::NotInError => ("<>", FileState::Error),
    };
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM order_files WHERE order_id = $1 AND state {operator} $2 AND id > $3
         ORDER BY id LIMIT $4"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(order_id)
        .bind(state)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// Restored copies of an order's files: (file id, path), at most `limit`, by id.
pub async fn copies_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, cache_path FROM order_files WHERE order_id = $1 AND cache_path IS NOT NULL
         ORDER BY id LIMIT $2",
    )
    .bind(order_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Restored copies of a sub-order's files: their paths.
pub async fn copies_of_sub_order(
    conn: &mut AnyConnection,
    sub_order_id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT cache_path FROM order_files WHERE sub_order_id = $1 AND cache_path IS NOT NULL",
    )
    .bind(sub_order_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The copies of these files are gone.
pub async fn forget_copies(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[i64],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(1000) {
        let sql = format!(
            "UPDATE order_files SET cache_path = NULL WHERE id IN ({})",
            backend.args(1, chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The copies of a sub-order's files are gone.
pub async fn forget_copies_of_sub_order(
    conn: &mut AnyConnection,
    sub_order_id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE order_files SET cache_path = NULL WHERE sub_order_id = $1 AND cache_path IS NOT NULL",
    )
    .bind(sub_order_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A file in ERROR or DOWNLOAD_ERROR, as a retry places it again.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedFile {
    pub id: i64,
    pub dataset_task_id: i64,
    pub storage: Option<String>,
    pub object_ip_id: String,
    pub size: Option<i64>,
    pub sub_order_id: i64,
    pub state: FileState,
}

/// An order's files in ERROR or DOWNLOAD_ERROR, by dataset task, storage and object.
pub async fn failed_files(
    conn: &mut AnyConnection,
    order_id: i64,
) -> Result<Vec<FailedFile>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, dataset_task_id, storage, object_ip_id, size, sub_order_id, state FROM order_files
         WHERE order_id = $1 AND state IN ($2, $3)
         ORDER BY dataset_task_id, storage, object_ip_id, id",
    )
    .bind(order_id)
    .bind(FileState::Error)
    .bind(FileState::DownloadError)
    .fetch_all(&mut *conn)
    .await?)
}

/// The sub-orders these files of an order belong to.
pub async fn sub_orders_of_files(
    conn: &mut AnyConnection,
    backend: Backend,
    order_id: i64,
    ids: &[i64],
) -> Result<Vec<i64>, StoreError> {
    let mut sub_orders = Vec::new();
    for chunk in ids.chunks(1000) {
        let sql = format!(
            "SELECT DISTINCT sub_order_id FROM order_files WHERE order_id = {} AND id IN ({})",
            backend.arg(1),
            backend.args(2, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql)).bind(order_id);
        for id in chunk {
            query = query.bind(*id);
        }
        sub_orders.extend(query.fetch_all(&mut *conn).await?);
    }
    sub_orders.sort_unstable();
    sub_orders.dedup();
    Ok(sub_orders)
}

/// What the download of a file has sent so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SentSoFar {
    pub order_id: i64,
    pub size: Option<i64>,
    pub state: FileState,
    pub sent_ranges: Option<String>,
}

/// The ranges sent of a file, its row locked for the rest of the transaction.
pub async fn lock_sent(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
) -> Result<Option<SentSoFar>, StoreError> {
    let sql = format!(
        "SELECT order_id, size, state, sent_ranges FROM order_files WHERE id = $1{}",
        backend.lock_row()
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Keeps the ranges sent of a file (`None` once it is DOWNLOADED).
pub async fn set_sent(
    conn: &mut AnyConnection,
    id: i64,
    ranges: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE order_files SET sent_ranges = $2 WHERE id = $1")
        .bind(id)
        .bind(ranges)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Removes up to `limit` files of an order; returns how many went.
pub async fn delete_some_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
    limit: i64,
) -> Result<u64, StoreError> {
    let gone = sqlx::query(
        "DELETE FROM order_files WHERE id IN (SELECT id FROM order_files WHERE order_id = $1 LIMIT $2)",
    )
    .bind(order_id)
    .bind(limit)
    .execute(&mut *conn)
    .await?;
    Ok(gone.rows_affected())
}
