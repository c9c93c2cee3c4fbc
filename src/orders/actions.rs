//! The user actions on an order: pause, resume, delete, remove, restart, retry. Each locks the order,
//! checks the rule of `domain::order::check` (the same rule that gives the order its links), changes it
//! and queues what follows, in one transaction.

use super::jobs::PurgeOrder;
use super::{OrderError, OrderRequest, allowed, create_from_basket, queue, queue_schedule};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::order::{Action, OrderStatus};
use crate::store::basket as baskets;
use crate::store::orders::{self as rows, OrderRow};
use crate::store::suborders as subs;
use crate::store::{Tx, commit};
use crate::time::Timestamp;

/// Locks the order and checks the action; the transaction goes on with it.
pub(super) async fn locked(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: Action,
) -> Result<(Tx, OrderRow), OrderError> {
    let mut tx = state.store.begin_write().await?;
    let order = rows::lock_order(&mut tx, state.store.backend(), id)
        .await?
        .ok_or(OrderError::NotFound(id))?;
    allowed(&order, action, caller)?;
    Ok((tx, order))
}

pub async fn pause(state: &AppState, caller: &Caller, id: i64) -> Result<(), OrderError> {
    let (mut tx, _) = locked(state, caller, id, Action::Pause).await?;
    // Staging jobs see it at their next batch and leave their sub-order waiting.
    rows::set_status(&mut tx, id, OrderStatus::Paused, None, state.clock.now()).await?;
    commit(tx).await?;
    Ok(())
}

pub async fn resume(state: &AppState, caller: &Caller, id: i64) -> Result<(), OrderError> {
    let (mut tx, order) = locked(state, caller, id, Action::Resume).await?;
    let now = state.clock.now();
    rows::set_status(&mut tx, id, OrderStatus::Running, None, now).await?;
    super::progress::settle(&mut tx, id, now).await?;
    queue_schedule(&mut tx, &order.owner, now).await?;
    commit(tx).await?;
    Ok(())
}

/// Stops an order for good: its sub-orders give back their slots at once; its copies and files go in a
/// purge job.
async fn cancel(tx: &mut Tx, order: &OrderRow, now: Timestamp) -> Result<(), OrderError> {
    subs::cancel_all_of_order(tx, order.id, now).await?;
    rows::forget_available(tx, order.id).await?;
    queue(tx, &PurgeOrder { order_id: order.id }, now).await?;
    queue_schedule(tx, &order.owner, now).await?;
    Ok(())
}

pub async fn delete(state: &AppState, caller: &Caller, id: i64) -> Result<(), OrderError> {
    let (mut tx, order) = locked(state, caller, id, Action::Delete).await?;
    let now = state.clock.now();
    rows::set_status(&mut tx, id, OrderStatus::Deleted, None, now).await?;
    cancel(&mut tx, &order, now).await?;
    commit(tx).await?;
    Ok(())
}

/// Admin: the order row goes (its basket too); its files go in the purge job.
pub async fn remove(state: &AppState, caller: &Caller, id: i64) -> Result<(), OrderError> {
    let (mut tx, order) = locked(state, caller, id, Action::Remove).await?;
    let now = state.clock.now();
    cancel(&mut tx, &order, now).await?;
    if let Some(basket_id) = order.basket_id {
        baskets::delete_basket(&mut tx, basket_id).await?;
    }
    subs::delete_of_order(&mut tx, id).await?;
    rows::delete_order(&mut tx, id).await?;
    commit(tx).await?;
    Ok(())
}

/// A new order, for the same owner, from a copy of the basket the order consumed.
pub async fn restart(
    state: &AppState,
    caller: &Caller,
    id: i64,
    request: &OrderRequest,
) -> Result<OrderRow, OrderError> {
    let (mut tx, order) = locked(state, caller, id, Action::Restart).await?;
    let now = state.clock.now();
    let basket_id = order.basket_id.ok_or(OrderError::EmptyBasket)?;
    let copy = baskets::copy_basket(
        &mut tx,
        basket_id,
        &format!("RESTART_ORDER_{id}_{}", now.millis()),
        now,
    )
    .await?;
    // The new order orders as the first did: with the groups its owner had then.
    let owner = (order.owner.as_str(), &order.viewer());
    let new_order = create_from_basket(state, &mut tx, owner, copy, request, now).await?;
    commit(tx).await?;
    Ok(new_order)
}
