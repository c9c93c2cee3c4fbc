//! Retry: the files in ERROR or DOWNLOAD_ERROR of an ended order go back to work in new sub-orders.

use std::collections::{BTreeMap, BTreeSet};

use super::actions::locked;
use super::{OrderError, queue_schedule};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::order::{Action, FileState, SubOrderBound};
use crate::store::suborders::{self as subs, Transition};
use crate::store::{Backend, StoreError, Tx};
use crate::time::Timestamp;

#[derive(Debug, sqlx::FromRow)]
struct FailedFile {
    id: i64,
    dataset_task_id: i64,
    storage: Option<String>,
    object_ip_id: String,
    size: Option<i64>,
    sub_order_id: i64,
    state: String,
}

/// (dataset task, storage) → object → its files, in order.
type Groups = BTreeMap<(i64, Option<String>), BTreeMap<String, Vec<FailedFile>>>;

/// A new sub-order and the files placed in it.
struct Placed {
    sub_order_id: i64,
    external: bool,
    files: Vec<FailedFile>,
}

/// Files in ERROR or DOWNLOAD_ERROR go back to PENDING (external ones to AVAILABLE) in new sub-orders,
/// grouped by the same bounds; the order runs again. One transaction, its statements batched (a thousand
/// files each), so that even 100,000 files hold the write lock briefly.
pub async fn retry(state: &AppState, caller: &Caller, id: i64) -> Result<(), OrderError> {
    let (mut tx, order) = locked(state, caller, id, Action::Retry).await?;
    let now = state.clock.now();
    let backend = state.store.backend();
    let failed: Vec<FailedFile> = sqlx::query_as(
        "SELECT id, dataset_task_id, storage, object_ip_id, size, sub_order_id, state FROM order_files
         WHERE order_id = $1 AND state IN ('ERROR', 'DOWNLOAD_ERROR')
         ORDER BY dataset_task_id, storage, object_ip_id, id",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let bound = SubOrderBound {
        max_files: i64::from(state.config.orders.suborder_max_files),
        max_bytes: state.config.orders.suborder_max_bytes as i64,
    };
    let mut touched = BTreeSet::new();
    for placed in place(&mut tx, &order.owner, id, group(failed), bound, now).await? {
        touched.insert(placed.sub_order_id);
        touched.extend(placed.files.iter().map(|f| f.sub_order_id));
        move_files(&mut tx, backend, id, &placed, now).await?;
    }
    for sub_order in touched {
        subs::recount(&mut tx, sub_order).await?;
    }
    sqlx::query(
        "UPDATE orders SET status = 'RUNNING', status_date = $2, message = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(now.millis())
    .execute(&mut *tx)
    .await?;
    super::progress::settle(&mut tx, id, now).await?;
    queue_schedule(&mut tx, &order.owner, now).await?;
    tx.commit().await?;
    Ok(())
}

fn group(failed: Vec<FailedFile>) -> Groups {
    let mut groups = Groups::new();
    for file in failed {
        let key = (file.dataset_task_id, file.storage.clone());
        groups
            .entry(key)
            .or_default()
            .entry(file.object_ip_id.clone())
            .or_default()
            .push(file);
    }
    groups
}

/// New sub-orders for the groups, within the bounds (an object's files are never split); external ones
/// DONE at once, the others WAITING.
async fn place(
    tx: &mut Tx,
    owner: &str,
    order_id: i64,
    groups: Groups,
    bound: SubOrderBound,
    now: Timestamp,
) -> Result<Vec<Placed>, StoreError> {
    let mut placed: Vec<Placed> = Vec::new();
    for ((task, storage), objects) in groups {
        let external = storage.is_none();
        let limit = if external {
            SubOrderBound::EXTERNAL
        } else {
            bound
        };
        let mut current: Option<(i64, i64)> = None;
        for (_, files) in objects {
            let bytes: i64 = files.iter().map(|f| f.size.unwrap_or(0)).sum();
            let count = files.len() as i64;
            let fits = current.is_some_and(|(f, b)| limit.takes(f, b, count, bytes));
            if !fits {
                let sub_order =
                    subs::open_sub_order(tx, order_id, task, owner, storage.as_deref()).await?;
                let closed = if external { "DONE" } else { "WAITING" };
                subs::close_sub_order(tx, sub_order.id, closed, now).await?;
                placed.push(Placed {
                    sub_order_id: sub_order.id,
                    external,
                    files: Vec::new(),
                });
                current = Some((0, 0));
            }
            let (f, b) = current.expect("set above");
            current = Some((f + count, b + bytes));
            placed
                .last_mut()
                .expect("a sub-order was opened")
                .files
                .extend(files);
        }
    }
    Ok(placed)
}

/// The placed files change state (counted where they were), then move to their new sub-order.
async fn move_files(
    tx: &mut Tx,
    backend: Backend,
    order_id: i64,
    placed: &Placed,
    now: Timestamp,
) -> Result<(), StoreError> {
    let to = if placed.external {
        FileState::Available
    } else {
        FileState::Pending
    };
    for from in [FileState::Error, FileState::DownloadError] {
        let ids: Vec<i64> = placed
            .files
            .iter()
            .filter(|f| f.state == from.as_str())
            .map(|f| f.id)
            .collect();
        let change = Transition {
            order_id,
            ids: &ids,
            from,
            to,
            error: None,
            now,
        };
        subs::transition(tx, backend, &change).await?;
    }
    let ids: Vec<i64> = placed.files.iter().map(|f| f.id).collect();
    subs::move_to_sub_order(tx, backend, placed.sub_order_id, &ids).await
}
