//! Orders: creation from the basket, the user actions, and the processing behind them (expansion into
//! files and sub-orders, scheduling, staging, progress, expiry), all durable: every step is a job or a
//! transaction, so that any process can carry on where another stopped.

pub mod actions;
pub mod digest;
pub mod downloaded;
pub mod expand;
pub mod expiry;
pub mod jobs;
pub mod lifecycle;
pub mod mails;
pub mod progress;
pub mod retry;
pub mod schedule;
pub mod stage;

use self::jobs::{ExpandOrder, ScheduleUser};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::access::Viewer;
use crate::domain::order::{Action, Asker, MAX_LABEL_CHARS, Refusal, check, generated_label};
use crate::store::basket as baskets;
use crate::store::orders::{self as rows, NewDatasetTask, NewOrder, OrderRow};
use crate::store::{StoreError, Tx, commit, enqueue};
use crate::time::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// No basket, or an empty one: 204.
    #[error("Basket is empty")]
    EmptyBasket,
    /// 422 with a code (`TOO_MANY_CHARACTERS_IN_LABEL`, `LABEL_NOT_UNIQUE_FOR_OWNER`).
    #[error("{0}")]
    Invalid(&'static str),
    #[error("Entity fr.cnes.regards.modules.order.domain.Order with id : {0} doesn't exist")]
    NotFound(i64),
    /// A read by someone who is neither the owner nor an admin.
    #[error("You are not allowed to see order {0}")]
    Forbidden(i64),
    /// The basket is over `[orders] max_bytes` or `max_files`: 422 with REGARDS' sentence.
    #[error("{0}")]
    TooLarge(String),
    /// An action refused: 401 with the seed's code.
    #[error("{}", .0.code())]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `POST /user/orders` (and restart) may carry.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    /// At most 50 characters, unique among the owner's orders; default `Order of yyyy/MM/dd at HH:mm:ss`.
    #[serde(default)]
    pub label: Option<String>,
    /// Where the order can be followed (base of the link in the creation email).
    #[serde(default)]
    pub on_success_url: Option<String>,
}

pub fn asker(caller: &Caller, owner: &str) -> Asker {
    Asker {
        is_owner: caller.user == owner,
        is_admin: caller.is_admin(),
    }
}

/// The order, for a caller who may read it (owner or admin).
pub async fn readable(state: &AppState, caller: &Caller, id: i64) -> Result<OrderRow, OrderError> {
    let order = state
        .store
        .order(id)
        .await?
        .ok_or(OrderError::NotFound(id))?;
    let asker = asker(caller, &order.owner);
    if !asker.is_owner && !asker.is_admin {
        return Err(OrderError::Forbidden(id));
    }
    Ok(order)
}

/// Checks an action for a caller on a locked order.
pub fn allowed(order: &OrderRow, action: Action, caller: &Caller) -> Result<(), OrderError> {
    check(
        action,
        order.status(),
        order.available_files,
        asker(caller, &order.owner),
    )
    .map_err(OrderError::Refused)
}

/// Creates an order from the owner's basket, which it consumes; the expansion and the expiry are jobs
/// queued in the same transaction. The order keeps `viewer` (the owner's access groups now) for its
/// expansion and downloads.
pub async fn create(
    state: &AppState,
    owner: &str,
    viewer: &Viewer,
    request: &OrderRequest,
) -> Result<OrderRow, OrderError> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let basket_id = baskets::lock_basket(&mut tx, state.store.backend(), owner, false, now)
        .await?
        .ok_or(OrderError::EmptyBasket)?;
    let order =
        create_from_basket(state, &mut tx, (owner, viewer), basket_id, request, now).await?;
    commit(tx).await?;
    Ok(order)
}

