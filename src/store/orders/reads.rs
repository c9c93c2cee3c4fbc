//! Reads of orders and of their sub-orders and files, each on a connection of the pool.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::tasks::{self, DatasetTaskRow};
use super::{ORDER_COLUMNS, OrderRow, due_for_reminder, order_in};
use crate::domain::order::FileState;
use crate::store::suborders as subs;
use crate::store::{Database, StoreError};

/// Reads of orders, sub-orders and their files, each on a connection of the pool (the writes take the
/// caller's transaction: the functions of this module and of `suborders`).
#[async_trait]
pub trait OrderStore: Database {
    async fn order(&self, id: i64) -> Result<Option<OrderRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        order_in(&mut conn, id).await
    }

    async fn sub_order(&self, id: i64) -> Result<Option<subs::SubOrderRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        subs::sub_order_in(&mut conn, id).await
    }

    async fn order_file(&self, id: i64) -> Result<Option<subs::OrderFileRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        subs::order_file(&mut conn, id).await
    }

    /// A page of an order's files, and how many the filter keeps.
    async fn files_page(
        &self,
        order_id: i64,
        filter: subs::FileFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<subs::OrderFileRow>, i64), StoreError> {
        let mut conn = self.pool().acquire().await?;
        subs::files_page(&mut conn, order_id, filter, offset, limit).await
    }

    /// A page of an order's sub-orders by id, and how many it has.
    async fn sub_orders_page(
        &self,
        order_id: i64,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<subs::SubOrderRow>, i64), StoreError> {
        let sql = format!(
            "SELECT {} FROM sub_orders WHERE order_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
            subs::SUB_ORDER_COLUMNS
        );
        let rows = sqlx::query_as(AssertSqlSafe(sql))
            .bind(order_id)
            .bind(limit as i64)
            .bind(offset as i64)
            .fetch_all(self.pool())
            .await?;
        let total = sqlx::query_scalar("SELECT COUNT(*) FROM sub_orders WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(self.pool())
            .await?;
        Ok((rows, total))
    }

    /// The next files of an order for a zip or a metalink.
    async fn files_after(
        &self,
        order_id: i64,
        listing: subs::Listing,
        after: i64,
        limit: i64,
    ) -> Result<Vec<subs::OrderFileRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        subs::files_after(&mut conn, order_id, listing, after, limit).await
    }

    /// Files of a sub-order in a state (at most `limit`, by id).
    async fn files_in_state(
        &self,
        sub_order_id: i64,
        state: FileState,
        limit: i64,
    ) -> Result<Vec<subs::OrderFileRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        subs::files_in_state(&mut conn, sub_order_id, state, limit).await
    }

    async fn copies_of_order(
        &self,
        order_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        subs::copies_of_order(&mut conn, order_id, limit).await
    }

    async fn due_for_reminder(&self, before: i64, limit: i64) -> Result<Vec<OrderRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        due_for_reminder(&mut conn, before, limit).await
    }

    async fn dataset_tasks(&self, order_id: i64) -> Result<Vec<DatasetTaskRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        tasks::tasks_of(&mut conn, &[order_id], self.backend()).await
    }

    /// A page of the owner's orders, newest first, DELETED left out; and how many there are.
    async fn orders_of(
        &self,
        owner: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<OrderRow>, i64), StoreError> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM orders WHERE owner = $1 AND status <> 'DELETED'",
        )
        .bind(owner)
        .fetch_one(self.pool())
        .await?;
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE owner = $1 AND status <> 'DELETED'
             ORDER BY creation_date DESC, id DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query_as(AssertSqlSafe(sql))
            .bind(owner)
            .bind(limit as i64)
            .bind(offset as i64)
            .fetch_all(self.pool())
            .await?;
        Ok((rows, total))
    }

    /// The dataset tasks of several orders (a page of them), in one query per 500 orders.
    async fn dataset_tasks_of(&self, order_ids: &[i64]) -> Result<Vec<DatasetTaskRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        tasks::tasks_of(&mut conn, order_ids, self.backend()).await
    }

    /// Which of these orders wait for their user: a sub-order of theirs has files available and none
    /// pending.
    async fn waiting_among(&self, order_ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        let mut waiting = Vec::new();
        for chunk in order_ids.chunks(500) {
            let sql = format!(
                "SELECT DISTINCT order_id FROM sub_orders
                 WHERE order_id IN ({}) AND state = 'DONE' AND pending_files = 0 AND available_files > 0",
                self.backend().args(1, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            waiting.extend(query.fetch_all(self.pool()).await?);
        }
        Ok(waiting)
    }
}
