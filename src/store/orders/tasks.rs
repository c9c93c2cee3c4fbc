//! The dataset tasks of orders: one per dataset selection of the basket, with its frozen request, its
//! counts and its expansion cursor.

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::store::{Backend, StoreError};

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
    /// The basket's file filter (JSON), none: every orderable file.
    pub file_filters: Option<String>,
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
    pub file_filters: Option<String>,
}

pub async fn insert_dataset_task(
    conn: &mut AnyConnection,
    order_id: i64,
    task: &NewDatasetTask,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO dataset_tasks (order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request,
                                    objects_count, files_count, files_size, file_filters)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(order_id)
    .bind(task.dataset_id)
    .bind(&task.dataset_ip_id)
    .bind(&task.dataset_label)
    .bind(&task.open_search_request)
    .bind(task.objects_count)
    .bind(task.files_count)
    .bind(task.files_size)
    .bind(&task.file_filters)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// The dataset tasks of orders (by order, then label), 500 orders per query.
pub async fn tasks_of(
    conn: &mut AnyConnection,
    order_ids: &[i64],
    backend: Backend,
) -> Result<Vec<DatasetTaskRow>, StoreError> {
    let mut tasks = Vec::new();
    for chunk in order_ids.chunks(500) {
        let sql = format!(
            "SELECT id, order_id, dataset_id, dataset_ip_id, dataset_label, open_search_request, objects_count,
                    files_count, files_size, cursor, expanded, file_filters
             FROM dataset_tasks WHERE order_id IN ({}) ORDER BY order_id, dataset_label, id",
            backend.args(1, chunk.len())
        );
        let mut query = sqlx::query_as(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        tasks.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(tasks)
}

/// After the expansion: each task's exact counts, from the order's files.
pub async fn set_counts(conn: &mut AnyConnection, order_id: i64) -> Result<(), StoreError> {
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
