//! The orders and their dataset tasks.

use async_trait::async_trait;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::suborders as subs;
use super::{Database, StoreError};
use crate::domain::order::{FileState, OrderStatus, Progress};
use crate::time::Timestamp;

pub const ORDER_COLUMNS: &str = "id, owner, label, creation_date, expiration_date, status, status_date, message, \
     on_success_url, basket_id, expanded, total_files, total_bytes, treated_files, treated_bytes, available_files, \
     error_files, download_error_files, available_update_date";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub owner: String,
    pub label: String,
    pub creation_date: i64,
    /// None: the order never expires.
    pub expiration_date: Option<i64>,
    pub status: OrderStatus,
    pub status_date: i64,
    pub message: Option<String>,
    pub on_success_url: Option<String>,
    pub basket_id: Option<i64>,
    pub expanded: i64,
    pub total_files: i64,
    pub total_bytes: i64,
    pub treated_files: i64,
    pub treated_bytes: i64,
    pub available_files: i64,
    pub error_files: i64,
    pub download_error_files: i64,
    pub available_update_date: Option<i64>,
}

impl OrderRow {
    pub fn status(&self) -> OrderStatus {
        self.status
    }

    pub fn progress(&self) -> Progress {
        Progress {
            total_files: self.total_files,
            total_bytes: self.total_bytes,
            treated_files: self.treated_files,
            treated_bytes: self.treated_bytes,
            available_files: self.available_files,
            error_files: self.error_files,
            download_error_files: self.download_error_files,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DatasetTaskRow {
    pub id: i64,
    pub order_id: i64,
    pub dataset_id: i64,
    pub dataset_ip_id: String,
    pub dataset_label: String,
    pub open_search_request: String,
    pub objects_count: i64,
    pub files_count: i64,
    pub files_size: i64,
    pub cursor: i64,
    pub expanded: i64,
}

/// An order to create.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub owner: String,
    pub label: String,
    pub creation_date: Timestamp,
    pub expiration_date: Option<Timestamp>,
    pub on_success_url: Option<String>,
    pub basket_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewDatasetTask {
    pub dataset_id: i64,
    pub dataset_ip_id: String,
    pub dataset_label: String,
    pub open_search_request: String,
    pub objects_count: i64,
    pub files_count: i64,
    pub files_size: i64,
}

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
        let rows = sqlx::query_as(
            "SELECT id, order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request, objects_count,
                    files_count, files_size, cursor, expanded
             FROM dataset_tasks WHERE order_id = $1 ORDER BY dataset_label, id",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
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
        let mut tasks = Vec::new();
        for chunk in order_ids.chunks(500) {
            let sql = format!(
                "SELECT id, order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request, objects_count,
                        files_count, files_size, cursor, expanded
                 FROM dataset_tasks WHERE order_id IN ({}) ORDER BY order_id, dataset_label, id",
                self.backend().args(1, chunk.len())
            );
            let mut query = sqlx::query_as(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            tasks.extend(query.fetch_all(self.pool()).await?);
        }
        Ok(tasks)
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

pub async fn order_in(conn: &mut AnyConnection, id: i64) -> Result<Option<OrderRow>, StoreError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1");
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// The order, locked for the rest of the transaction (PostgreSQL; SQLite holds the write lock already).
pub async fn lock_order(
    conn: &mut AnyConnection,
    backend: super::Backend,
    id: i64,
) -> Result<Option<OrderRow>, StoreError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1{}",
        backend.lock_row()
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

pub async fn label_taken(
    conn: &mut AnyConnection,
    owner: &str,
    label: &str,
) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM orders WHERE owner = $1 AND label = $2")
            .bind(owner)
            .bind(label)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// Creates a RUNNING order; returns its id.
pub async fn insert_order(conn: &mut AnyConnection, order: &NewOrder) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO orders (owner, label, creation_date, expiration_date, status, status_date, on_success_url, basket_id)
         VALUES ($1, $2, $3, $4, $7, $3, $5, $6) RETURNING id",
    )
    .bind(&order.owner)
    .bind(&order.label)
    .bind(order.creation_date.millis())
    .bind(order.expiration_date.map(Timestamp::millis))
    .bind(&order.on_success_url)
    .bind(order.basket_id)
    .bind(OrderStatus::Running)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn insert_dataset_task(
    conn: &mut AnyConnection,
    order_id: i64,
    task: &NewDatasetTask,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO dataset_tasks (order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request,
                                    objects_count, files_count, files_size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(order_id)
    .bind(task.dataset_id)
    .bind(&task.dataset_ip_id)
    .bind(&task.dataset_label)
    .bind(&task.open_search_request)
    .bind(task.objects_count)
    .bind(task.files_count)
    .bind(task.files_size)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// An order whose sub-orders were cancelled has no file to download any more.
pub async fn forget_available(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET available_files = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Removes an order and its dataset tasks (its sub-orders and files go first).
pub async fn delete_order(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM dataset_tasks WHERE order_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM orders WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The expansion is over (done, or given up).
pub async fn mark_expanded(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET expanded = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Orders whose available files have not changed since `before`, and that are still alive (at most
/// `limit`, by id).
pub async fn due_for_reminder(
    conn: &mut AnyConnection,
    before: i64,
    limit: i64,
) -> Result<Vec<OrderRow>, StoreError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders
         WHERE available_files > 0 AND available_update_date < $1 AND status IN ($2, $3, $4, $5)
         ORDER BY id LIMIT $6"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(before)
        .bind(OrderStatus::Running)
        .bind(OrderStatus::Paused)
        .bind(OrderStatus::Done)
        .bind(OrderStatus::DoneWithWarning)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// Claims an order's reminder by moving its date on; false when another process claimed it first.
pub async fn claim_reminder(
    conn: &mut AnyConnection,
    order: &OrderRow,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let claimed = sqlx::query(
        "UPDATE orders SET available_update_date = $3 WHERE id = $1 AND available_update_date = $2",
    )
    .bind(order.id)
    .bind(order.available_update_date)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Clears an order's message (an order retried runs again without its old warning).
pub async fn clear_message(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET message = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets the status (and its date, and the message when given): the one place an order's status is
/// written.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: OrderStatus,
    message: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE orders SET status = $2, status_date = $3, message = COALESCE($4, message) WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(now.millis())
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// After the expansion: each dataset task's exact counts, the order's counters from its files, and the
/// order marked expanded.
pub async fn set_expanded_counts(
    conn: &mut AnyConnection,
    order_id: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    let per_task: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT dataset_task_id, COUNT(DISTINCT object_ip_id), COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT)
         FROM order_files WHERE order_id = $1 GROUP BY dataset_task_id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("UPDATE dataset_tasks SET objects_count = 0, files_count = 0, files_size = 0 WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    for (task, objects, files, bytes) in per_task {
        sqlx::query("UPDATE dataset_tasks SET objects_count = $2, files_count = $3, files_size = $4 WHERE id = $1")
            .bind(task)
            .bind(objects)
            .bind(files)
            .bind(bytes)
            .execute(&mut *conn)
            .await?;
    }
    let per_state: Vec<(FileState, i64, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM order_files WHERE order_id = $1 GROUP BY state",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut progress = Progress::default();
    for (state, files, bytes) in per_state {
        progress.total_files += files;
        progress.total_bytes += bytes;
        match state {
            FileState::Pending => continue,
            FileState::Available => progress.available_files += files,
            FileState::Error => progress.error_files += files,
            FileState::DownloadError => progress.download_error_files += files,
            FileState::Downloaded => {}
        }
        progress.treated_files += files;
        progress.treated_bytes += bytes;
    }
    sqlx::query(
        "UPDATE orders SET expanded = 1, total_files = $2, total_bytes = $3, treated_files = $4, treated_bytes = $5,
                           available_files = $6, error_files = $7, download_error_files = $8,
                           available_update_date = CASE WHEN $6 > 0 THEN $9 ELSE available_update_date END
         WHERE id = $1",
    )
    .bind(order_id)
    .bind(progress.total_files)
    .bind(progress.total_bytes)
    .bind(progress.treated_files)
    .bind(progress.treated_bytes)
    .bind(progress.available_files)
    .bind(progress.error_files)
    .bind(progress.download_error_files)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a dataset task's expansion cursor from `from` to `to`; false when another worker moved it first.
pub async fn move_cursor(
    conn: &mut AnyConnection,
    task_id: i64,
    from: i64,
    to: i64,
) -> Result<bool, StoreError> {
    let moved = sqlx::query("UPDATE dataset_tasks SET cursor = $3 WHERE id = $1 AND cursor = $2")
        .bind(task_id)
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    Ok(moved.rows_affected() == 1)
}

/// A dataset task's objects are all expanded.
pub async fn mark_task_expanded(conn: &mut AnyConnection, task_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE dataset_tasks SET expanded = 1 WHERE id = $1")
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
