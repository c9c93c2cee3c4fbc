//! Expansion: each dataset task's frozen request is paged through the catalog (objects in id order,
//! 1000 at a time); the orderable files of a page become order files, grouped into sub-orders, in one
//! transaction that also moves the task's cursor. A worker that dies mid-way leaves a consistent prefix:
//! its successor resumes at the cursor, and nothing is written twice.

use std::collections::HashMap;

use crate::access;
use crate::app::AppState;
use crate::domain::access::Need;
use crate::domain::files::DataType;
use crate::domain::filters::FileFilter;
use crate::domain::order::{FileState, OrderStatus, SubOrderBound, SubOrderState, place_objects};
use crate::domain::query::parse;
use crate::domain::query::sql::{Condition, to_sql};
use crate::store::orders::{self as rows, DatasetTaskRow};
use crate::store::suborders::{self as subs, NewOrderFile};
use crate::store::{Conn, FileRow, StoreError, commit};
use crate::time::Timestamp;

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
    // Only the datasets the order's frozen groups may order now (docs/decisions.md "Access rights").
    let viewer = order.viewer();
    let orderable = access::datasets(
        state.store.as_ref(),
        &state.config.access,
        &viewer,
        Need::Data,
    )
    .await?;
    let mut withheld = false;
    for task in state.store.dataset_tasks(order_id).await? {
        if !orderable.contains(task.dataset_id) {
            withheld = true;
            skip_task(state, &task).await?;
            continue;
        }
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
    finish(state, order_id, withheld).await
}

/// A task of a dataset the order may not order: expanded into nothing.
async fn skip_task(state: &AppState, task: &DatasetTaskRow) -> anyhow::Result<()> {
    if task.expanded != 0 {
        return Ok(());
    }
    tracing::info!(
        order_id = task.order_id,
        dataset = task.dataset_ip_id,
        "dataset left out of the order: its access groups may not order it"
    );
    let mut tx = state.store.begin_write().await?;
    rows::mark_task_expanded(&mut tx, task.id).await?;
    commit(tx).await?;
    Ok(())
}

async fn fail(state: &AppState, order_id: i64, message: &str) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    rows::set_status(&mut tx, order_id, OrderStatus::Failed, Some(message), now).await?;
    rows::mark_expanded(&mut tx, order_id).await?;
    commit(tx).await?;
    tracing::warn!(order_id, message, "order failed at expansion");
    Ok(())
}

/// One page of a task: its objects (id, ipId, providerId) and their orderable files by object.
struct Page {
    objects: Vec<(i64, String, String)>,
    files: HashMap<i64, Vec<FileRow>>,
}

async fn expand_task(
    state: &AppState,
    owner: &str,
    task: &DatasetTaskRow,
    condition: &Condition,
) -> anyhow::Result<()> {
    let mut cursor = task.cursor;
    let filter = task.file_filters.as_deref().and_then(FileFilter::stored);
    loop {
        let objects = state
            .store
            .object_refs_after(condition, task.dataset_id, cursor, PAGE)
            .await?;
        let Some(last) = objects.last().map(|o| o.0) else {
            let mut tx = state.store.begin_write().await?;
            rows::mark_task_expanded(&mut tx, task.id).await?;
            commit(tx).await?;
            return Ok(());
        };
        let ids: Vec<i64> = objects.iter().map(|o| o.0).collect();
        let mut files: HashMap<i64, Vec<FileRow>> = HashMap::new();
        for file in state.store.files_of(&ids).await? {
            let orderable = file.data_type.parse::<DataType>().is_ok_and(|t| {
                t.is_orderable() && filter.as_ref().is_none_or(|f| f.keeps(t, &file.filename))
            });
            if orderable {
                files.entry(file.object_id).or_default().push(file);
            }
        }
        write_page(state, owner, task, (cursor, last), &Page { objects, files }).await?;
        cursor = last;
    }
}

/// Writes a page's files into sub-orders and moves the task's cursor, in one transaction.
async fn write_page(
    state: &AppState,
    owner: &str,
    task: &DatasetTaskRow,
    (cursor, last): (i64, i64),
    page: &Page,
) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    // Moving the cursor first takes the task's row: a second worker on the same page finds it moved.
    if !rows::move_cursor(&mut tx, task.id, cursor, last).await? {
        anyhow::bail!("dataset task {} was expanded by another worker", task.id);
    }
    let bound = SubOrderBound {
        max_files: i64::from(state.config.orders.suborder_max_files),
        max_bytes: state.config.orders.suborder_max_bytes as i64,
    };
    let mut new_files = Vec::new();
    for (storage, groups) in by_storage(page) {
        let limit = if storage.is_none() {
            SubOrderBound::EXTERNAL
        } else {
            bound
        };
        let target = Target {
            task,
            owner,
            storage: storage.as_deref(),
            limit,
            now,
        };
        let placed = fill_sub_orders(&mut tx, &target, &groups).await?;
        for ((object, files), sub_order) in groups.iter().zip(placed) {
            new_files.extend(
                files
                    .iter()
                    .map(|f| new_order_file(task, object, f, sub_order)),
            );
        }
    }
    subs::insert_order_files(&mut tx, state.store.backend(), &new_files, now).await?;
    commit(tx).await?;
    Ok(())
}

/// The page's files per storage (storages in order of first appearance), each object's files together.
type ObjectFiles<'a> = (&'a (i64, String, String), Vec<&'a FileRow>);

