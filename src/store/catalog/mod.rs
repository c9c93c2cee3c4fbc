//! The catalog tables: datasets, data objects, their tags, property values and files.

mod filtered;
mod rows;
mod summary;
mod write;

pub use filtered::filtered_counters_in;

pub use rows::{
    Counters, DatasetRow, FileRow, NewDataset, NewFile, NewObject, ObjectRow, PropertyValue,
    SummaryRow, WriteOutcome,
};
use summary::{SUMMARY_KINDS, scoped, summary_row, summary_statement};
pub use summary::{counter_list, read_counters, summary_in};

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::any::AnyArguments;
use sqlx::{Any, AssertSqlSafe};

use super::timed::{Cell, Kind};
use super::{Database, StoreError};
use crate::domain::access::Scope;
use crate::domain::query::sql::{Condition, SqlParam, ValueType};
use crate::time::Timestamp;

/// A dataset to create or update (a STAC Collection).
pub(crate) const COUNTER_COLUMNS: &str = "has_orderable, raw_count, raw_bytes, ql_sd_count, ql_sd_bytes, ql_md_count, \
                               ql_md_bytes, ql_hd_count, ql_hd_bytes, raw_stored_count";

pub(super) fn counter_columns() -> impl Iterator<Item = &'static str> {
    COUNTER_COLUMNS.split(',').map(str::trim)
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, AnyArguments>;

pub(super) fn bind_params<'q>(mut query: AnyQuery<'q>, params: &[SqlParam]) -> AnyQuery<'q> {
    for param in params {
        query = match param {
            SqlParam::Int(value) => query.bind(*value),
            SqlParam::Float(value) => query.bind(*value),
            SqlParam::Text(value) => query.bind(value.clone()),
        };
    }
    query
}

/// The query's condition, restricted to a dataset when given, and the parameters for it.
#[async_trait]
pub trait CatalogStore: Database {
    /// Creates the dataset or updates its label and description; returns its id.
    async fn upsert_dataset(
        &self,
        dataset: &NewDataset,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let id = sqlx::query_scalar(
            "INSERT INTO datasets (ip_id, provider_id, label, description, creation_date, last_update)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (ip_id) DO UPDATE SET provider_id = excluded.provider_id, label = excluded.label,
                 description = excluded.description, last_update = excluded.last_update
             RETURNING id",
        )
        .bind(&dataset.ip_id)
        .bind(&dataset.provider_id)
        .bind(&dataset.label)
        .bind(&dataset.description)
        .bind(now.millis())
        .fetch_one(self.pool())
        .await?;
        Ok(id)
    }

