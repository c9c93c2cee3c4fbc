//! Expansion: each dataset task's frozen request is paged through the catalog (objects in id order,
//! 1000 at a time); the orderable files of a page become order files, grouped into sub-orders, in one
//! transaction that also moves the task's cursor. A worker that dies mid-way leaves a consistent prefix:
//! its successor resumes at the cursor, and nothing is written twice.

use std::collections::HashMap;

use crate::app::AppState;
use crate::domain::files::DataType;
use crate::domain::order::{FileState, OrderStatus, SubOrderBound};
use crate::domain::query::parse;
use crate::domain::query::sql::{Condition, to_sql};
use crate::store::orders::{self as rows, DatasetTaskRow};
use crate::store::suborders::{self as subs, NewOrderFile};
use crate::store::{FileRow, StoreError};

/// Objects read from the catalog per transaction.
const PAGE: i64 = 1000;

/// Expands an order (idempotent: an expanded order, or an expanded task, is left as it is).
pub async fn expand(state: &AppState, order_id: i64) -> anyhow::Result<()> {
    let Some(order) = state.store.order(order_id).await? else {
        return Ok(());
    };
    if order.expanded != 0 || matches!(order.status(), OrderStatus::Deleted | OrderStatus::Expired)
    {
        return Ok(());
    }
    let properties = state.store.property_types().await?;
    let dialect = crate::catalog::search::dialect(state.store.as_ref());
    for task in state.store.dataset_tasks(order_id).await? {
        if task.expanded != 0 {
            continue;
        }
        let condition =
            match parse(&task.open_search_request).and_then(|q| to_sql(&q, &properties, dialect)) {
                Ok(condition) => condition,
                Err(error) => {
                    let message = format!(
                        "The catalog cannot run the selection of {}: {error}",
                        task.dataset_label
                    );
                    return fail(state, order_id, &message).await;
                }
            };
        expand_task(state, &order.owner, &task, &condition).await?;
    }
    finish(state, order_id).await
}

async fn fail(state: &AppState, order_id: i64, message: &str) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    rows::set_status(&mut tx, order_id, OrderStatus::Failed, Some(message), now).await?;
    sqlx::query("UPDATE orders SET expanded = 1 WHERE id = $1")
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::warn!(order_id, message, "order failed at expansion");
    Ok(())
}

