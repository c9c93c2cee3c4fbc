//! The restored copies of an order's files in a nearline cache.

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::store::{Backend, StoreError};

/// Sets the cache path of restored files.
pub async fn set_cache_path(
    conn: &mut AnyConnection,
    id: i64,
    path: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE order_files SET cache_path = $2 WHERE id = $1")
        .bind(id)
        .bind(path)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Restored copies of an order's files: (file id, path), at most `limit`, by id.
pub async fn copies_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, cache_path FROM order_files WHERE order_id = $1 AND cache_path IS NOT NULL
         ORDER BY id LIMIT $2",
    )
    .bind(order_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Restored copies of a sub-order's files: their paths.
pub async fn copies_of_sub_order(
    conn: &mut AnyConnection,
    sub_order_id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT cache_path FROM order_files WHERE sub_order_id = $1 AND cache_path IS NOT NULL",
    )
    .bind(sub_order_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The copies of these files are gone.
pub async fn forget_copies(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[i64],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(1000) {
        let sql = format!(
            "UPDATE order_files SET cache_path = NULL WHERE id IN ({})",
            backend.args(1, chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The copies of a sub-order's files are gone.
pub async fn forget_copies_of_sub_order(
    conn: &mut AnyConnection,
    sub_order_id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE order_files SET cache_path = NULL WHERE sub_order_id = $1 AND cache_path IS NOT NULL",
    )
    .bind(sub_order_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