fn by_storage(page: &Page) -> Vec<(Option<String>, Vec<ObjectFiles<'_>>)> {
    let mut storages: Vec<(Option<String>, Vec<ObjectFiles<'_>>)> = Vec::new();
    for object in &page.objects {
        let Some(files) = page.files.get(&object.0) else {
            continue;
        };
        let mut of_object: Vec<(Option<String>, Vec<&FileRow>)> = Vec::new();
        for file in files {
            match of_object.iter_mut().find(|(s, _)| *s == file.storage) {
                Some((_, group)) => group.push(file),
                None => of_object.push((file.storage.clone(), vec![file])),
            }
        }
        for (storage, group) in of_object {
            match storages.iter_mut().find(|(s, _)| *s == storage) {
                Some((_, objects)) => objects.push((object, group)),
                None => storages.push((storage, vec![(object, group)])),
            }
        }
    }
    storages
}

/// The sub-orders of one (dataset task, storage) being filled.
struct Target<'a> {
    task: &'a DatasetTaskRow,
    owner: &'a str,
    storage: Option<&'a str>,
    limit: SubOrderBound,
    now: Timestamp,
}

/// Places objects' files into the open sub-order of the target and new ones as the bound says
/// (`place_objects`); full ones are closed. Returns each object's sub-order.
async fn fill_sub_orders(
    tx: &mut Conn,
    target: &Target<'_>,
    groups: &[ObjectFiles<'_>],
) -> Result<Vec<i64>, StoreError> {
    let task = target.task;
    let open =
        subs::open_sub_order(tx, task.order_id, task.id, target.owner, target.storage).await?;
    let sizes: Vec<(i64, i64)> = groups
        .iter()
        .map(|(_, files)| {
            (
                files.len() as i64,
                files.iter().map(|f| f.size.unwrap_or(0)).sum(),
            )
        })
        .collect();
    let places = place_objects(
        (open.files_count, open.bytes),
        target.limit,
        sizes.iter().copied(),
    );
    let mut ids = vec![open.id];
    let mut added = vec![(0i64, 0i64)];
    for (place, (files, bytes)) in places.iter().zip(&sizes) {
        if *place == ids.len() {
            // The sub-order being filled is full: it is closed, the next one opened.
            let full = *ids.last().expect("one is open");
            close(tx, target, full, *added.last().expect("one is open")).await?;
            let next =
                subs::open_sub_order(tx, task.order_id, task.id, target.owner, target.storage)
                    .await?;
            ids.push(next.id);
            added.push((0, 0));
        }
        let counts = &mut added[*place];
        *counts = (counts.0 + files, counts.1 + bytes);
    }
    grow(
        tx,
        target,
        *ids.last().expect("one is open"),
        *added.last().expect("one is open"),
    )
    .await?;
    Ok(places.into_iter().map(|place| ids[place]).collect())
}

/// Adds (files, bytes) to a sub-order's counters: pending, or available for external files.
async fn grow(
    tx: &mut Conn,
    target: &Target<'_>,
    id: i64,
    (files, bytes): (i64, i64),
) -> Result<(), StoreError> {
    if files == 0 {
        return Ok(());
    }
    let (pending, available) = if target.storage.is_none() {
        (0, files)
    } else {
        (files, 0)
    };
    subs::grow_sub_order(tx, id, files, bytes, pending, available).await
}

async fn close(
    tx: &mut Conn,
    target: &Target<'_>,
    id: i64,
    added: (i64, i64),
) -> Result<(), StoreError> {
    grow(tx, target, id, added).await?;
    let closed = SubOrderState::closed(target.storage.is_none());
    subs::change_state(tx, id, SubOrderState::Open, closed, target.now).await?;
    Ok(())
}

fn new_order_file(
    task: &DatasetTaskRow,
    (_, ip_id, provider_id): &(i64, String, String),
    file: &FileRow,
    sub_order_id: i64,
) -> NewOrderFile {
    NewOrderFile {
        order_id: task.order_id,
        sub_order_id,
        dataset_task_id: task.id,
        object_ip_id: ip_id.clone(),
        provider_id: provider_id.clone(),
        data_type: file.data_type.clone(),
        filename: file.filename.clone(),
        size: file.size,
        checksum: file.checksum.clone(),
        checksum_algo: file.checksum_algo.clone(),
        crc32: file.crc32,
        mime_type: file.mime_type.clone(),
        uri: file.uri.clone(),
        storage: file.storage.clone(),
        state: if file.storage.is_none() {
            FileState::Available
        } else {
            FileState::Pending
        },
    }
}

/// Once every task is expanded: closes the open sub-orders, sets the exact counts, ends an order that
/// found nothing, and asks for the owner's scheduling.
/// Ends the expansion; `withheld`: some datasets were left out for the order's access groups.
async fn finish(state: &AppState, order_id: i64, withheld: bool) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let backend = state.store.backend();
    let Some(order) = rows::lock_order(&mut tx, backend, order_id).await? else {
        return Ok(());
    };
    if order.expanded != 0 {
        return Ok(());
    }
    subs::close_open_of_order(&mut tx, order_id, now).await?;
    rows::set_expanded_counts(&mut tx, order_id, now).await?;
    let order = rows::order_in(&mut tx, order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {order_id} vanished"))?;
    if order.total_files == 0 {
        let message = if withheld {
            "The access groups this order was placed with may not order any of its datasets"
        } else {
            "The selection no longer matches any orderable file"
        };
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
    let sub_orders = rows::internal_sub_orders(&mut tx, order_id).await?;
    let anchor = Timestamp(order.creation_date);
    let growth = (order_id, anchor, sub_orders);
    super::expiry::grow(&mut tx, &state.config.orders, growth, now).await?;
    commit(tx).await?;
    tracing::info!(
        order_id,
        files = order.total_files,
        bytes = order.total_bytes,
        "order expanded"
    );
    Ok(())
}
