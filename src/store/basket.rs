//! The basket tables. Changes run inside the caller's write transaction (the basket service holds the
//! basket's lock through a whole add or removal); reads of a whole basket take a pool connection.

use async_trait::async_trait;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::catalog::{COUNTER_COLUMNS, Counters, counter_list, read_counters};
use super::{Backend, Database, StoreError};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketRecord {
    pub id: i64,
    pub owner: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketDatasetRecord {
    pub id: i64,
    pub dataset_id: i64,
    pub dataset_ip_id: String,
    pub dataset_label: String,
    pub open_search_request: String,
    pub counters: Counters,
    /// The selection's file filter (JSON), none: every orderable file.
    pub file_filters: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketItemRecord {
    pub basket_dataset_id: i64,
    pub date: Timestamp,
    pub open_search_request: String,
    pub request: String,
    pub selection: String,
    pub counters: Counters,
}

/// A basket with its dataset selections (by label) and their items (by date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketContent {
    pub basket: BasketRecord,
    pub datasets: Vec<(BasketDatasetRecord, Vec<BasketItemRecord>)>,
}

#[async_trait]
pub trait BasketStore: Database {
    /// The owner's basket, if any.
    async fn basket_of(&self, owner: &str) -> Result<Option<BasketContent>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM baskets WHERE owner = $1")
            .bind(owner)
            .fetch_optional(&mut *conn)
            .await?;
        match id {
            Some(id) => Ok(Some(load_basket(&mut conn, id).await?)),
            None => Ok(None),
        }
    }
}

/// Takes the owner's basket lock for the rest of the transaction (creating the basket when `create`);
/// returns its id, or `None` when there is no basket and none was to be created.
pub async fn lock_basket(
    tx: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    create: bool,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    if create {
        sqlx::query("INSERT INTO baskets (owner, created_at) VALUES ($1, $2) ON CONFLICT (owner) DO NOTHING")
            .bind(owner)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
    }
    let sql = format!(
        "SELECT id FROM baskets WHERE owner = $1{}",
        backend.lock_row()
    );
    let id = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(id)
}

