//! What a download changes: files sent whole become DOWNLOADED (or DOWNLOAD_ERROR); a sub-order whose
//! files are all downloaded gives back its slot, and its copies become evictable; the owner's next
//! sub-orders may start. A file sent in parts is DOWNLOADED once the parts cover it.

use std::collections::BTreeSet;

use super::queue_schedule;
use crate::app::AppState;
use crate::domain::order::FileState;
use crate::domain::ranges::{ByteRange, covers, format_sent, merge, parse_sent};
use crate::store::orders as rows;
use crate::store::suborders::{self as subs, Moved, Transition};
use crate::store::{Backend, StoreError, Tx};
use crate::time::Timestamp;

/// Moves available files of an order to `to` (DOWNLOADED or DOWNLOAD_ERROR, with a reason).
pub async fn files_sent(
    state: &AppState,
    order_id: i64,
    file_ids: &[i64],
    to: FileState,
    error: Option<&str>,
) -> Result<Moved, StoreError> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let moved = apply(
        &mut tx,
        state.store.backend(),
        order_id,
        file_ids,
        to,
        error,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(moved)
}

/// Records that `range` of an available file was sent; the file is DOWNLOADED when the ranges sent so far
/// cover it. Returns whether it is.
pub async fn range_sent(
    state: &AppState,
    file_id: i64,
    range: ByteRange,
) -> Result<bool, StoreError> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let backend = state.store.backend();
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql =
        format!("SELECT order_id, size, state, sent_ranges FROM order_files WHERE id = $1{lock}");
    let row: Option<(i64, Option<i64>, String, Option<String>)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(file_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((order_id, size, file_state, sent)) = row else {
        return Ok(false);
    };
    if file_state != FileState::Available.as_str() {
        return Ok(file_state == FileState::Downloaded.as_str());
    }
    let merged = merge(&parse_sent(sent.as_deref().unwrap_or("")), range);
    let size = size.unwrap_or(0).max(0) as u64;
    let complete = covers(&merged, size);
    if complete {
        apply(
            &mut tx,
            backend,
            order_id,
            &[file_id],
            FileState::Downloaded,
            None,
            now,
        )
        .await?;
        sqlx::query("UPDATE order_files SET sent_ranges = NULL WHERE id = $1")
            .bind(file_id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE order_files SET sent_ranges = $2 WHERE id = $1")
            .bind(file_id)
            .bind(format_sent(&merged))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(complete)
}

async fn apply(
    tx: &mut Tx,
    backend: Backend,
    order_id: i64,
    file_ids: &[i64],
    to: FileState,
    error: Option<&str>,
    now: Timestamp,
) -> Result<Moved, StoreError> {
    let mut sub_orders = BTreeSet::new();
    for chunk in file_ids.chunks(500) {
        let list = (1..=chunk.len())
            .map(|n| format!("${}", n + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT DISTINCT sub_order_id FROM order_files WHERE order_id = $1 AND id IN ({list})"
        );
        let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(order_id);
        for id in chunk {
            query = query.bind(*id);
        }
        sub_orders.extend(query.fetch_all(&mut **tx).await?);
    }
    let change = Transition {
        order_id,
        ids: file_ids,
        from: FileState::Available,
        to,
        error,
        now,
    };
    let moved = subs::transition(tx, backend, &change).await?;
    for id in sub_orders {
        sqlx::query(
            "UPDATE sub_orders SET evictable_bytes = reserved_bytes, reserved_bytes = 0, released_at = $2
             WHERE id = $1 AND pending_files = 0 AND available_files = 0 AND reserved_bytes > 0",
        )
        .bind(id)
        .bind(now.millis())
        .execute(&mut **tx)
        .await?;
    }
    if moved.files > 0
        && let Some(order) = rows::order_in(tx, order_id).await?
    {
        super::progress::settle(tx, order_id, now).await?;
        queue_schedule(tx, &order.owner, now).await?;
    }
    Ok(moved)
}
