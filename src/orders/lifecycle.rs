//! What happens to orders with time: expiry at the expiration date, reminders of waiting files, and the
//! end of an order whose job ran out of attempts.

use std::time::Duration;

use super::{mails, queue_schedule};
use crate::app::AppState;
use crate::domain::order::OrderStatus;
use crate::jobs::expire::ExpireOrder;
use crate::jobs::remind::{self, Remind};
use crate::jobs::{self};
use crate::store::enqueue;
use crate::store::orders::{self as rows, OrderRow};
use crate::time::Timestamp;

/// Every status but DELETED and EXPIRED expires (FAILED too, freeing its cache): the order becomes
/// EXPIRED, its sub-orders give back their slots, its restored copies go.
pub async fn expire(state: &AppState, order_id: i64) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let Some(order) = rows::lock_order(&mut tx, state.store.backend(), order_id).await? else {
        return Ok(());
    };
    if matches!(order.status(), OrderStatus::Deleted | OrderStatus::Expired) {
        return Ok(());
    }
    let Some(expiration) = order.expiration_date else {
        // Never expires (its job was queued before the configuration said so).
        return Ok(());
    };
    if expiration > now.millis() {
        // Not yet (a clock behind another process's): come back at the date.
        let job = jobs::new_job(&ExpireOrder { order_id }, Timestamp(expiration));
        enqueue(&mut tx, &job, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    rows::set_status(&mut tx, order_id, OrderStatus::Expired, None, now).await?;
    sqlx::query("UPDATE sub_orders SET state = 'CANCELLED', ended_at = $2 WHERE order_id = $1 AND state <> 'CANCELLED'")
        .bind(order_id)
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE orders SET available_files = 0 WHERE id = $1")
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    mails::queue_expired(&mut tx, &order, now).await?;
    queue_schedule(&mut tx, &order.owner, now).await?;
    tx.commit().await?;
    drop_order_copies(state, order_id).await?;
    tracing::info!(order_id, "order expired");
    Ok(())
}

/// Removes every restored copy of an order's files and frees its cache space.
pub async fn drop_order_copies(state: &AppState, order_id: i64) -> anyhow::Result<()> {
    loop {
        let copies: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, cache_path FROM order_files WHERE order_id = $1 AND cache_path IS NOT NULL ORDER BY id LIMIT 1000",
        )
        .bind(order_id)
        .fetch_all(state.store.pool())
        .await?;
        if copies.is_empty() {
            break;
        }
        for (_, path) in &copies {
            if let Err(error) = std::fs::remove_file(path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path, %error, "cannot remove a cached copy");
            }
        }
        let mut tx = state.store.begin_write().await?;
        for (id, _) in &copies {
            sqlx::query("UPDATE order_files SET cache_path = NULL WHERE id = $1")
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let mut tx = state.store.begin_write().await?;
    sqlx::query(
        "UPDATE sub_orders SET reserved_bytes = 0, evictable_bytes = 0 WHERE order_id = $1",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Mails the owners of files waiting longer than `mail.reminder_after`, then comes back later.
pub async fn remind(state: &AppState) -> anyhow::Result<()> {
    let delay = state.config.mail.reminder_after;
    let now = state.clock.now();
    let threshold = now.millis() - i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let due: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM orders
         WHERE available_files > 0 AND available_update_date < $1
           AND status IN ('RUNNING', 'PAUSED', 'DONE', 'DONE_WITH_WARNING')
         ORDER BY id LIMIT 500",
        rows::ORDER_COLUMNS
    )))
    .bind(threshold)
    .fetch_all(state.store.pool())
    .await?;
    for order in due {
        let mut tx = state.store.begin_write().await?;
        // Claiming the order: another process reminding at the same time finds it claimed.
        let claimed = sqlx::query("UPDATE orders SET available_update_date = $3 WHERE id = $1 AND available_update_date = $2")
            .bind(order.id)
            .bind(order.available_update_date)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        if claimed.rows_affected() == 1 {
            mails::queue_reminder(state, &mut tx, &order, now).await?;
        }
        tx.commit().await?;
    }
    queue_remind(state, now.plus(delay.min(Duration::from_secs(3600)))).await
}

/// Queues the reminder job (at most one waiting).
pub async fn queue_remind(state: &AppState, at: Timestamp) -> anyhow::Result<()> {
    let mut job = jobs::new_job(&Remind {}, at);
    job.unique_key = Some(remind::UNIQUE_KEY.to_owned());
    state.store.enqueue_job(&job, state.clock.now()).await?;
    Ok(())
}

/// A job of this order ran out of attempts: the order FAILED with its error (unless it ended already).
pub async fn fail(state: &AppState, order_id: i64, error: &str) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let Some(order) = rows::lock_order(&mut tx, state.store.backend(), order_id).await? else {
        return Ok(());
    };
    let status = order.status();
    if status.is_finished() || matches!(status, OrderStatus::Deleted | OrderStatus::Expired) {
        return Ok(());
    }
    let message: String = format!("Processing failed: {error}")
        .chars()
        .take(1000)
        .collect();
    rows::set_status(
        &mut tx,
        order_id,
        OrderStatus::Failed,
        Some(&message),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
