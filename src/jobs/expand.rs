//! Expands an order into its files and sub-orders (`orders::expand`).

use serde::{Deserialize, Serialize};

use super::Job;
use crate::app::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpandOrder {
    pub order_id: i64,
}

impl Job for ExpandOrder {
    const KIND: &'static str = "expand_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        crate::orders::expand::expand(state, self.order_id).await
    }

    fn order_id(&self) -> Option<i64> {
        Some(self.order_id)
    }
}
