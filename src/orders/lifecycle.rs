//! What happens to orders with time: expiry at the expiration date, reminders of waiting files, and the
//! end of an order whose job ran out of attempts.

use std::collections::BTreeMap;
use std::time::Duration;

use super::jobs::Remind;
use super::{mails, queue_schedule};
use crate::app::AppState;
use crate::domain::order::OrderStatus;
use crate::jobs;
use crate::store::commit;
use crate::store::orders as rows;
use crate::store::suborders as subs;
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
        let job = super::expiry::expiry_job(order_id, Timestamp(expiration));
        crate::store::enqueue_or_move(&mut tx, &job, now).await?;
        commit(tx).await?;
        return Ok(());
    }
    rows::set_status(&mut tx, order_id, OrderStatus::Expired, None, now).await?;
    subs::cancel_all_of_order(&mut tx, order_id, now).await?;
    rows::forget_available(&mut tx, order_id).await?;
    mails::queue_expired(&mut tx, &order, now).await?;
    queue_schedule(&mut tx, &order.owner, now).await?;
    commit(tx).await?;
    drop_order_copies(state, order_id).await?;
    tracing::info!(order_id, "order expired");
    Ok(())
}

/// Removes every restored copy of an order's files and frees its cache space.
pub async fn drop_order_copies(state: &AppState, order_id: i64) -> anyhow::Result<()> {
    loop {
        let copies = state.store.copies_of_order(order_id, 1000).await?;
        if copies.is_empty() {
            break;
        }
        for (_, path) in &copies {
            remove_copy(path);
        }
        let ids: Vec<i64> = copies.iter().map(|(id, _)| *id).collect();
        let mut tx = state.store.begin_write().await?;
        subs::forget_copies(&mut tx, state.store.backend(), &ids).await?;
        commit(tx).await?;
    }
    let mut tx = state.store.begin_write().await?;
    subs::forget_cache_of_order(&mut tx, order_id).await?;
    commit(tx).await?;
    Ok(())
}

/// Removes a restored copy (already gone is fine).
pub fn remove_copy(path: &str) {
    if let Err(error) = std::fs::remove_file(path)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path, %error, "cannot remove a cached copy");
    }
}

/// Mails the owners of files waiting longer than `mail.reminder_after` (one mail per owner, listing every
/// order of theirs with files waiting), then comes back later.
pub async fn remind(state: &AppState) -> anyhow::Result<()> {
    let delay = state.config.mail.reminder_after;
    let now = state.clock.now();
    let threshold = now.millis() - i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let mut by_owner: BTreeMap<String, Vec<rows::OrderRow>> = BTreeMap::new();
    for order in state.store.due_for_reminder(threshold, 500).await? {
        by_owner.entry(order.owner.clone()).or_default().push(order);
    }
    for (owner, due) in by_owner {
        let mut tx = state.store.begin_write().await?;
        // Claiming the orders: another process reminding at the same time finds them claimed.
        let mut claimed = false;
        for order in &due {
            claimed |= rows::claim_reminder(&mut tx, order, now).await?;
        }
        if claimed {
            let waiting = rows::waiting_orders(&mut tx, &owner).await?;
            mails::queue_reminder(state, &mut tx, &owner, &waiting, now).await?;
        }
        commit(tx).await?;
    }
    queue_remind(state, now.plus(delay.min(Duration::from_secs(3600)))).await
}

/// Queues the reminder job (at most one waiting).
pub async fn queue_remind(state: &AppState, at: Timestamp) -> anyhow::Result<()> {
    let mut job = jobs::new_job(&Remind {}, at);
    job.unique_key = Some(Remind::UNIQUE_KEY.to_owned());
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
    commit(tx).await?;
    Ok(())
}
