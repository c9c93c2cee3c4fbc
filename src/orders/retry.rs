//! Retry: the files in ERROR or DOWNLOAD_ERROR of an ended order go back to work in new sub-orders.

use std::collections::{BTreeMap, BTreeSet};

use super::actions::locked;
use super::{OrderError, queue_schedule};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::order::{
    Action, FileState, OrderStatus, SubOrderBound, SubOrderState, place_objects,
};
use crate::store::orders as rows;
use crate::store::suborders::{self as subs, FailedFile, Transition};
use crate::store::{Backend, StoreError, Tx, commit};
use crate::time::Timestamp;

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
    let failed = subs::failed_files(&mut tx, id).await?;
    let bound = SubOrderBound {
        max_files: i64::from(state.config.orders.suborder_max_files),
        max_bytes: state.config.orders.suborder_max_bytes as i64,
    };
    let mut touched = BTreeSet::new();
    let mut internal = 0;
    for placed in place(&mut tx, &order.owner, id, group(failed), bound, now).await? {
        internal += i64::from(!placed.external);
        touched.insert(placed.sub_order_id);
        touched.extend(placed.files.iter().map(|f| f.sub_order_id));
        move_files(&mut tx, backend, id, &placed, now).await?;
    }
    for sub_order in touched {
        subs::recount(&mut tx, sub_order).await?;
    }
    rows::set_status(&mut tx, id, OrderStatus::Running, None, now).await?;
    rows::clear_message(&mut tx, id).await?;
    super::expiry::grow(&mut tx, &state.config.orders, (id, now, internal), now).await?;
    super::progress::settle(&mut tx, id, now).await?;
    queue_schedule(&mut tx, &order.owner, now).await?;
    commit(tx).await?;
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

/// New sub-orders for the groups, within the bounds (`place_objects`: an object's files are never
/// split); external ones DONE at once, the others WAITING.
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
        let objects: Vec<Vec<FailedFile>> = objects.into_values().collect();
        let sizes = objects.iter().map(|files| {
            (
                files.len() as i64,
                files.iter().map(|f| f.size.unwrap_or(0)).sum(),
            )
        });
        let places = place_objects((0, 0), limit, sizes);
        let first = placed.len();
        for (files, place) in objects.into_iter().zip(places) {
            if first + place == placed.len() {
                let sub_order =
                    subs::open_sub_order(tx, order_id, task, owner, storage.as_deref()).await?;
                let closed = SubOrderState::closed(external);
                subs::change_state(tx, sub_order.id, SubOrderState::Open, closed, now).await?;
                placed.push(Placed {
                    sub_order_id: sub_order.id,
                    external,
                    files: Vec::new(),
                });
            }
            placed[first + place].files.extend(files);
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
            .filter(|f| f.state == from)
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
