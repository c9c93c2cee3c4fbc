//! Writing data objects with everything that hangs on them, and keeping the per-dataset, per-date totals
//! in the same transaction.

use std::collections::{HashMap, HashSet};

use sqlx::{AssertSqlSafe, Row};

use super::{COUNTER_COLUMNS, Counters, NewObject, WriteOutcome, counter_columns};
use crate::store::{Backend, StoreError, Tx};
use crate::time::Timestamp;

/// The columns of a data object row, before its counters.
const OBJECT_COLUMNS: [&str; 8] = [
    "ip_id",
    "provider_id",
    "label",
    "label_words",
    "dataset_id",
    "creation_date",
    "last_update",
    "properties",
];
/// The columns of a file row.
const FILE_COLUMNS: [&str; 12] = [
    "object_id",
    "asset_key",
    "data_type",
    "filename",
    "size",
    "checksum",
    "checksum_algo",
    "crc32",
    "mime_type",
    "uri",
    "storage",
    "reference",
];
/// The counters stored with an object and in the totals (`COUNTER_COLUMNS`).
const COUNTERS: usize = crate::domain::counts::COUNTER_COUNT;

/// Per (dataset, creation date): what the objects written change in `object_totals`.
type Totals = HashMap<(i64, i64), Counters>;

/// `CatalogStore::write_objects`, in the transaction `tx` (committed here): the objects upserted, their
/// files, tags and property values replaced, the per-dataset, per-date totals moved by the difference.
pub(super) async fn write_objects(
    backend: Backend,
    mut tx: Tx,
    objects: &[NewObject],
    now: Timestamp,
) -> Result<WriteOutcome, StoreError> {
    let unique = last_occurrences(objects);
    let mut totals = Totals::new();
    let existing = take_out_existing(backend, &mut tx, &unique, &mut totals).await?;
    let ids = upsert_objects(backend, &mut tx, &unique, now, &mut totals).await?;
    write_totals(backend, &mut tx, &totals).await?;
    let id_of = |object: &NewObject| {
        ids.get(&object.ip_id)
            .copied()
            .ok_or_else(|| StoreError::Worker(format!("object {} was not written", object.ip_id)))
    };
    let replaced: Vec<i64> = unique
        .iter()
        .filter(|o| existing.contains(&o.ip_id))
        .map(|o| id_of(o))
        .collect::<Result<_, _>>()?;
    delete_children(backend, &mut tx, &replaced).await?;
    let with_ids: Vec<(i64, &NewObject)> = unique
        .iter()
        .map(|o| Ok((id_of(o)?, *o)))
        .collect::<Result<_, StoreError>>()?;
    insert_children(backend, &mut tx, &with_ids).await?;
    tx.commit().await?;
    let updated = existing.len() as u64;
    Ok(WriteOutcome {
        inserted: unique.len() as u64 - updated,
        updated: updated + (objects.len() - unique.len()) as u64,
    })
}

/// The objects of a batch, the last occurrence of an ipId winning.
fn last_occurrences(objects: &[NewObject]) -> Vec<&NewObject> {
    let mut seen = HashSet::new();
    let mut unique: Vec<&NewObject> = objects
        .iter()
        .rev()
        .filter(|o| seen.insert(o.ip_id.as_str()))
        .collect();
    unique.reverse();
    unique
}

