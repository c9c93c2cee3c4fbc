//! The emails of an order: created (with the public metalink link and its order token), a reminder of
//! files waiting (one per owner), expired; files ready go through the digest (`super::digest`). Each is a mail job queued in the transaction that causes
//! it: sent only if that commits, retried when the mail server fails, never failing the order.

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::jobs::Job;
use crate::notify::Email;
use crate::store::orders::OrderRow;
use crate::store::{StoreError, Tx, enqueue};
use crate::time::Timestamp;

/// The public metalink URL of an order, with a token valid until the order expires.
pub fn metalink_url(state: &AppState, order: &OrderRow) -> String {
    let token =
        state
            .keys
            .order_token(&order.owner, order.id, order.expiration_date.map(Timestamp));
    format!(
        "{}/user/orders/metalink/download?orderToken={token}",
        state.public_url
    )
}

/// Where the order can be followed: `onSuccessUrl` (relative to the public base unless absolute).
fn follow_url(state: &AppState, order: &OrderRow) -> String {
    match order.on_success_url.as_deref() {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => url.to_owned(),
        Some(path) => format!(
            "{}{}{path}",
            state.public_url,
            if path.starts_with('/') { "" } else { "/" }
        ),
        None => format!("{}/user/orders/{}", state.public_url, order.id),
    }
}

/// Mails go to owners that are addresses; other owners (logins) get none.
async fn queue(
    tx: &mut Tx,
    order: &OrderRow,
    subject: String,
    text: String,
    now: Timestamp,
) -> Result<(), StoreError> {
    if !order.owner.contains('@') {
        return Ok(());
    }
    queue_mail(
        tx,
        Email {
            to: order.owner.clone(),
            subject,
            text,
            html: None,
        },
        now,
    )
    .await
}

pub async fn queue_created(
    state: &AppState,
    tx: &mut Tx,
    order: &OrderRow,
    now: Timestamp,
) -> Result<(), StoreError> {
    let text = format!(
        "Your order \"{label}\" (number {id}) has been created.\n\n\
         Its files stay available {until}.\n\
         Follow it here: {follow}\n\n\
         Download all its files with a download manager (for example `aria2c <link>`) from this metalink:\n\
         {metalink}\n",
        label = order.label,
        id = order.id,
        until = match order.expiration_date {
            Some(date) => format!("until {}", Timestamp(date).to_iso()),
            None => "until you delete the order".to_owned(),
        },
        follow = follow_url(state, order),
        metalink = metalink_url(state, order),
    );
    queue(
        tx,
        order,
        format!("Order number {} is confirmed", order.id),
        text,
        now,
    )
    .await
}

/// One reminder for an owner, listing every order of theirs with files waiting.
pub async fn queue_reminder(
    state: &AppState,
    tx: &mut Tx,
    owner: &str,
    orders: &[OrderRow],
    now: Timestamp,
) -> Result<(), StoreError> {
    if !owner.contains('@') || orders.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for order in orders {
        let since = order
            .available_update_date
            .map_or_else(String::new, |d| Timestamp(d).to_iso());
        text.push_str(&format!(
            "{count} files of your order \"{label}\" (number {id}) have been waiting for you since {since}.\n\
             {until}\n\
             Download them: {base}/user/orders/{id}/download\n\n",
            count = order.available_files,
            label = order.label,
            id = order.id,
            until = match order.expiration_date {
                Some(date) => format!(
                    "They will be deleted when the order expires, on {}.",
                    Timestamp(date).to_iso()
                ),
                None => "They stay until you delete the order.".to_owned(),
            },
            base = state.public_url,
        ));
    }
    let email = Email {
        to: owner.to_owned(),
        subject: "Reminder: some orders are waiting for you".to_owned(),
        text,
        html: None,
    };
    queue_mail(tx, email, now).await
}

pub async fn queue_expired(
    tx: &mut Tx,
    order: &OrderRow,
    now: Timestamp,
) -> Result<(), StoreError> {
    let text = format!(
        "Your order \"{label}\" (number {id}) has expired: its files are no longer available.\n",
        label = order.label,
        id = order.id,
    );
    queue(
        tx,
        order,
        format!("Order number {} has expired", order.id),
        text,
        now,
    )
    .await
}

/// The mail job: sending is always a job, retried on failure, so a mail server that is down never fails
/// the order that wanted to tell its user something.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendMail {
    #[serde(flatten)]
    pub email: Email,
}

impl Job for SendMail {
    const KIND: &'static str = "mail";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        state
            .mailer
            .send(&state.config.mail.from, &self.email)
            .await
    }
}

/// Queues `email` in the caller's transaction: it is sent only if that transaction commits.
pub async fn queue_mail(tx: &mut Tx, email: Email, now: Timestamp) -> Result<(), StoreError> {
    enqueue(tx, &crate::jobs::new_job(&SendMail { email }, now), now).await
}