/// The order of a basket (renamed `ORDER_<id>` and kept for restart), in the caller's transaction.
pub(crate) async fn create_from_basket(
    state: &AppState,
    tx: &mut Tx,
    (owner, viewer): (&str, &Viewer),
    basket_id: i64,
    request: &OrderRequest,
    now: Timestamp,
) -> Result<OrderRow, OrderError> {
    let content = baskets::load_basket(tx, basket_id).await?;
    if content.datasets.is_empty() {
        return Err(OrderError::EmptyBasket);
    }
    within_limits(&state.config.orders, &content)?;
    let label = label_for(tx, owner, request.label.as_deref(), now).await?;
    let expiration = state.config.orders.expiration.map(|lasts| now.plus(lasts));
    let new_order = NewOrder {
        owner: owner.to_owned(),
        label,
        creation_date: now,
        expiration_date: expiration,
        on_success_url: request
            .on_success_url
            .clone()
            .filter(|u| !u.trim().is_empty()),
        basket_id: Some(basket_id),
        viewer: viewer.clone(),
    };
    let order_id = rows::insert_order(tx, &new_order).await?;
    for (selection, _) in &content.datasets {
        let counters = &selection.counters;
        let task = NewDatasetTask {
            dataset_id: selection.dataset_id,
            dataset_ip_id: selection.dataset_ip_id.clone(),
            dataset_label: selection.dataset_label.clone(),
            open_search_request: selection.open_search_request.clone(),
            objects_count: counters.objects,
            files_count: counters.files(),
            files_size: counters.bytes(),
            file_filters: selection.file_filters.clone(),
        };
        rows::insert_dataset_task(tx, order_id, &task).await?;
    }
    baskets::rename_basket(tx, basket_id, &format!("ORDER_{order_id}")).await?;
    queue(tx, &ExpandOrder { order_id }, now).await?;
    if let Some(expiration) = expiration {
        enqueue(tx, &expiry::expiry_job(order_id, expiration), now).await?;
    }
    let order = rows::order_in(tx, order_id)
        .await?
        .ok_or(OrderError::NotFound(order_id))?;
    mails::queue_created(state, tx, &order, now).await?;
    tracing::info!(order_id, owner, "order created");
    Ok(order)
}

/// The basket's files and bytes (as filtered) against `[orders] max_bytes` and `max_files` (0: no
/// limit); refused only when strictly over, with the bytes sentence when over both (docs/decisions.md
/// "Order size limits").
fn within_limits(
    limits: &crate::config::OrdersConfig,
    content: &crate::store::BasketContent,
) -> Result<(), OrderError> {
    let (files, bytes) =
        content
            .datasets
            .iter()
            .fold((0i64, 0i64), |(files, bytes), (selection, _)| {
                (
                    files + selection.counters.files(),
                    bytes + selection.counters.bytes(),
                )
            });
    let over = |count: i64, limit: u64| limit > 0 && u64::try_from(count).unwrap_or(0) > limit;
    let refuse = |count: i64, limit: u64, unit: &str| {
        Err(OrderError::TooLarge(format!(
            "The size of the basket [{count} {unit}] exceeds the maximum size allowed [{limit} {unit}]. \
             Please review the order requested so that it does not exceed the maximum size configured."
        )))
    };
    if over(bytes, limits.max_bytes) {
        return refuse(bytes, limits.max_bytes, "bytes");
    }
    if over(files, limits.max_files) {
        return refuse(files, limits.max_files, "files");
    }
    Ok(())
}

/// The label asked (checked), or a generated one made unique with ` (n)`.
async fn label_for(
    tx: &mut Tx,
    owner: &str,
    asked: Option<&str>,
    now: Timestamp,
) -> Result<String, OrderError> {
    if let Some(label) = asked.map(str::trim).filter(|l| !l.is_empty()) {
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(OrderError::Invalid("TOO_MANY_CHARACTERS_IN_LABEL"));
        }
        if rows::label_taken(tx, owner, label).await? {
            return Err(OrderError::Invalid("LABEL_NOT_UNIQUE_FOR_OWNER"));
        }
        return Ok(label.to_owned());
    }
    let base = generated_label(now);
    let mut label = base.clone();
    let mut n = 1;
    while rows::label_taken(tx, owner, &label).await? {
        label = format!("{base} ({n})");
        n += 1;
    }
    Ok(label)
}

/// Queues a job in the caller's transaction, due now.
pub(crate) use crate::jobs::queue;

/// Queues the owner's scheduling (at most one pending per owner).
pub(crate) async fn queue_schedule(
    tx: &mut Tx,
    owner: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let job = ScheduleUser {
        owner: owner.to_owned(),
    };
    crate::jobs::queue_unique(tx, &job, format!("schedule:{owner}"), now, now).await
}
