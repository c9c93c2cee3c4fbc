//! The orders' background work, as jobs (each registered once, in `workers::registry`): expansion,
//! scheduling, staging, expiry, purge and reminders. Each only calls the service that does the work.

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::jobs::Job;
use crate::store::commit;
use crate::store::suborders as subs;

/// Expands an order into its files and sub-orders (`expand`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpandOrder {
    pub order_id: i64,
}

impl Job for ExpandOrder {
    const KIND: &'static str = "expand_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        super::expand::expand(state, self.order_id).await
    }

    fn order_id(&self) -> Option<i64> {
        Some(self.order_id)
    }
}

/// Makes a sub-order's files available (`stage`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageSubOrder {
    pub sub_order_id: i64,
}

impl Job for StageSubOrder {
    const KIND: &'static str = "stage_sub_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        super::stage::stage(state, self.sub_order_id).await
    }
}

/// Starts a user's next sub-orders when slots are free (`schedule`). Queued with the unique key
/// `schedule:<owner>`: at most one waits per user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduleUser {
    pub owner: String,
}

impl Job for ScheduleUser {
    const KIND: &'static str = "schedule_user";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        super::schedule::schedule(state, &self.owner).await?;
        Ok(())
    }
}

/// Expires an order at its expiration date (queued at creation with `run_at` = that date).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpireOrder {
    pub order_id: i64,
}

impl Job for ExpireOrder {
    const KIND: &'static str = "expire_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        super::lifecycle::expire(state, self.order_id).await
    }
}

/// Reminds owners of files waiting for them longer than `mail.reminder_after`; runs again an hour later
/// (or sooner when the delay is shorter). One is queued at start under the unique key `remind`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Remind {}

impl Remind {
    pub const UNIQUE_KEY: &'static str = "remind";
}

impl Job for Remind {
    const KIND: &'static str = "remind";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        super::lifecycle::remind(state).await
    }
}

/// Removes the restored copies and the files of a deleted or removed order, in chunks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeOrder {
    pub order_id: i64,
}

impl Job for PurgeOrder {
    const KIND: &'static str = "purge_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        super::lifecycle::drop_order_copies(state, self.order_id).await?;
        loop {
            let mut tx = state.store.begin_write().await?;
            let gone = subs::delete_some_of_order(&mut tx, self.order_id, 10_000).await?;
            commit(tx).await?;
            if gone == 0 {
                break;
            }
        }
        let mut tx = state.store.begin_write().await?;
        subs::delete_of_order(&mut tx, self.order_id).await?;
        commit(tx).await?;
        Ok(())
    }
}
