//! Sub-orders (files tasks): filled by the expansion, scheduled, staged, ended; their cache reservations.
//! Their files are in `files`.

mod changes;
mod copies;
mod files;

use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Backend, StoreError};
use crate::domain::order::SubOrderState;

use crate::time::Timestamp;
pub use changes::{
    FailedFile, Moved, SentSoFar, Transition, delete_some_of_order, failed_files, lock_sent,
    move_to_sub_order, set_sent, sub_orders_of_files, transition,
};
pub use copies::{
    copies_of_order, copies_of_sub_order, forget_copies, forget_copies_of_sub_order, set_cache_path,
};
pub use files::{
    FILE_COLUMNS, FileFilter, Listing, NewOrderFile, OrderFileRow, files_after, files_in_state,
    files_page, insert_order_files, order_file,
};

pub const SUB_ORDER_COLUMNS: &str = "id, order_id, dataset_task_id, owner, storage, state, files_count, bytes, \
     pending_files, available_files, reserved_bytes, evictable_bytes";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubOrderRow {
    pub id: i64,
    pub order_id: i64,
    pub dataset_task_id: i64,
    pub owner: String,
    pub storage: Option<String>,
    pub state: SubOrderState,
    pub files_count: i64,
    pub bytes: i64,
    pub pending_files: i64,
    pub available_files: i64,
    pub reserved_bytes: i64,
    pub evictable_bytes: i64,
}

impl SubOrderRow {
    /// Files available and none pending: the sub-order waits for its user's download.
    pub fn waiting_for_user(&self) -> bool {
        self.state == SubOrderState::Done && self.pending_files == 0 && self.available_files > 0
    }
}

/// The expansion's open sub-order for (dataset task, storage), created when there is none.
pub async fn open_sub_order(
    conn: &mut AnyConnection,
    order_id: i64,
    dataset_task_id: i64,
    owner: &str,
    storage: Option<&str>,
) -> Result<SubOrderRow, StoreError> {
    let sql = format!(
        "SELECT {SUB_ORDER_COLUMNS} FROM sub_orders
         WHERE order_id = $1 AND dataset_task_id = $2 AND state = 'OPEN' AND COALESCE(storage, '') = $3"
    );
    let found: Option<SubOrderRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(order_id)
        .bind(dataset_task_id)
        .bind(storage.unwrap_or(""))
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(found) = found {
        return Ok(found);
    }
    let sql = format!(
        "INSERT INTO sub_orders (order_id, dataset_task_id, owner, storage, state) VALUES ($1, $2, $3, $4, 'OPEN')
         RETURNING {SUB_ORDER_COLUMNS}"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(order_id)
        .bind(dataset_task_id)
        .bind(owner)
        .bind(storage)
        .fetch_one(&mut *conn)
        .await?)
}

/// Adds files to a sub-order's counters.
pub async fn grow_sub_order(
    conn: &mut AnyConnection,
    id: i64,
    files: i64,
    bytes: i64,
    pending: i64,
    available: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sub_orders SET files_count = files_count + $2, bytes = bytes + $3, pending_files = pending_files + $4,
                               available_files = available_files + $5
         WHERE id = $1",
    )
    .bind(id)
    .bind(files)
    .bind(bytes)
    .bind(pending)
    .bind(available)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a sub-order from `from` to `to` (only if it is still in `from`), as its state machine allows
/// (`SubOrderState::can_become`): the one place a single sub-order changes state. RUNNING records its
/// start; DONE and CANCELLED its end. Returns whether it moved.
pub async fn change_state(
    conn: &mut AnyConnection,
    id: i64,
    from: SubOrderState,
    to: SubOrderState,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if !from.can_become(to) {
        return Err(StoreError::Transition(format!(
            "sub-order {id} cannot go from {from} to {to}"
        )));
    }
    let moved = sqlx::query(
        "UPDATE sub_orders SET state = $3,
                started_at = CASE WHEN $3 = 'RUNNING' THEN $4 ELSE started_at END,
                ended_at = CASE WHEN $3 IN ('DONE', 'CANCELLED') THEN $4 ELSE ended_at END
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Closes every OPEN sub-order of an order once its expansion ended: WAITING for a slot, or DONE for
/// external files (available at once) — `SubOrderState::closed`.
pub async fn close_open_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sub_orders SET state = CASE WHEN storage IS NULL THEN $3 ELSE $4 END,
                               ended_at = CASE WHEN storage IS NULL THEN $2 ELSE ended_at END
         WHERE order_id = $1 AND state = $5",
    )
    .bind(order_id)
    .bind(now.millis())
    .bind(SubOrderState::closed(true))
    .bind(SubOrderState::closed(false))
    .bind(SubOrderState::Open)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Cancels every sub-order of an order (deleted, removed or expired): they give back their slots at once.
pub async fn cancel_all_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sub_orders SET state = $3, ended_at = $2 WHERE order_id = $1 AND state <> $3",
    )
    .bind(order_id)
    .bind(now.millis())
    .bind(SubOrderState::Cancelled)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes the sub-orders of an order (its files first: `files::delete_of_order`).
