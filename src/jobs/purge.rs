//! Removes the restored copies and the files of a deleted or removed order, in chunks.

use serde::{Deserialize, Serialize};

use super::Job;
use crate::app::AppState;
use crate::store::commit;
use crate::store::suborders as subs;

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