pub async fn load_basket(conn: &mut AnyConnection, id: i64) -> Result<BasketContent, StoreError> {
    let owner: String = sqlx::query_scalar("SELECT owner FROM baskets WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let sql = format!(
        "SELECT id, dataset_id, dataset_ip_id, dataset_label, open_search_request, file_filters, {}
         FROM basket_datasets WHERE basket_id = $1 ORDER BY dataset_label, id",
        counter_list("")
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let mut datasets = Vec::with_capacity(rows.len());
    for row in &rows {
        let record = BasketDatasetRecord {
            id: row.try_get(0)?,
            dataset_id: row.try_get(1)?,
            dataset_ip_id: row.try_get(2)?,
            dataset_label: row.try_get(3)?,
            open_search_request: row.try_get(4)?,
            file_filters: row.try_get(5)?,
            counters: read_counters(row, 6)?,
        };
        let items = items_of(conn, record.id).await?;
        datasets.push((record, items));
    }
    datasets.sort_by(|(a, _), (b, _)| {
        a.dataset_label
            .to_lowercase()
            .cmp(&b.dataset_label.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(BasketContent {
        basket: BasketRecord { id, owner },
        datasets,
    })
}

/// The items of a dataset selection, by date.
pub async fn items_of(
    conn: &mut AnyConnection,
    basket_dataset_id: i64,
) -> Result<Vec<BasketItemRecord>, StoreError> {
    let sql = format!(
        "SELECT basket_dataset_id, date, open_search_request, request, selection, {}
         FROM basket_items WHERE basket_dataset_id = $1 ORDER BY date",
        counter_list("")
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(basket_dataset_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(BasketItemRecord {
                basket_dataset_id: row.try_get(0)?,
                date: Timestamp(row.try_get(1)?),
                open_search_request: row.try_get(2)?,
                request: row.try_get(3)?,
                selection: row.try_get(4)?,
                counters: read_counters(row, 5)?,
            })
        })
        .collect()
}

/// The basket's selection of a dataset, created empty when missing; returns its id.
pub async fn dataset_selection(
    tx: &mut AnyConnection,
    basket_id: i64,
    dataset_id: i64,
    dataset_ip_id: &str,
    dataset_label: &str,
) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO basket_datasets (basket_id, dataset_id, dataset_ip_id, dataset_label, open_search_request)
         VALUES ($1, $2, $3, $4, '') ON CONFLICT (basket_id, dataset_id) DO NOTHING",
    )
    .bind(basket_id)
    .bind(dataset_id)
    .bind(dataset_ip_id)
    .bind(dataset_label)
    .execute(&mut *tx)
    .await?;
    let id = sqlx::query_scalar(
        "SELECT id FROM basket_datasets WHERE basket_id = $1 AND dataset_id = $2",
    )
    .bind(basket_id)
    .bind(dataset_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(id)
}

/// Whether a dataset selection belongs to the basket.
pub async fn owns_dataset_selection(
    tx: &mut AnyConnection,
    basket_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM basket_datasets WHERE id = $1 AND basket_id = $2")
            .bind(id)
            .bind(basket_id)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(found.is_some())
}

pub async fn insert_item(
    tx: &mut AnyConnection,
    item: &BasketItemRecord,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO basket_items (basket_dataset_id, date, open_search_request, request, selection, {COUNTER_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, {})",
        (6..6 + crate::domain::counts::COUNTER_COUNT)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(item.basket_dataset_id)
        .bind(item.date.millis())
        .bind(item.open_search_request.clone())
        .bind(item.request.clone())
        .bind(item.selection.clone());
    for value in item.counters.columns() {
        query = query.bind(value);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

/// Removes the item of that date; false when there was none.
pub async fn delete_item(
    tx: &mut AnyConnection,
    basket_dataset_id: i64,
    date: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM basket_items WHERE basket_dataset_id = $1 AND date = $2")
        .bind(basket_dataset_id)
        .bind(date.millis())
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn update_dataset_selection(
    tx: &mut AnyConnection,
    id: i64,
    open_search_request: &str,
    counters: &Counters,
) -> Result<(), StoreError> {
    let assignments: Vec<String> = COUNTER_COLUMNS
        .split(',')
        .map(str::trim)
        .enumerate()
        .map(|(n, c)| format!("{c} = ${}", n + 3))
        .collect();
    let sql = format!(
        "UPDATE basket_datasets SET open_search_request = $2, {} WHERE id = $1",
        assignments.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .bind(open_search_request);
    for value in counters.columns() {
        query = query.bind(value);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

/// A dataset selection's file filter (JSON), if it has one.
pub async fn file_filters(tx: &mut AnyConnection, id: i64) -> Result<Option<String>, StoreError> {
    let found: Option<Option<String>> =
        sqlx::query_scalar("SELECT file_filters FROM basket_datasets WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(found.flatten())
}

/// Sets (or, with none, removes) a dataset selection's file filter (JSON).
pub async fn set_file_filters(
    tx: &mut AnyConnection,
    id: i64,
    file_filters: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE basket_datasets SET file_filters = $2 WHERE id = $1")
        .bind(id)
        .bind(file_filters)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Removes a dataset selection (and its items) from the basket; false when it was not there.
pub async fn delete_dataset_selection(
    tx: &mut AnyConnection,
    basket_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    sqlx::query("DELETE FROM basket_items WHERE basket_dataset_id IN (SELECT id FROM basket_datasets WHERE id = $1 AND basket_id = $2)")
        .bind(id)
        .bind(basket_id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM basket_datasets WHERE id = $1 AND basket_id = $2")
        .bind(id)
        .bind(basket_id)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes the owner's basket and everything in it; false when there was none.
pub async fn delete_basket(tx: &mut AnyConnection, basket_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM basket_items WHERE basket_dataset_id IN (SELECT id FROM basket_datasets WHERE basket_id = $1)")
        .bind(basket_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM basket_datasets WHERE basket_id = $1")
        .bind(basket_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM baskets WHERE id = $1")
        .bind(basket_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Gives the basket another owner: an ordered basket becomes `ORDER_<id>`, kept for restart.
pub async fn rename_basket(
    tx: &mut AnyConnection,
    basket_id: i64,
    owner: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE baskets SET owner = $2 WHERE id = $1")
        .bind(basket_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A copy of a basket (its selections and items) under another owner; returns the copy's id.
pub async fn copy_basket(
    tx: &mut AnyConnection,
    basket_id: i64,
    owner: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let copy: i64 =
        sqlx::query_scalar("INSERT INTO baskets (owner, created_at) VALUES ($1, $2) RETURNING id")
            .bind(owner)
            .bind(now.millis())
            .fetch_one(&mut *tx)
            .await?;
    let content = load_basket(tx, basket_id).await?;
    for (selection, items) in content.datasets {
        let id = dataset_selection(
            tx,
            copy,
            selection.dataset_id,
            &selection.dataset_ip_id,
            &selection.dataset_label,
        )
        .await?;
        update_dataset_selection(tx, id, &selection.open_search_request, &selection.counters)
            .await?;
        set_file_filters(tx, id, selection.file_filters.as_deref()).await?;
        for item in items {
            insert_item(
                tx,
                &BasketItemRecord {
                    basket_dataset_id: id,
                    ..item
                },
            )
            .await?;
        }
    }
    Ok(copy)
}
