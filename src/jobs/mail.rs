//! The mail job: sending is always a job, retried on failure, so a mail server that is down never fails
//! the order that wanted to tell its user something.

use serde::{Deserialize, Serialize};

use super::{Job, new_job};
use crate::app::AppState;
use crate::notify::Email;
use crate::store::{StoreError, Tx, enqueue};
use crate::time::Timestamp;

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
    enqueue(tx, &new_job(&SendMail { email }, now), now).await
}
