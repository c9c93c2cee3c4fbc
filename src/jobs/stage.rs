//! Makes a sub-order's files available (`orders::stage`).

use serde::{Deserialize, Serialize};

use super::Job;
use crate::app::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageSubOrder {
    pub sub_order_id: i64,
}

impl Job for StageSubOrder {
    const KIND: &'static str = "stage_sub_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        crate::orders::stage::stage(state, self.sub_order_id).await
    }
}
