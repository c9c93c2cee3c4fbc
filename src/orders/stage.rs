//! Staging a sub-order: online files are checked, nearline files restored into the cache (checksum
//! checked); each goes AVAILABLE or ERROR with its reason, a batch at a time, so a paused order stops at
//! the next batch and a successor resumes with the files still pending.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::app::AppState;
use crate::domain::order::{FileState, OrderStatus, SubOrderState};
use crate::storage::{Digest, StageError, Storage};
use crate::store::orders as rows;
use crate::store::suborders::{self as subs, OrderFileRow, Transition};
use crate::store::{StoreError, Tx, commit};

/// Files checked (online) or restored (nearline) between two transactions and two looks at the order's
/// status: a restore copies a whole file, a check only reads its size.
const ONLINE_BATCH: i64 = 1000;
const NEARLINE_BATCH: i64 = 20;

pub async fn stage(state: &AppState, sub_order_id: i64) -> anyhow::Result<()> {
    let Some(sub_order) = state.store.sub_order(sub_order_id).await? else {
        return Ok(());
    };
    if sub_order.state != SubOrderState::Running {
        return Ok(());
    }
    let Some(storage) = sub_order
        .storage
        .as_deref()
        .and_then(|name| state.storages.get(name))
        .cloned()
    else {
        let reason = format!(
            "storage {:?} is not configured",
            sub_order.storage.as_deref().unwrap_or("")
        );
        return end_with_errors(state, sub_order_id, sub_order.order_id, &reason).await;
    };
    let batch = if storage.is_nearline() {
        NEARLINE_BATCH
    } else {
        ONLINE_BATCH
    };
    loop {
        let order = state.store.order(sub_order.order_id).await?;
        let status = order.as_ref().map(|o| o.status());
        if status != Some(OrderStatus::Running) {
            return stop(state, sub_order_id, status).await;
        }
        let files = state
            .store
            .files_in_state(sub_order_id, FileState::Pending, batch)
            .await?;
        if files.is_empty() {
            return finish(state, sub_order_id).await;
        }
        let days = restore_days(order.as_ref(), state.clock.now());
        let treated = treat(&storage, &files, days).await;
        record(state, sub_order.order_id, &treated).await?;
    }
}

/// What staging a batch found: the files made available (with their restored copy), and the others by
/// reason.
#[derive(Default)]
struct Treated {
    available: Vec<(i64, Option<PathBuf>)>,
    errors: BTreeMap<String, Vec<i64>>,
}

/// How long a store keeps the readable copy of an archived object: the order's remaining lifetime, at
/// least a day (an order that never expires: a day, the copy goes into the cache at once).
/// docs/decisions.md, "Object storage".
fn restore_days(order: Option<&rows::OrderRow>, now: crate::time::Timestamp) -> u32 {
    const DAY: i64 = 24 * 3600 * 1000;
    let left = order
        .and_then(|o| o.expiration_date)
        .map_or(0, |expiry| expiry - now.millis());
    u32::try_from((left + DAY - 1) / DAY)
        .unwrap_or(u32::MAX)
        .max(1)
}

/// Checks online files, restores nearline ones (their restores asked for together first).
async fn treat(storage: &Storage, files: &[OrderFileRow], days: u32) -> Treated {
    let mut treated = Treated::default();
    if storage.is_nearline() {
        let uris: Vec<&str> = files.iter().map(|f| f.uri.as_str()).collect();
        storage.prepare_restores(&uris, days).await;
    }
    for file in files {
        let outcome = if storage.is_nearline() {
            let dest = storage.cache_path(file.order_id, file.id);
            let expected = (file.size, digest(file));
            storage
                .restore(&file.uri, &dest, expected, days)
                .await
                .map(|()| Some(dest))
        } else {
            storage.check(&file.uri, file.size).await.map(|()| None)
        };
        match outcome {
            Ok(copy) => treated.available.push((file.id, copy)),
            Err(error) => treated
                .errors
                .entry(describe(&error))
                .or_default()
                .push(file.id),
        }
    }
    treated
}

