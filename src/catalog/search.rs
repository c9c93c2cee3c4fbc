//! Queries on the catalog: a query string becomes a SQL condition (with the property registry and the
//! backend's dialect), then a page of objects or a per-dataset summary computed in the database.

use std::collections::HashMap;

use crate::domain::access::Scope;
use crate::domain::files::DataType;
use crate::domain::query::sql::{Condition, Dialect, to_sql};
use crate::domain::query::{QueryError, parse};
use crate::store::{Backend, DatasetRow, FileRow, ObjectRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn dialect(store: &dyn Store) -> Dialect {
    match store.backend() {
        Backend::Sqlite => Dialect::Sqlite,
        Backend::Postgres => Dialect::Postgres,
    }
}

/// Parses `q` and turns it into a condition on the data objects.
pub async fn condition(store: &dyn Store, q: &str) -> Result<Condition, CatalogError> {
    let query = parse(q)?;
    let properties = store.property_types().await?;
    Ok(to_sql(&query, &properties, dialect(store))?)
}

/// A data object with its tags and files.
#[derive(Debug, Clone)]
pub struct FoundObject {
    pub object: ObjectRow,
    pub tags: Vec<String>,
    pub files: Vec<FileRow>,
}

/// A page of the objects of the datasets of `scope` matching `q`, and how many match in all.
pub async fn search(
    store: &dyn Store,
    q: &str,
    scope: &Scope,
    offset: u64,
    limit: u64,
) -> Result<(Vec<FoundObject>, u64), CatalogError> {
    let condition = condition(store, q).await?;
    let total = store.count_objects(&condition, scope).await?;
    let objects = store
        .search_objects(&condition, scope, offset, limit)
        .await?;
    let ids: Vec<i64> = objects.iter().map(|o| o.id).collect();
    let mut files: HashMap<i64, Vec<FileRow>> = HashMap::new();
    for file in store.files_of(&ids).await? {
        files.entry(file.object_id).or_default().push(file);
    }
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, tag) in store.tags_of(&ids).await? {
        tags.entry(id).or_default().push(tag);
    }
    let found = objects
        .into_iter()
        .map(|object| {
            let mut object_tags = vec![object.dataset_ip_id.clone()];
            object_tags.extend(tags.remove(&object.id).unwrap_or_default());
            FoundObject {
                files: files.remove(&object.id).unwrap_or_default(),
                tags: object_tags,
                object,
            }
        })
        .collect();
    Ok((found, total as u64))
}

/// Orderable files of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeTotals {
    pub files: i64,
    pub bytes: i64,
}

/// Orderable totals of one dataset's matching objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSummary {
    pub dataset: DatasetRow,
    pub objects: i64,
    pub files: i64,
    pub bytes: i64,
    pub by_type: Vec<(DataType, TypeTotals)>,
}

/// Per-dataset orderable totals of the objects of the datasets of `scope` matching `q`, ordered by
/// dataset label. Datasets without a matching orderable file are left out.
pub async fn summary(
    store: &dyn Store,
    q: &str,
    scope: &Scope,
) -> Result<Vec<DatasetSummary>, CatalogError> {
    let condition = condition(store, q).await?;
    summary_of(store, &condition, scope).await
}

pub async fn summary_of(
    store: &dyn Store,
    condition: &Condition,
    scope: &Scope,
) -> Result<Vec<DatasetSummary>, CatalogError> {
    let rows = store.summary(condition, scope, true).await?;
    let datasets: HashMap<i64, DatasetRow> = store
        .datasets()
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let mut summaries: Vec<DatasetSummary> = rows
        .into_iter()
        .filter(|row| row.counters.objects > 0)
        .filter_map(|row| {
            let dataset = datasets.get(&row.dataset_id)?.clone();
            let by_type: Vec<(DataType, TypeTotals)> = row
                .counters
                .types()
                .map(|(t, counts)| {
                    (
                        t,
                        TypeTotals {
                            files: counts.files,
                            bytes: counts.bytes,
                        },
                    )
                })
                .collect();
            Some(DatasetSummary {
                objects: row.counters.objects,
                files: by_type.iter().map(|(_, t)| t.files).sum(),
                bytes: by_type.iter().map(|(_, t)| t.bytes).sum(),
                by_type,
                dataset,
            })
        })
        .collect();
    summaries.sort_by(|a, b| {
        a.dataset
            .label
            .cmp(&b.dataset.label)
            .then(a.dataset.id.cmp(&b.dataset.id))
    });
    Ok(summaries)
}