pub async fn delete_of_order(conn: &mut AnyConnection, order_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sub_orders WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many slots the owner's sub-orders hold: RUNNING ones, and DONE ones whose files wait for the
/// download (external sub-orders take none).
pub async fn slots_held(conn: &mut AnyConnection, owner: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM sub_orders
         WHERE owner = $1 AND storage IS NOT NULL
           AND (state = $2 OR (state = $3 AND pending_files = 0 AND available_files > 0))",
    )
    .bind(owner)
    .bind(SubOrderState::Running)
    .bind(SubOrderState::Done)
    .fetch_one(&mut *conn)
    .await?)
}

/// The owner's WAITING sub-orders of RUNNING orders, smaller orders first (at most `limit`).
pub async fn waiting_for_slots(
    conn: &mut AnyConnection,
    owner: &str,
    limit: i64,
) -> Result<Vec<SubOrderRow>, StoreError> {
    let columns: Vec<String> = SUB_ORDER_COLUMNS
        .split(", ")
        .map(|c| format!("s.{c}"))
        .collect();
    let sql = format!(
        "SELECT {} FROM sub_orders s JOIN orders o ON o.id = s.order_id
         WHERE s.owner = $1 AND s.state = $2 AND o.status = $3
         ORDER BY o.total_bytes, o.id, s.id LIMIT $4",
        columns.join(", ")
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(owner)
        .bind(SubOrderState::Waiting)
        .bind(crate::domain::order::OrderStatus::Running)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// Serialises the transactions taking the same key until they end: a PostgreSQL advisory lock; SQLite's
/// writing transactions hold the one write lock already.
pub async fn lock_key(
    conn: &mut AnyConnection,
    backend: Backend,
    key: &str,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS locked")
            .bind(key)
            .fetch_all(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Bytes of a storage's cache reserved and evictable, by every sub-order but `except` (its own
/// reservation, kept while it was paused, does not count against it).
pub async fn cache_use(
    conn: &mut AnyConnection,
    storage: &str,
    except: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(reserved_bytes), 0) AS BIGINT), CAST(COALESCE(SUM(evictable_bytes), 0) AS BIGINT)
         FROM sub_orders WHERE storage = $1 AND id <> $2",
    )
    .bind(storage)
    .bind(except)
    .fetch_one(&mut *conn)
    .await?)
}

/// Sub-orders of a storage with evictable copies, oldest release first: (id, bytes).
pub async fn evictable(
    conn: &mut AnyConnection,
    storage: &str,
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, evictable_bytes FROM sub_orders WHERE storage = $1 AND evictable_bytes > 0
         ORDER BY released_at, id",
    )
    .bind(storage)
    .fetch_all(&mut *conn)
    .await?)
}

/// Holds `bytes` of the cache for a sub-order.
pub async fn reserve(conn: &mut AnyConnection, id: i64, bytes: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sub_orders SET reserved_bytes = $2 WHERE id = $1")
        .bind(id)
        .bind(bytes)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sub-orders whose files are all downloaded: their reservation becomes evictable copies.
pub async fn release_downloaded(
    conn: &mut AnyConnection,
    ids: &[i64],
    now: Timestamp,
) -> Result<(), StoreError> {
    for id in ids {
        sqlx::query(
            "UPDATE sub_orders SET evictable_bytes = reserved_bytes, reserved_bytes = 0, released_at = $2
             WHERE id = $1 AND pending_files = 0 AND available_files = 0 AND reserved_bytes > 0",
        )
        .bind(*id)
        .bind(now.millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Frees a sub-order's cache space: its copies are gone.
pub async fn forget_cache(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sub_orders SET reserved_bytes = 0, evictable_bytes = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Frees the cache space of every sub-order of an order: its copies are gone.
pub async fn forget_cache_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sub_orders SET reserved_bytes = 0, evictable_bytes = 0 WHERE order_id = $1",
    )
    .bind(order_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A sub-order ended with nothing to download keeps no cache space.
pub async fn unreserve(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sub_orders SET reserved_bytes = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn sub_order_in(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<SubOrderRow>, StoreError> {
    let sql = format!("SELECT {SUB_ORDER_COLUMNS} FROM sub_orders WHERE id = $1");
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

pub async fn sub_orders_of(
    conn: &mut AnyConnection,
    order_id: i64,
) -> Result<Vec<SubOrderRow>, StoreError> {
    let sql = format!("SELECT {SUB_ORDER_COLUMNS} FROM sub_orders WHERE order_id = $1 ORDER BY id");
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_all(&mut *conn)
        .await?)
}

/// Recounts a sub-order's counters from its files (after files moved between sub-orders).
pub async fn recount(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sub_orders SET
             files_count = (SELECT COUNT(*) FROM order_files f WHERE f.sub_order_id = sub_orders.id),
             bytes = (SELECT COALESCE(SUM(f.size), 0) FROM order_files f WHERE f.sub_order_id = sub_orders.id),
             pending_files = (SELECT COUNT(*) FROM order_files f WHERE f.sub_order_id = sub_orders.id AND f.state = 'PENDING'),
             available_files = (SELECT COUNT(*) FROM order_files f WHERE f.sub_order_id = sub_orders.id AND f.state = 'AVAILABLE')
         WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