/// Records a batch in one transaction: copies, AVAILABLE files, files in ERROR by reason.
async fn record(state: &AppState, order_id: i64, treated: &Treated) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let backend = state.store.backend();
    for (id, copy) in &treated.available {
        if let Some(copy) = copy {
            subs::set_cache_path(&mut tx, *id, &copy.display().to_string()).await?;
        }
    }
    let ids: Vec<i64> = treated.available.iter().map(|(id, _)| *id).collect();
    let moves = std::iter::once((FileState::Available, None, &ids)).chain(
        treated
            .errors
            .iter()
            .map(|(reason, ids)| (FileState::Error, Some(reason.as_str()), ids)),
    );
    for (to, error, ids) in moves {
        let change = Transition {
            order_id,
            ids,
            from: FileState::Pending,
            to,
            error,
            now,
        };
        subs::transition(&mut tx, backend, &change).await?;
    }
    commit(tx).await?;
    Ok(())
}

fn digest(file: &OrderFileRow) -> Option<Digest> {
    match (&file.checksum_algo, &file.checksum) {
        (Some(algorithm), Some(hex)) => Some(Digest {
            algorithm: algorithm.clone(),
            hex: hex.clone(),
        }),
        _ => None,
    }
}

fn describe(error: &StageError) -> String {
    error.to_string()
}

/// The order is no longer running: a paused order's sub-order waits for a slot again (keeping its cache
/// reservation); another status ends nothing here (expiry and deletion clean up).
async fn stop(
    state: &AppState,
    sub_order_id: i64,
    status: Option<OrderStatus>,
) -> anyhow::Result<()> {
    if status == Some(OrderStatus::Paused) {
        let mut tx = state.store.begin_write().await?;
        let (from, to) = (SubOrderState::Running, SubOrderState::Waiting);
        subs::change_state(&mut tx, sub_order_id, from, to, state.clock.now()).await?;
        commit(tx).await?;
        tracing::info!(sub_order_id, "staging paused");
    }
    Ok(())
}

/// Every file treated: the sub-order is DONE; it keeps its slot (and cache space) while files wait for
/// the user; the order may end; the owner's next sub-orders may start.
async fn finish(state: &AppState, sub_order_id: i64) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let Some(sub_order) = subs::sub_order_in(&mut tx, sub_order_id).await? else {
        return Ok(());
    };
    if sub_order.state != SubOrderState::Running {
        return Ok(());
    }
    subs::change_state(
        &mut tx,
        sub_order_id,
        SubOrderState::Running,
        SubOrderState::Done,
        now,
    )
    .await?;
    if sub_order.available_files == 0 {
        // Nothing to download: nothing to keep in the cache.
        subs::unreserve(&mut tx, sub_order_id).await?;
    }
    super::progress::settle(&mut tx, sub_order.order_id, now).await?;
    super::queue_schedule(&mut tx, &sub_order.owner, now).await?;
    if sub_order.available_files > 0
        && let Some(order) = rows::order_in(&mut tx, sub_order.order_id).await?
    {
        let files = sub_order.available_files;
        super::digest::note_ready(state, &mut tx, &order, files, now).await?;
    }
    commit(tx).await?;
    tracing::info!(
        sub_order_id,
        available = sub_order.available_files,
        "sub-order staged"
    );
    Ok(())
}

async fn end_with_errors(
    state: &AppState,
    sub_order_id: i64,
    order_id: i64,
    reason: &str,
) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    loop {
        let files = subs::files_in_state(&mut tx, sub_order_id, FileState::Pending, 1000).await?;
        if files.is_empty() {
            break;
        }
        let ids: Vec<i64> = files.iter().map(|f| f.id).collect();
        let change = Transition {
            order_id,
            ids: &ids,
            from: FileState::Pending,
            to: FileState::Error,
            error: Some(reason),
            now,
        };
        subs::transition(&mut tx, state.store.backend(), &change).await?;
    }
    commit(tx).await?;
    finish(state, sub_order_id).await
}

/// Removes a sub-order's restored copies (eviction, deletion, expiry) and frees its cache space.
pub async fn drop_copies(tx: &mut Tx, sub_order_id: i64) -> Result<(), StoreError> {
    for path in subs::copies_of_sub_order(tx, sub_order_id).await? {
        super::lifecycle::remove_copy(&path);
    }
    subs::forget_copies_of_sub_order(tx, sub_order_id).await?;
    subs::forget_cache(tx, sub_order_id).await
}