    /// The dataset's id, creating it as given when it does not exist (an item seen before its collection).
    async fn ensure_dataset(
        &self,
        dataset: &NewDataset,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO datasets (ip_id, provider_id, label, description, creation_date, last_update)
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (ip_id) DO NOTHING",
        )
        .bind(&dataset.ip_id)
        .bind(&dataset.provider_id)
        .bind(&dataset.label)
        .bind(&dataset.description)
        .bind(now.millis())
        .execute(self.pool())
        .await?;
        let id = sqlx::query_scalar("SELECT id FROM datasets WHERE ip_id = $1")
            .bind(&dataset.ip_id)
            .fetch_one(self.pool())
            .await?;
        Ok(id)
    }

    /// Creates or updates data objects (matched by ipId; a re-imported object keeps its creationDate and
    /// gets `now` as lastUpdate) with their files, tags and property values, in one transaction.
    async fn write_objects(
        &self,
        objects: &[NewObject],
        now: Timestamp,
    ) -> Result<WriteOutcome, StoreError> {
        let tx = self.begin_write().await?;
        write::write_objects(self.backend(), tx, objects, now).await
    }

    async fn property_types(&self) -> Result<HashMap<String, ValueType>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, value_type FROM property_types")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(name, kind)| (name, ValueType::parse(&kind).unwrap_or(ValueType::Text)))
            .collect())
    }

    /// Records the types seen; a property seen with two types becomes a string.
    async fn merge_property_types(&self, seen: &[(String, ValueType)]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (name, kind) in seen {
            sqlx::query(
                "INSERT INTO property_types (name, value_type) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value_type =
                     CASE WHEN property_types.value_type = excluded.value_type THEN excluded.value_type ELSE 'string' END",
            )
            .bind(name)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Recounts the objects of every dataset (after an import).
    async fn refresh_dataset_counts(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE datasets SET objects_count = (SELECT COUNT(*) FROM data_objects o WHERE o.dataset_id = datasets.id)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refreshes the planner's statistics after a large change.
    async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(self.pool()).await?;
        Ok(())
    }

    async fn dataset(&self, id: i64) -> Result<Option<DatasetRow>, StoreError> {
        let row = sqlx::query_as(
            "SELECT id, ip_id, provider_id, label, description, creation_date, last_update, objects_count
             FROM datasets WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row)
    }

    async fn datasets(&self) -> Result<Vec<DatasetRow>, StoreError> {
        let rows = sqlx::query_as(
            "SELECT id, ip_id, provider_id, label, description, creation_date, last_update, objects_count
             FROM datasets ORDER BY label, id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// How many objects of the datasets of `scope` match `condition`.
    async fn count_objects(&self, condition: &Condition, scope: &Scope) -> Result<i64, StoreError> {
        let (join, sql, params) = scoped(condition, scope, self.backend());
        let sql = format!("SELECT COUNT(*) FROM data_objects o{join} WHERE {sql}");
        let rows = self.queries().rows(&sql, &params, &[Kind::Int]).await?;
        Ok(rows.first().map_or(0, |row| row[0].int()))
    }

    /// A page of the objects of the datasets of `scope` matching `condition`, in id order.
    async fn search_objects(
        &self,
        condition: &Condition,
        scope: &Scope,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<ObjectRow>, StoreError> {
        let (join, sql, mut params) = scoped(condition, scope, self.backend());
        params.push(SqlParam::Int(limit as i64));
        params.push(SqlParam::Int(offset as i64));
        let sql = format!(
            "SELECT o.id, o.ip_id, o.provider_id, o.label, d.ip_id AS dataset_ip_id, d.label AS dataset_label,
                    o.creation_date, o.last_update, o.properties
             FROM data_objects o JOIN datasets d ON d.id = o.dataset_id{join}
             WHERE {sql} ORDER BY o.id LIMIT ${} OFFSET ${}",
            params.len() - 1,
            params.len()
        );
        let rows = self.queries().rows(&sql, &params, &OBJECT_KINDS).await?;
        Ok(rows.into_iter().map(ObjectRow::from_cells).collect())
    }

    /// (id, ipId, providerId) of the objects of a dataset matching `condition` with an id above `after`,
    /// in id order: how an order's expansion pages through its selection.
    async fn object_refs_after(
        &self,
        condition: &Condition,
        dataset: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let (_, sql, mut params) = scoped(condition, &Scope::Only(vec![dataset]), self.backend());
        params.push(SqlParam::Int(after));
        params.push(SqlParam::Int(limit));
        let sql = format!(
            "SELECT o.id, o.ip_id, o.provider_id FROM data_objects o
             WHERE {sql} AND o.id > ${} ORDER BY o.id LIMIT ${}",
            params.len() - 1,
            params.len()
        );
        let kinds = [Kind::Int, Kind::Text, Kind::Text];
        let rows = self.queries().rows(&sql, &params, &kinds).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut cells = row.into_iter();
                let mut next = || cells.next().expect("three columns");
                (next().int(), next().text(), next().text())
            })
            .collect())
    }

    /// An object's id and dataset, by its ipId.
    async fn object_of_ip_id(&self, ip_id: &str) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, dataset_id FROM data_objects WHERE ip_id = $1")
                .bind(ip_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    async fn files_of(&self, object_ids: &[i64]) -> Result<Vec<FileRow>, StoreError> {
        if object_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, object_id, data_type, filename, size, checksum, checksum_algo, crc32, mime_type, uri,
                    storage, reference
             FROM files WHERE object_id IN {} ORDER BY object_id, asset_key",
            self.backend().rows(1, object_ids.len())
        );
        let mut query = sqlx::query_as::<_, FileRow>(AssertSqlSafe(sql));
        for id in object_ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    async fn tags_of(&self, object_ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
        if object_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT object_id, tag FROM object_tags WHERE object_id IN {} ORDER BY object_id, tag",
            self.backend().rows(1, object_ids.len())
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(AssertSqlSafe(sql));
        for id in object_ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Orderable totals per dataset of the objects of the datasets of `scope` matching `condition`,
    /// computed in the database: from
    /// the per-dataset, per-date totals when the condition reads nothing else (and `use_totals`), else
    /// from the counters on the object rows.
    async fn summary(
        &self,
        condition: &Condition,
        scope: &Scope,
        use_totals: bool,
    ) -> Result<Vec<SummaryRow>, StoreError> {
        let (sql, params) = summary_statement(condition, scope, (use_totals, self.backend()));
        let rows = self.queries().rows(&sql, &params, &SUMMARY_KINDS).await?;
        Ok(rows.iter().map(|row| summary_row(row)).collect())
    }
}

/// The columns of an object row, in `ObjectRow` order.
const OBJECT_KINDS: [Kind; 9] = [
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
];

impl ObjectRow {
    fn from_cells(row: Vec<Cell>) -> ObjectRow {
        let mut cells = row.into_iter();
        let mut next = || cells.next().expect("nine columns");
        ObjectRow {
            id: next().int(),
            ip_id: next().text(),
            provider_id: next().text(),
            label: next().text(),
            dataset_ip_id: next().text(),
            dataset_label: next().text(),
            creation_date: next().int(),
            last_update: next().int(),
            properties: next().text(),
        }
    }
}
