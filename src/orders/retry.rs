//! Retry: the files in ERROR or DOWNLOAD_ERROR of an ended order go back to work in new sub-orders.

use std::collections::{BTreeMap, BTreeSet};

use super::actions::locked;
use super::{OrderError, queue_schedule};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::order::{Action, FileState, SubOrderBound};
use crate::store::suborders::{self as subs, Transition};

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

/// Files in ERROR or DOWNLOAD_ERROR go back to PENDING (external ones to AVAILABLE) in new sub-orders,
/// grouped by the same bounds; the order runs again.
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
    let mut touched = BTreeSet::new();
    for ((task, storage), objects) in groups {
        let external = storage.is_none();
        let limit = if external {
            SubOrderBound::EXTERNAL
        } else {
            bound
        };
        let mut current: Option<(i64, i64, i64)> = None;
        for files in objects.values() {
            let bytes: i64 = files.iter().map(|f| f.size.unwrap_or(0)).sum();
            let count = files.len() as i64;
            let fits = current.is_some_and(|(_, f, b)| limit.takes(f, b, count, bytes));
            if !fits {
                let sub_order =
                    subs::open_sub_order(&mut tx, id, task, &order.owner, storage.as_deref())
                        .await?;
                subs::close_sub_order(
                    &mut tx,
                    sub_order.id,
                    if external { "DONE" } else { "WAITING" },
                    now,
                )
                .await?;
                current = Some((sub_order.id, 0, 0));
            }
            let (sub_order, f, b) = current.expect("set above");
            current = Some((sub_order, f + count, b + bytes));
            touched.insert(sub_order);
            let to = if external {
                FileState::Available
            } else {
                FileState::Pending
            };
            for file in files {
                touched.insert(file.sub_order_id);
                let from = FileState::parse(&file.state).unwrap_or(FileState::Error);
                let change = Transition {
                    order_id: id,
                    ids: &[file.id],
                    from,
                    to,
                    error: None,
                    now,
                };
                subs::transition(&mut tx, backend, &change).await?;
                sqlx::query("UPDATE order_files SET sub_order_id = $2 WHERE id = $1")
                    .bind(file.id)
                    .bind(sub_order)
                    .execute(&mut *tx)
                    .await?;
            }
        }
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