/// The objects already known (their ipIds), their old counters taken out of the totals.
async fn take_out_existing(
    backend: Backend,
    tx: &mut Tx,
    objects: &[&NewObject],
    totals: &mut Totals,
) -> Result<HashSet<String>, StoreError> {
    let mut existing = HashSet::new();
    for chunk in objects.chunks(1000) {
        let sql = format!(
            "SELECT ip_id, dataset_id, creation_date, {COUNTER_COLUMNS} FROM data_objects WHERE ip_id IN {}",
            backend.rows(1, chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for object in chunk {
            query = query.bind(object.ip_id.clone());
        }
        for row in query.fetch_all(&mut **tx).await? {
            existing.insert(row.try_get::<String, _>(0)?);
            let old = super::read_counters(&row, 3)?;
            add_to(totals, (row.try_get(1)?, row.try_get(2)?), &old, -1);
        }
    }
    Ok(existing)
}

/// Inserts or updates the object rows (a known object keeps its creation date); their counters go into the
/// totals. Returns the id of each ipId.
async fn upsert_objects(
    backend: Backend,
    tx: &mut Tx,
    objects: &[&NewObject],
    now: Timestamp,
    totals: &mut Totals,
) -> Result<HashMap<String, i64>, StoreError> {
    let updates: Vec<String> = OBJECT_COLUMNS
        .iter()
        .copied()
        .filter(|c| !["ip_id", "creation_date"].contains(c))
        .chain(counter_columns())
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let mut ids = HashMap::new();
    for chunk in objects.chunks(1000) {
        let sql = format!(
            "INSERT INTO data_objects ({}, {COUNTER_COLUMNS}) VALUES {}
             ON CONFLICT (ip_id) DO UPDATE SET {}
             RETURNING id, ip_id, creation_date",
            OBJECT_COLUMNS.join(", "),
            backend.rows(chunk.len(), OBJECT_COLUMNS.len() + COUNTERS),
            updates.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for object in chunk {
            query = query
                .bind(object.ip_id.clone())
                .bind(object.provider_id.clone())
                .bind(object.label.clone())
                .bind(crate::domain::query::sql::label_words(&object.label))
                .bind(object.dataset_id)
                .bind(now.millis())
                .bind(now.millis())
                .bind(object.properties.clone());
            for counter in object.counters().columns() {
                query = query.bind(counter);
            }
        }
        let by_ip_id: HashMap<&str, &NewObject> =
            chunk.iter().map(|o| (o.ip_id.as_str(), *o)).collect();
        for row in query.fetch_all(&mut **tx).await? {
            let ip_id: String = row.try_get(1)?;
            if let Some(object) = by_ip_id.get(ip_id.as_str()) {
                add_to(
                    totals,
                    (object.dataset_id, row.try_get(2)?),
                    &object.counters(),
                    1,
                );
            }
            ids.insert(ip_id, row.try_get(0)?);
        }
    }
    Ok(ids)
}

/// Removes the files, tags and property values of objects about to get their new ones.
async fn delete_children(backend: Backend, tx: &mut Tx, ids: &[i64]) -> Result<(), StoreError> {
    for chunk in ids.chunks(1000) {
        let list = backend.rows(1, chunk.len());
        for table in ["files", "object_tags", "object_properties"] {
            let sql = format!("DELETE FROM {table} WHERE object_id IN {list}");
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Writes the objects' files, distinct tags and distinct property values.
async fn insert_children(
    backend: Backend,
    tx: &mut Tx,
    objects: &[(i64, &NewObject)],
) -> Result<(), StoreError> {
    let mut files = Vec::new();
    let mut tags = Vec::new();
    let mut values = Vec::new();
    for (id, object) in objects {
        files.extend(object.files.iter().map(|f| (*id, f)));
        let distinct_tags: HashSet<&String> = object.tags.iter().collect();
        tags.extend(distinct_tags.into_iter().map(|t| (*id, t)));
        let mut distinct_values = HashSet::new();
        values.extend(
            object
                .values
                .iter()
                .filter(|v| distinct_values.insert((&v.name, &v.text)))
                .map(|v| (*id, v)),
        );
    }
    insert_files(backend, tx, &files).await?;
    for chunk in tags.chunks(5000) {
        let sql = format!(
            "INSERT INTO object_tags (object_id, tag) VALUES {}",
            backend.rows(chunk.len(), 2)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (id, tag) in chunk {
            query = query.bind(*id).bind((*tag).clone());
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in values.chunks(5000) {
        let sql = format!(
            "INSERT INTO object_properties (object_id, name, text_value, num_value) VALUES {}",
            backend.rows(chunk.len(), 4)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (id, value) in chunk {
            query = query
                .bind(*id)
                .bind(value.name.clone())
                .bind(value.text.clone())
                .bind(value.num);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_files(
    backend: Backend,
    tx: &mut Tx,
    files: &[(i64, &super::NewFile)],
) -> Result<(), StoreError> {
    for chunk in files.chunks(1500) {
        let sql = format!(
            "INSERT INTO files ({}) VALUES {}",
            FILE_COLUMNS.join(", "),
            backend.rows(chunk.len(), FILE_COLUMNS.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (id, file) in chunk {
            query = query
                .bind(*id)
                .bind(file.asset_key.clone())
                .bind(file.data_type.as_str())
                .bind(file.filename.clone())
                .bind(file.size.map(|s| s as i64))
                .bind(file.checksum.as_ref().map(|c| c.hex.clone()))
                .bind(file.checksum.as_ref().map(|c| c.algorithm))
                .bind(file.crc32.map(i64::from))
                .bind(file.mime_type.clone())
                .bind(file.uri.clone())
                .bind(file.storage.clone())
                .bind(i64::from(file.storage.is_none()));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Adds (or, with `sign` -1, takes away) counters in the per-dataset, per-date totals.
fn add_to(totals: &mut Totals, key: (i64, i64), counters: &Counters, sign: i64) {
    totals.entry(key).or_default().add(counters, sign);
}

/// Adds the changes of one write to the per-dataset, per-date totals.
async fn write_totals(backend: Backend, tx: &mut Tx, totals: &Totals) -> Result<(), StoreError> {
    let changes: Vec<(&(i64, i64), &Counters)> =
        totals.iter().filter(|(_, c)| !c.is_zero()).collect();
    for chunk in changes.chunks(500) {
        let sql = format!(
            "INSERT INTO object_totals (dataset_id, creation_date, {COUNTER_COLUMNS}) VALUES {}
             ON CONFLICT (dataset_id, creation_date) DO UPDATE SET {}",
            backend.rows(chunk.len(), 2 + COUNTERS),
            counter_columns()
                .map(|c| format!("{c} = object_totals.{c} + excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for ((dataset_id, creation_date), counters) in chunk {
            query = query.bind(*dataset_id).bind(*creation_date);
            for value in counters.columns() {
                query = query.bind(value);
            }
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