async fn expand_task(
    state: &AppState,
    owner: &str,
    task: &DatasetTaskRow,
    condition: &Condition,
) -> anyhow::Result<()> {
    let bound = SubOrderBound {
        max_files: i64::from(state.config.orders.suborder_max_files),
        max_bytes: state.config.orders.suborder_max_bytes as i64,
    };
    let mut cursor = task.cursor;
    loop {
        let objects = state
            .store
            .object_refs_after(condition, task.dataset_id, cursor, PAGE)
            .await?;
        let Some(last) = objects.last().map(|o| o.0) else {
            let mut tx = state.store.begin_write().await?;
            sqlx::query("UPDATE dataset_tasks SET expanded = 1 WHERE id = $1")
                .bind(task.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(());
        };
        let ids: Vec<i64> = objects.iter().map(|o| o.0).collect();
        let mut files: HashMap<i64, Vec<FileRow>> = HashMap::new();
        for file in state.store.files_of(&ids).await? {
            let orderable = file
                .data_type
                .parse::<DataType>()
                .is_ok_and(DataType::is_orderable);
            if orderable {
                files.entry(file.object_id).or_default().push(file);
            }
        }

        let mut tx = state.store.begin_write().await?;
        let now = state.clock.now();
        // Moving the cursor first takes the task's row: a second worker on the same page finds it moved.
        let moved =
            sqlx::query("UPDATE dataset_tasks SET cursor = $3 WHERE id = $1 AND cursor = $2")
                .bind(task.id)
                .bind(cursor)
                .bind(last)
                .execute(&mut *tx)
                .await?;
        if moved.rows_affected() == 0 {
            anyhow::bail!("dataset task {} was expanded by another worker", task.id);
        }
        let mut buckets = Buckets::default();
        let mut new_files = Vec::new();
        for (object_id, ip_id, provider_id) in &objects {
            let Some(object_files) = files.get(object_id) else {
                continue;
            };
            // An object's files stay together in each storage's sub-order.
            let mut by_storage: HashMap<Option<String>, Vec<&FileRow>> = HashMap::new();
            for file in object_files {
                by_storage
                    .entry(file.storage.clone())
                    .or_default()
                    .push(file);
            }
            let mut storages: Vec<_> = by_storage.into_iter().collect();
            storages.sort_by(|a, b| a.0.cmp(&b.0));
            for (storage, group) in storages {
                let bytes: i64 = group.iter().map(|f| f.size.unwrap_or(0)).sum();
                let external = storage.is_none();
                let limit = if external {
                    SubOrderBound::EXTERNAL
                } else {
                    bound
                };
                let sub_order = buckets
                    .place(
                        &mut tx,
                        state,
                        task,
                        owner,
                        storage.as_deref(),
                        limit,
                        group.len() as i64,
                        bytes,
                    )
                    .await?;
                let file_state = if external {
                    FileState::Available
                } else {
                    FileState::Pending
                };
                new_files.extend(group.iter().map(|f| NewOrderFile {
                    order_id: task.order_id,
                    sub_order_id: sub_order,
                    dataset_task_id: task.id,
                    object_ip_id: ip_id.clone(),
                    provider_id: provider_id.clone(),
                    data_type: f.data_type.clone(),
                    filename: f.filename.clone(),
                    size: f.size,
                    checksum: f.checksum.clone(),
                    checksum_algo: f.checksum_algo.clone(),
                    crc32: f.crc32,
                    mime_type: f.mime_type.clone(),
                    uri: f.uri.clone(),
                    storage: f.storage.clone(),
                    state: file_state,
                }));
            }
        }
        subs::insert_order_files(&mut tx, state.store.backend(), &new_files, now).await?;
        buckets.save(&mut tx).await?;
        tx.commit().await?;
        cursor = last;
    }
}

/// The open sub-orders of one page's transaction: what they hold, and what this page added.
#[derive(Default)]
struct Buckets {
    open: HashMap<Option<String>, Bucket>,
}

struct Bucket {
    id: i64,
    files: i64,
    bytes: i64,
    added_files: i64,
    added_bytes: i64,
    external: bool,
}

impl Buckets {
    /// The sub-order taking an object's `files` (`bytes`) in a storage: the open one if it takes them,
    /// else a new one (the full one is closed).
    #[allow(clippy::too_many_arguments)]
    async fn place(
        &mut self,
        tx: &mut sqlx::AnyConnection,
        state: &AppState,
        task: &DatasetTaskRow,
        owner: &str,
        storage: Option<&str>,
        bound: SubOrderBound,
        files: i64,
        bytes: i64,
    ) -> Result<i64, StoreError> {
        let key = storage.map(str::to_owned);
        if !self.open.contains_key(&key) {
            let row = subs::open_sub_order(tx, task.order_id, task.id, owner, storage).await?;
            let bucket = Bucket {
                id: row.id,
                files: row.files_count,
                bytes: row.bytes,
                added_files: 0,
                added_bytes: 0,
                external: storage.is_none(),
            };
            self.open.insert(key.clone(), bucket);
        }
        let bucket = self.open.get_mut(&key).expect("inserted above");
        if !bound.takes(bucket.files, bucket.bytes, files, bytes) {
            let full = std::mem::replace(
                bucket,
                Bucket {
                    id: 0,
                    files: 0,
                    bytes: 0,
                    added_files: 0,
                    added_bytes: 0,
                    external: storage.is_none(),
                },
            );
            save_bucket(tx, &full).await?;
            let closed_state = if full.external { "DONE" } else { "WAITING" };
            subs::close_sub_order(tx, full.id, closed_state, state.clock.now()).await?;
            let row = subs::open_sub_order(tx, task.order_id, task.id, owner, storage).await?;
            bucket.id = row.id;
        }
        bucket.files += files;
        bucket.bytes += bytes;
        bucket.added_files += files;
        bucket.added_bytes += bytes;
        Ok(bucket.id)
    }

    async fn save(&self, tx: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
        for bucket in self.open.values() {
            save_bucket(tx, bucket).await?;
        }
        Ok(())
    }
}

async fn save_bucket(tx: &mut sqlx::AnyConnection, bucket: &Bucket) -> Result<(), StoreError> {
    if bucket.added_files == 0 {
        return Ok(());
    }
    let (pending, available) = if bucket.external {
        (0, bucket.added_files)
    } else {
        (bucket.added_files, 0)
    };
    subs::grow_sub_order(
        tx,
        bucket.id,
        bucket.added_files,
        bucket.added_bytes,
        pending,
        available,
    )
    .await
}

/// Once every task is expanded: closes the open sub-orders, sets the exact counts, ends an order that
/// found nothing, and asks for the owner's scheduling.
async fn finish(state: &AppState, order_id: i64) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let backend = state.store.backend();
    let Some(order) = rows::lock_order(&mut tx, backend, order_id).await? else {
        return Ok(());
    };
    if order.expanded != 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE sub_orders SET state = CASE WHEN storage IS NULL THEN 'DONE' ELSE 'WAITING' END,
                               ended_at = CASE WHEN storage IS NULL THEN $2 ELSE ended_at END
         WHERE order_id = $1 AND state = 'OPEN'",
    )
    .bind(order_id)
    .bind(now.millis())
    .execute(&mut *tx)
    .await?;
    rows::set_expanded_counts(&mut tx, order_id, now).await?;
    let order = rows::order_in(&mut tx, order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {order_id} vanished"))?;
    if order.total_files == 0 {
        let message = "The selection no longer matches any orderable file";
        rows::set_status(
            &mut tx,
            order_id,
            OrderStatus::DoneWithWarning,
            Some(message),
            now,
        )
        .await?;
    } else {
        super::progress::settle(&mut tx, order_id, now).await?;
        super::queue_schedule(&mut tx, &order.owner, now).await?;
    }
    tx.commit().await?;
    tracing::info!(
        order_id,
        files = order.total_files,
        bytes = order.total_bytes,
        "order expanded"
    );
    Ok(())
}
