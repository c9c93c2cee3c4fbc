//! Removes the restored copies and the files of a deleted or removed order, in chunks.

use serde::{Deserialize, Serialize};

use super::Job;
use crate::app::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeOrder {
    pub order_id: i64,
}

impl Job for PurgeOrder {
    const KIND: &'static str = "purge_order";

    async fn run(self, state: &AppState) -> anyhow::Result<()> {
        crate::orders::lifecycle::drop_order_copies(state, self.order_id).await?;
        loop {
            let mut tx = state.store.begin_write().await?;
            let gone = sqlx::query(
                "DELETE FROM order_files WHERE id IN (SELECT id FROM order_files WHERE order_id = $1 LIMIT 10000)",
            )
            .bind(self.order_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            if gone.rows_affected() == 0 {
                break;
            }
        }
        let mut tx = state.store.begin_write().await?;
        sqlx::query("DELETE FROM sub_orders WHERE order_id = $1")
            .bind(self.order_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
