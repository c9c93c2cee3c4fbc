//! How an order's files change: their states (`transition`, which keeps the counters of their
//! sub-orders and of their order exact in the same transaction), their sub-order (a retry), the ranges a
//! download sent, their removal.

use std::collections::HashMap;

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::domain::order::FileState;
use crate::store::{Backend, StoreError};
use crate::time::Timestamp;

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
    let mut moved = Moved::default();
    let mut per_sub_order: HashMap<i64, i64> = HashMap::new();
    for chunk in change.ids.chunks(1000) {
        for (sub_order, size) in move_files(conn, backend, change, chunk).await? {
            moved.files += 1;
            moved.bytes += size.unwrap_or(0);
            *per_sub_order.entry(sub_order).or_default() += 1;
        }
    }
    if moved.files > 0 {
        count_moves(conn, change, moved, &per_sub_order).await?;
    }
    Ok(moved)
}

/// Moves one chunk of files; returns the sub-order and size of each file moved.
async fn move_files(
    conn: &mut AnyConnection,
    backend: Backend,
    change: &Transition<'_>,
    ids: &[i64],
) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
    let sql = format!(
        "UPDATE order_files SET state = {}, error = {}, state_date = {}
         WHERE order_id = {} AND state = {} AND id IN ({})
         RETURNING sub_order_id, size",
        backend.arg(1),
        backend.arg(2),
        backend.arg(3),
        backend.arg(4),
        backend.arg(5),
        backend.args(6, ids.len())
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(change.to)
        .bind(change.error.map(str::to_owned))
        .bind(change.now.millis())
        .bind(change.order_id)
        .bind(change.from);
    for id in ids {
        query = query.bind(*id);
    }
    query
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

/// The counters of the sub-orders and of the order, moved by what the files' states changed.
async fn count_moves(
    conn: &mut AnyConnection,
    change: &Transition<'_>,
    moved: Moved,
    per_sub_order: &HashMap<i64, i64>,
) -> Result<(), StoreError> {
    let (before, after) = (weight(change.from), weight(change.to));
    let delta: Vec<i64> = before.iter().zip(after).map(|(b, a)| a - b).collect();
    for (sub_order, count) in per_sub_order {
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
    .bind(change.order_id)
    .bind(delta[0] * moved.files)
    .bind(delta[0] * moved.bytes)
    .bind(delta[1] * moved.files)
    .bind(delta[2] * moved.files)
    .bind(delta[3] * moved.files)
    .bind(change.now.millis())
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
