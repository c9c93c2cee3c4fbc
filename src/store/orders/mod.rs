//! The orders and their dataset tasks.

mod reads;
mod tasks;

use sqlx::{AnyConnection, AssertSqlSafe};

use super::StoreError;
use crate::domain::access::Viewer;
use crate::domain::order::{FileState, OrderStatus, Progress};

use crate::time::Timestamp;
pub use reads::OrderStore;
pub use tasks::{
    DatasetTaskRow, NewDatasetTask, insert_dataset_task, mark_task_expanded, move_cursor,
};

pub const ORDER_COLUMNS: &str = "id, owner, label, creation_date, expiration_date, status, status_date, message, \
     on_success_url, basket_id, expanded, total_files, total_bytes, treated_files, treated_bytes, available_files, \
     error_files, download_error_files, available_update_date, access_groups";

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
    /// The owner's access groups frozen at creation (a JSON array); None: every dataset.
    pub access_groups: Option<String>,
}

impl OrderRow {
    /// Who the order orders and downloads as (docs/decisions.md "Access rights"): the owner's groups as
    /// they were when it was created, or everything (an admin's order, or one older than access rights).
    pub fn viewer(&self) -> Viewer {
        match &self.access_groups {
            None => Viewer::All,
            Some(json) => Viewer::Groups(serde_json::from_str(json).unwrap_or_default()),
        }
    }

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

/// An order to create.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub owner: String,
    pub label: String,
    pub creation_date: Timestamp,
    pub expiration_date: Option<Timestamp>,
    pub on_success_url: Option<String>,
    pub basket_id: Option<i64>,
    pub viewer: Viewer,
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
        "INSERT INTO orders (owner, label, creation_date, expiration_date, status, status_date, on_success_url, basket_id,
                             access_groups)
         VALUES ($1, $2, $3, $4, $7, $3, $5, $6, $8) RETURNING id",
    )
    .bind(&order.owner)
    .bind(&order.label)
    .bind(order.creation_date.millis())
    .bind(order.expiration_date.map(Timestamp::millis))
    .bind(&order.on_success_url)
    .bind(order.basket_id)
    .bind(OrderStatus::Running)
    .bind(match &order.viewer {
        Viewer::All => None,
        Viewer::Groups(groups) => Some(serde_json::to_string(groups).expect("strings serialize")),
    })
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

/// The owner's living orders with files waiting for them, by id.
pub async fn waiting_orders(
    conn: &mut AnyConnection,
    owner: &str,
) -> Result<Vec<OrderRow>, StoreError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders
         WHERE owner = $1 AND available_files > 0 AND status IN ($2, $3, $4, $5) ORDER BY id"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(owner)
        .bind(OrderStatus::Running)
        .bind(OrderStatus::Paused)
        .bind(OrderStatus::Done)
        .bind(OrderStatus::DoneWithWarning)
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
    tasks::set_counts(conn, order_id).await?;
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

/// Sets an order's expiration date.
pub async fn set_expiration(
    conn: &mut AnyConnection,
    order_id: i64,
    date: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET expiration_date = $2 WHERE id = $1")
        .bind(order_id)
        .bind(date.millis())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The order's sub-orders of stored files (external ones left out).
pub async fn internal_sub_orders(
    conn: &mut AnyConnection,
    order_id: i64,
) -> Result<i64, StoreError> {
    let count = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sub_orders WHERE order_id = $1 AND storage IS NOT NULL",
    )
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(count)
}
