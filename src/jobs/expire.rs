//! Expires an order at its expiration date (queued at creation with `run_at` = that date).

use serde::{Deserialize, Serialize};

use super::Job;
use crate::app::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpireOrder {
    pub order_id: i64,
}

impl Job for ExpireOrder {
    const KIND: &'static str = "expire_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        crate::orders::lifecycle::expire(state, self.order_id).await
    }
}
