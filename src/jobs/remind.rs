//! Reminds owners of files waiting for them longer than `mail.reminder_after`; runs again an hour later
//! (or sooner when the delay is shorter). One is queued at start under the unique key `remind`.

use serde::{Deserialize, Serialize};

use super::Job;
use crate::app::AppState;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Remind {}

pub const UNIQUE_KEY: &str = "remind";

impl Job for Remind {
    const KIND: &'static str = "remind";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        crate::orders::lifecycle::remind(state).await
    }
}
