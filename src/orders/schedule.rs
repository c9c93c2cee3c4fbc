//! Scheduling per user: at most `orders.max_running_suborders_per_user` sub-orders in progress (being
//! staged, or waiting for the user's download); the next ones start, smaller orders first, when a slot
//! and (nearline) cache space are free. Paused orders start nothing. External sub-orders take no slot.

use crate::app::AppState;
use crate::domain::order::{FileState, SubOrderState};
use crate::store::suborders::{self as subs, SubOrderRow};
use crate::store::{Backend, StoreError, Tx, commit};
use crate::time::Timestamp;

/// Starts what the owner's free slots allow; returns the sub-orders started.
pub async fn schedule(state: &AppState, owner: &str) -> Result<Vec<i64>, StoreError> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    subs::lock_key(&mut tx, state.store.backend(), &format!("schedule:{owner}")).await?;
    let held = subs::slots_held(&mut tx, owner).await?;
    let mut free = i64::from(state.config.orders.max_running_suborders_per_user) - held;
    let mut started = Vec::new();
    if free > 0 {
        for sub_order in subs::waiting_for_slots(&mut tx, owner, 200).await? {
            if free <= 0 {
                break;
            }
            if start(state, &mut tx, &sub_order, now).await? {
                started.push(sub_order.id);
                free -= 1;
            }
        }
    }
    commit(tx).await?;
    if !started.is_empty() {
        tracing::debug!(owner, ?started, "sub-orders started");
    }
    Ok(started)
}

/// Starts a sub-order when its cache space can be reserved (nearline); one that can never fit the cache
/// ends with its files in ERROR. Returns whether it started.
async fn start(
    state: &AppState,
    tx: &mut Tx,
    sub_order: &SubOrderRow,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let storage = sub_order
        .storage
        .as_deref()
        .and_then(|name| state.storages.get(name))
        .cloned();
    if let Some(storage) = storage.filter(|s| s.is_nearline()) {
        match reserve(tx, state.store.backend(), sub_order, &storage, now).await? {
            Reservation::Reserved => {}
            Reservation::Wait => return Ok(false),
            Reservation::TooLarge => {
                let reason = format!(
                    "sub-order of {} bytes is larger than the cache of storage {} ({} bytes)",
                    sub_order.bytes,
                    storage.name(),
                    storage.cache_bytes()
                );
                error_all(tx, state.store.backend(), sub_order, &reason, now).await?;
                return Ok(false);
            }
        }
    }
    let stage = super::jobs::StageSubOrder {
        sub_order_id: sub_order.id,
    };
    subs::change_state(
        tx,
        sub_order.id,
        SubOrderState::Waiting,
        SubOrderState::Running,
        now,
    )
    .await?;
    super::queue(tx, &stage, now).await?;
    Ok(true)
}

enum Reservation {
    Reserved,
    Wait,
    TooLarge,
}

/// Reserves the sub-order's bytes in its storage's cache, evicting copies whose files were all
/// downloaded (oldest release first) when space is short. A sub-order paused while staging kept its
/// reservation: what it holds already is not counted against it.
async fn reserve(
    tx: &mut Tx,
    backend: Backend,
    sub_order: &SubOrderRow,
    storage: &crate::storage::Storage,
    now: Timestamp,
) -> Result<Reservation, StoreError> {
    let capacity = storage.cache_bytes();
    if sub_order.bytes > capacity {
        return Ok(Reservation::TooLarge);
    }
    subs::lock_key(tx, backend, &format!("cache:{}", storage.name())).await?;
    let (reserved, evictable) = subs::cache_use(tx, storage.name(), sub_order.id).await?;
    if reserved + sub_order.bytes > capacity {
        return Ok(Reservation::Wait);
    }
    let mut to_free = reserved + evictable + sub_order.bytes - capacity;
    if to_free > 0 {
        for (id, bytes) in subs::evictable(tx, storage.name()).await? {
            if to_free <= 0 {
                break;
            }
            super::stage::drop_copies(tx, id).await?;
            to_free -= bytes;
        }
    }
    subs::reserve(tx, sub_order.id, sub_order.bytes).await?;
    tracing::debug!(sub_order = sub_order.id, bytes = sub_order.bytes, at = %now, "cache reserved");
    Ok(Reservation::Reserved)
}

/// Puts every pending file of a sub-order in ERROR and ends it.
async fn error_all(
    tx: &mut Tx,
    backend: Backend,
    sub_order: &SubOrderRow,
    reason: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    loop {
        let files = subs::files_in_state(tx, sub_order.id, FileState::Pending, 1000).await?;
        if files.is_empty() {
            break;
        }
        let ids: Vec<i64> = files.iter().map(|f| f.id).collect();
        let change = subs::Transition {
            order_id: sub_order.order_id,
            ids: &ids,
            from: FileState::Pending,
            to: FileState::Error,
            error: Some(reason),
            now,
        };
        subs::transition(tx, backend, &change).await?;
    }
    subs::change_state(
        tx,
        sub_order.id,
        SubOrderState::Waiting,
        SubOrderState::Done,
        now,
    )
    .await?;
    super::progress::settle(tx, sub_order.order_id, now).await?;
    Ok(())
}
