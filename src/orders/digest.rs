//! "Files ready" mails stay few (docs/decisions.md "Mail digest"): a sub-order that becomes ready leaves
//! a news row and queues its owner's digest job (one queued per owner), due at once or when the window
//! since the owner's last digest ends. The job takes every news of the owner and sends one mail listing
//! each order, so a 1,000-sub-order order sends one mail per window, not 1,000.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::mails::{metalink_url, queue_mail};
use crate::app::AppState;
use crate::domain::order::OrderStatus;
use crate::jobs::Job;
use crate::notify::Email;
use crate::store::digest as news;
use crate::store::orders::{self as rows, OrderRow};
use crate::store::{StoreError, Tx, commit, enqueue};
use crate::time::Timestamp;

/// Sends an owner the news gathered since their last digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendDigest {
    pub owner: String,
}

impl Job for SendDigest {
    const KIND: &'static str = "ready_digest";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        send(state, &self.owner).await
    }
}

/// When the owner's next digest may go: now, or the end of the window since the last one.
async fn next_due(
    tx: &mut Tx,
    owner: &str,
    window: Duration,
    now: Timestamp,
) -> Result<Timestamp, StoreError> {
    let last = news::last_sent(tx, owner).await?;
    Ok(last.map_or(now, |last| last.plus(window).max(now)))
}

async fn queue_digest(
    tx: &mut Tx,
    owner: &str,
    due: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut job = crate::jobs::new_job(
        &SendDigest {
            owner: owner.to_owned(),
        },
        due,
    );
    job.unique_key = Some(format!("digest:{owner}"));
    enqueue(tx, &job, now).await
}

/// Notes that `files` files of an order are ready and queues its owner's digest (owners that are not
/// addresses get no mail).
pub async fn note_ready(
    state: &AppState,
    tx: &mut Tx,
    order: &OrderRow,
    files: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    if !order.owner.contains('@') {
        return Ok(());
    }
    news::add_news(tx, &order.owner, order.id, files, now).await?;
    let due = next_due(tx, &order.owner, state.config.mail.digest, now).await?;
    queue_digest(tx, &order.owner, due, now).await
}

/// Sends the owner's digest, unless the window since the last one is still open (then it comes back
/// when it closes).
pub async fn send(state: &AppState, owner: &str) -> anyhow::Result<()> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let due = next_due(&mut tx, owner, state.config.mail.digest, now).await?;
    if due > now {
        queue_digest(&mut tx, owner, due, now).await?;
        commit(tx).await?;
        return Ok(());
    }
    let mut by_order: BTreeMap<i64, i64> = BTreeMap::new();
    for (order_id, files) in news::take_news(&mut tx, owner).await? {
        *by_order.entry(order_id).or_default() += files;
    }
    let mut orders = Vec::new();
    for (order_id, files) in by_order {
        if let Some(order) = rows::order_in(&mut tx, order_id).await?
            && !matches!(order.status(), OrderStatus::Deleted | OrderStatus::Expired)
        {
            orders.push((order, files));
        }
    }
    if !orders.is_empty() {
        queue_mail(&mut tx, ready_mail(state, owner, &orders), now).await?;
        news::set_last_sent(&mut tx, owner, now).await?;
    }
    commit(tx).await?;
    Ok(())
}

/// One mail for every order with files ready: each with its count and its links.
fn ready_mail(state: &AppState, owner: &str, orders: &[(OrderRow, i64)]) -> Email {
    let subject = match orders {
        [(order, _)] => format!("Files of order number {} are ready", order.id),
        _ => format!("Files of {} of your orders are ready", orders.len()),
    };
    let mut text = String::new();
    for (order, files) in orders {
        text.push_str(&format!(
            "{files} files of your order \"{label}\" (number {id}) are ready to download.\n\
             Download them: {base}/user/orders/{id}/download\n\
             or with a download manager from this metalink:\n{metalink}\n\n",
            label = order.label,
            id = order.id,
            base = state.public_url,
            metalink = metalink_url(state, order),
        ));
    }
    text.push_str("The next files of an order are made available as you download these.\n");
    Email {
        to: owner.to_owned(),
        subject,
        text,
        html: None,
    }
}
