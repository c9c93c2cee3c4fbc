//! What a download changes: files sent whole become DOWNLOADED (or DOWNLOAD_ERROR); a sub-order whose
//! files are all downloaded gives back its slot, and its copies become evictable; the owner's next
//! sub-orders may start.

use std::collections::BTreeSet;

use super::queue_schedule;
use crate::app::AppState;
use crate::domain::order::FileState;
use crate::store::StoreError;
use crate::store::orders as rows;
use crate::store::suborders::{self as subs, Moved, Transition};

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
    let backend = state.store.backend();
    let sub_orders: Vec<i64> = {
        let mut set = BTreeSet::new();
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
            set.extend(query.fetch_all(&mut *tx).await?);
        }
        set.into_iter().collect()
    };
    let change = Transition {
        order_id,
        ids: file_ids,
        from: FileState::Available,
        to,
        error,
        now,
    };
    let moved = subs::transition(&mut tx, backend, &change).await?;
    for id in sub_orders {
        sqlx::query(
            "UPDATE sub_orders SET evictable_bytes = reserved_bytes, reserved_bytes = 0, released_at = $2
             WHERE id = $1 AND pending_files = 0 AND available_files = 0 AND reserved_bytes > 0",
        )
        .bind(id)
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
    }
    if let Some(order) = rows::order_in(&mut tx, order_id).await? {
        super::progress::settle(&mut tx, order_id, now).await?;
        queue_schedule(&mut tx, &order.owner, now).await?;
    }
    tx.commit().await?;
    Ok(moved)
}
