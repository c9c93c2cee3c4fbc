//! An order's files: written by the expansion, read one by one, page by page, or as a zip and a metalink
//! list them. How they change is in `changes`, their restored copies in `copies`.

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::domain::order::FileState;
use crate::store::{Backend, StoreError};
use crate::time::Timestamp;

/// A file of an order, as the expansion copies it from the catalog.
#[derive(Debug, Clone)]
pub struct NewOrderFile {
    pub order_id: i64,
    pub sub_order_id: i64,
    pub dataset_task_id: i64,
    pub object_ip_id: String,
    pub provider_id: String,
    pub data_type: String,
    pub filename: String,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub checksum_algo: Option<String>,
    pub crc32: Option<i64>,
    pub mime_type: String,
    pub uri: String,
    pub storage: Option<String>,
    pub state: FileState,
}

pub const FILE_COLUMNS: &str = "id, order_id, sub_order_id, dataset_task_id, object_ip_id, provider_id, data_type, \
     filename, size, checksum, checksum_algo, crc32, mime_type, uri, storage, reference, state, error, cache_path";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderFileRow {
    pub id: i64,
    pub order_id: i64,
    pub sub_order_id: i64,
    pub dataset_task_id: i64,
    pub object_ip_id: String,
    pub provider_id: String,
    pub data_type: String,
    pub filename: String,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub checksum_algo: Option<String>,
    pub crc32: Option<i64>,
    pub mime_type: String,
    pub uri: String,
    pub storage: Option<String>,
    pub reference: i64,
    pub state: FileState,
    pub error: Option<String>,
    pub cache_path: Option<String>,
}

pub async fn insert_order_files(
    conn: &mut AnyConnection,
    backend: Backend,
    files: &[NewOrderFile],
    now: Timestamp,
) -> Result<(), StoreError> {
    for chunk in files.chunks(1500) {
        let sql = format!(
            "INSERT INTO order_files (order_id, sub_order_id, dataset_task_id, object_ip_id, provider_id, data_type,
                 filename, size, checksum, checksum_algo, crc32, mime_type, uri, storage, reference, state, state_date)
             VALUES {}",
            backend.rows(chunk.len(), 17)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for f in chunk {
            query = query
                .bind(f.order_id)
                .bind(f.sub_order_id)
                .bind(f.dataset_task_id)
                .bind(f.object_ip_id.clone())
                .bind(f.provider_id.clone())
                .bind(f.data_type.clone())
                .bind(f.filename.clone())
                .bind(f.size)
                .bind(f.checksum.clone())
                .bind(f.checksum_algo.clone())
                .bind(f.crc32)
                .bind(f.mime_type.clone())
                .bind(f.uri.clone())
                .bind(f.storage.clone())
                .bind(i64::from(f.storage.is_none()))
                .bind(f.state.as_str())
                .bind(now.millis());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Files of a sub-order in a state, by id (at most `limit`).
pub async fn files_in_state(
    conn: &mut AnyConnection,
    sub_order_id: i64,
    state: FileState,
    limit: i64,
) -> Result<Vec<OrderFileRow>, StoreError> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM order_files WHERE sub_order_id = $1 AND state = $2 ORDER BY id LIMIT $3"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(sub_order_id)
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

pub async fn order_file(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<OrderFileRow>, StoreError> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM order_files WHERE id = $1");
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// A page of an order's files: in a state (or all), of a sub-order or a dataset task (or all), by id.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileFilter {
    pub state: Option<FileState>,
    pub sub_order_id: Option<i64>,
    pub dataset_task_id: Option<i64>,
}

pub async fn files_page(
    conn: &mut AnyConnection,
    order_id: i64,
    filter: FileFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<OrderFileRow>, i64), StoreError> {
    let mut conditions = vec!["order_id = $1".to_owned()];
    let mut n = 1;
    let mut text_param = None;
    let mut int_params = Vec::new();
    if let Some(state) = filter.state {
        n += 1;
        conditions.push(format!("state = ${n}"));
        text_param = Some(state.as_str());
    }
    for (column, value) in [
        ("sub_order_id", filter.sub_order_id),
        ("dataset_task_id", filter.dataset_task_id),
    ] {
        if let Some(value) = value {
            n += 1;
            conditions.push(format!("{column} = ${n}"));
            int_params.push(value);
        }
    }
    let condition = conditions.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM order_files WHERE {condition}");
    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql)).bind(order_id);
    if let Some(text) = text_param {
        count = count.bind(text);
    }
    for value in &int_params {
        count = count.bind(*value);
    }
    let total = count.fetch_one(&mut *conn).await?;
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM order_files WHERE {condition} ORDER BY id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query_as::<_, OrderFileRow>(AssertSqlSafe(sql)).bind(order_id);
    if let Some(text) = text_param {
        query = query.bind(text);
    }
    for value in &int_params {
        query = query.bind(*value);
    }
    let rows = query
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(&mut *conn)
        .await?;
    Ok((rows, total))
}

/// Which of an order's files a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// What a zip holds.
    Available,
    /// What a metalink lists: everything but the files in ERROR.
    NotInError,
}

/// The next files of an order after `after` (by id), at most `limit`.
pub async fn files_after(
    conn: &mut AnyConnection,
    order_id: i64,
    listing: Listing,
    after: i64,
    limit: i64,
) -> Result<Vec<OrderFileRow>, StoreError> {
    let (operator, state) = match listing {
        Listing::Available => ("=", FileState::Available),
        Listing::NotInError => ("<>", FileState::Error),
    };
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM order_files WHERE order_id = $1 AND state {operator} $2 AND id > $3
         ORDER BY id LIMIT $4"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(order_id)
        .bind(state)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}
