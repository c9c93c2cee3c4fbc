//! Scheduling per user: at most `orders.max_running_suborders_per_user` sub-orders in progress (being
//! staged, or waiting for the user's download); the next ones start, smaller orders first, when a slot
//! and (nearline) cache space are free. Paused orders start nothing. External sub-orders take no slot.

use crate::app::AppState;
use crate::domain::order::FileState;
use crate::store::suborders::{self as subs, SUB_ORDER_COLUMNS, SubOrderRow};
use crate::store::{Backend, StoreError, Tx};
use crate::time::Timestamp;

/// Starts what the owner's free slots allow; returns the sub-orders started.
pub async fn schedule(state: &AppState, owner: &str) -> Result<Vec<i64>, StoreError> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let backend = state.store.backend();
    advisory_lock(&mut tx, backend, &format!("schedule:{owner}")).await?;
    let busy: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sub_orders
         WHERE owner = $1 AND storage IS NOT NULL
           AND (state = 'RUNNING' OR (state = 'DONE' AND pending_files = 0 AND available_files > 0))",
    )
    .bind(owner)
    .fetch_one(&mut *tx)
    .await?;
    let mut free = i64::from(state.config.orders.max_running_suborders_per_user) - busy;
    let mut started = Vec::new();
    if free <= 0 {
        tx.commit().await?;
        return Ok(started);
    }
    let sql = format!(
        "SELECT {} FROM sub_orders s JOIN orders o ON o.id = s.order_id
         WHERE s.owner = $1 AND s.state = 'WAITING' AND o.status = 'RUNNING'
         ORDER BY o.total_bytes, o.id, s.id LIMIT 200",
        SUB_ORDER_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let waiting: Vec<SubOrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .fetch_all(&mut *tx)
        .await?;
    for sub_order in waiting {
        if free <= 0 {
            break;
        }
        let storage = sub_order
            .storage
            .as_deref()
            .and_then(|name| state.storages.get(name))
            .cloned();
        if let Some(storage) = storage.filter(|s| s.is_nearline()) {
            match reserve(&mut tx, backend, &sub_order, &storage, now).await? {
                Reservation::Reserved => {}
                Reservation::Wait => continue,
                Reservation::TooLarge => {
                    let reason = format!(
                        "sub-order of {} bytes is larger than the cache of storage {} ({} bytes)",
                        sub_order.bytes,
                        storage.name(),
                        storage.cache_bytes()
                    );
                    error_all(&mut tx, backend, &sub_order, &reason, now).await?;
                    continue;
                }
            }
        }
        sqlx::query("UPDATE sub_orders SET state = 'RUNNING', started_at = $2 WHERE id = $1")
            .bind(sub_order.id)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        super::queue(
            &mut tx,
            &crate::jobs::stage::StageSubOrder {
                sub_order_id: sub_order.id,
            },
            now,
        )
        .await?;
        started.push(sub_order.id);
        free -= 1;
    }
    tx.commit().await?;
    if !started.is_empty() {
        tracing::debug!(owner, ?started, "sub-orders started");
    }
    Ok(started)
}

/// Serialises the transactions taking the same lock: PostgreSQL advisory lock until the end of the
/// transaction; SQLite holds the one write lock already.
pub async fn advisory_lock(tx: &mut Tx, backend: Backend, key: &str) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS locked")
            .bind(key)
            .fetch_all(&mut **tx)
            .await?;
    }
    Ok(())
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
    storage: &crate::storage::LocalStorage,
    now: Timestamp,
) -> Result<Reservation, StoreError> {
    let capacity = storage.cache_bytes();
    if sub_order.bytes > capacity {
        return Ok(Reservation::TooLarge);
    }
    advisory_lock(tx, backend, &format!("cache:{}", storage.name())).await?;
    let (reserved, evictable): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(reserved_bytes), 0) AS BIGINT), CAST(COALESCE(SUM(evictable_bytes), 0) AS BIGINT)
         FROM sub_orders WHERE storage = $1 AND id <> $2",
    )
    .bind(storage.name())
    .bind(sub_order.id)
    .fetch_one(&mut **tx)
    .await?;
    if reserved + sub_order.bytes > capacity {
        return Ok(Reservation::Wait);
    }
    let mut to_free = reserved + evictable + sub_order.bytes - capacity;
    if to_free > 0 {
        let evictable: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, evictable_bytes FROM sub_orders WHERE storage = $1 AND evictable_bytes > 0
             ORDER BY released_at, id",
        )
        .bind(storage.name())
        .fetch_all(&mut **tx)
        .await?;
        for (id, bytes) in evictable {
            if to_free <= 0 {
                break;
            }
            super::stage::drop_copies(tx, id).await?;
            to_free -= bytes;
        }
    }
    sqlx::query("UPDATE sub_orders SET reserved_bytes = $2 WHERE id = $1")
        .bind(sub_order.id)
        .bind(sub_order.bytes)
        .execute(&mut **tx)
        .await?;
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
    sqlx::query("UPDATE sub_orders SET state = 'DONE', ended_at = $2 WHERE id = $1")
        .bind(sub_order.id)
        .bind(now.millis())
        .execute(&mut **tx)
        .await?;
    super::progress::settle(tx, sub_order.order_id, now).await?;
    Ok(())
}
