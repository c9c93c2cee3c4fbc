//! What a download changes: files sent whole become DOWNLOADED (or DOWNLOAD_ERROR); a sub-order whose
//! files are all downloaded gives back its slot, and its copies become evictable; the owner's next
//! sub-orders may start. A file sent in parts is DOWNLOADED once the parts cover it.

use super::queue_schedule;
use crate::app::AppState;
use crate::domain::order::FileState;
use crate::domain::ranges::{ByteRange, covers, format_sent, merge, parse_sent};
use crate::store::orders as rows;
use crate::store::suborders::{self as subs, Moved, Transition};
use crate::store::{Backend, StoreError, Tx, commit};
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
    commit(tx).await?;
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
    let Some(sent) = subs::lock_sent(&mut tx, backend, file_id).await? else {
        return Ok(false);
    };
    if sent.state != FileState::Available {
        return Ok(sent.state == FileState::Downloaded);
    }
    let merged = merge(
        &parse_sent(sent.sent_ranges.as_deref().unwrap_or("")),
        range,
    );
    let size = sent.size.unwrap_or(0).max(0) as u64;
    let complete = covers(&merged, size);
    if complete {
        let ids = [file_id];
        apply(
            &mut tx,
            backend,
            sent.order_id,
            &ids,
            FileState::Downloaded,
            None,
            now,
        )
        .await?;
        subs::set_sent(&mut tx, file_id, None).await?;
    } else {
        subs::set_sent(&mut tx, file_id, Some(&format_sent(&merged))).await?;
    }
    commit(tx).await?;
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
    let sub_orders = subs::sub_orders_of_files(tx, backend, order_id, file_ids).await?;
    let change = Transition {
        order_id,
        ids: file_ids,
        from: FileState::Available,
        to,
        error,
        now,
    };
    let moved = subs::transition(tx, backend, &change).await?;
    subs::release_downloaded(tx, &sub_orders, now).await?;
    if moved.files > 0
        && let Some(order) = rows::order_in(tx, order_id).await?
    {
        super::progress::settle(tx, order_id, now).await?;
        queue_schedule(tx, &order.owner, now).await?;
    }
    Ok(moved)
}
