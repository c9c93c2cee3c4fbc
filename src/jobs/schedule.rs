//! Starts a user's next sub-orders when slots are free (`orders::schedule`). Queued with the unique key
//! `schedule:<owner>`: at most one waits per user.

use serde::{Deserialize, Serialize};

use super::Job;
use crate::app::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduleUser {
    pub owner: String,
}

impl Job for ScheduleUser {
    const KIND: &'static str = "schedule_user";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        crate::orders::schedule::schedule(state, &self.owner).await?;
        Ok(())
    }
}
