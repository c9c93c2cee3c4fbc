//! Writing data objects with everything that hangs on them, and keeping the per-dataset, per-date totals
//! in the same transaction.

use std::collections::{HashMap, HashSet};

use sqlx::{AssertSqlSafe, Row};

use super::{COUNTER_COLUMNS, Counters, NewObject, WriteOutcome, counter_columns};
use crate::store::{Backend, StoreError, Tx};
use crate::time::Timestamp;

/// `CatalogStore::write_objects`, in the transaction `tx` (committed here).
pub(super) async fn write_objects(
    backend: Backend,
    mut tx: Tx,
    objects: &[NewObject],
    now: Timestamp,
) -> Result<WriteOutcome, StoreError> {
    // The last occurrence of an ipId wins within a batch.
    let mut seen = HashSet::new();
    let mut unique: Vec<&NewObject> = objects
        .iter()
        .rev()
        .filter(|o| seen.insert(o.ip_id.as_str()))
        .collect();
    unique.reverse();
    let duplicates = (objects.len() - unique.len()) as u64;

    // What the objects being replaced counted, to take it out of the totals.
    let mut existing = HashSet::new();
    let mut totals: HashMap<(i64, i64), Counters> = HashMap::new();
    for chunk in unique.chunks(1000) {
        let sql = format!(
            "SELECT ip_id, dataset_id, creation_date, {COUNTER_COLUMNS} FROM data_objects WHERE ip_id IN {}",
            backend.rows(1, chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for object in chunk {
            query = query.bind(object.ip_id.clone());
        }
        for row in query.fetch_all(&mut *tx).await? {
            existing.insert(row.try_get::<String, _>(0)?);
            let mut old = [0i64; 9];
            for (n, value) in old.iter_mut().enumerate() {
                *value = row.try_get(3 + n)?;
            }
            add_to(&mut totals, (row.try_get(1)?, row.try_get(2)?), &old, -1);
        }
    }

    let mut ids: HashMap<String, i64> = HashMap::new();
    for chunk in unique.chunks(1000) {
        let sql = format!(
                "INSERT INTO data_objects (ip_id, provider_id, label, label_words, dataset_id, creation_date, last_update,
                     properties, {COUNTER_COLUMNS})
                 VALUES {}
                 ON CONFLICT (ip_id) DO UPDATE SET provider_id = excluded.provider_id, label = excluded.label,
                     label_words = excluded.label_words, dataset_id = excluded.dataset_id,
                     last_update = excluded.last_update, properties = excluded.properties, {}
                 RETURNING id, ip_id, creation_date",
                backend.rows(chunk.len(), 17),
                counter_columns().map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>().join(", ")
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
            for counter in object.counters() {
                query = query.bind(counter);
            }
        }
        let rows = query.fetch_all(&mut *tx).await?;
        let by_ip_id: HashMap<&str, &NewObject> =
            chunk.iter().map(|o| (o.ip_id.as_str(), *o)).collect();
        for row in rows {
            let ip_id: String = row.try_get(1)?;
            let object = by_ip_id
                .get(ip_id.as_str())
                .ok_or(sqlx::Error::RowNotFound)?;
            add_to(
                &mut totals,
                (object.dataset_id, row.try_get(2)?),
                &object.counters(),
                1,
            );
            ids.insert(ip_id, row.try_get(0)?);
        }
    }
    write_totals(backend, &mut tx, &totals).await?;

    let id_of = |object: &NewObject| {
        ids.get(&object.ip_id)
            .copied()
            .ok_or(sqlx::Error::RowNotFound)
    };
    let replaced: Vec<i64> = unique
        .iter()
        .filter(|o| existing.contains(&o.ip_id))
        .map(|o| id_of(o))
        .collect::<Result<_, _>>()?;
    for chunk in replaced.chunks(1000) {
        let list = backend.rows(1, chunk.len());
        for table in ["files", "object_tags", "object_properties"] {
            let sql = format!("DELETE FROM {table} WHERE object_id IN {list}");
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *tx).await?;
        }
    }

    let mut files = Vec::new();
    let mut tags = Vec::new();
    let mut values = Vec::new();
    for object in &unique {
        let id = id_of(object)?;
        files.extend(object.files.iter().map(|f| (id, f)));
        let distinct_tags: HashSet<&String> = object.tags.iter().collect();
        tags.extend(distinct_tags.into_iter().map(|t| (id, t)));
        let mut distinct_values = HashSet::new();
        values.extend(
            object
                .values
                .iter()
                .filter(|v| distinct_values.insert((&v.name, &v.text)))
                .map(|v| (id, v)),
        );
    }
    for chunk in files.chunks(1500) {
        let sql = format!(
                "INSERT INTO files (object_id, asset_key, data_type, filename, size, checksum, checksum_algo, crc32,
                     mime_type, uri, storage, reference) VALUES {}",
                backend.rows(chunk.len(), 12)
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
        query.execute(&mut *tx).await?;
    }
    for chunk in tags.chunks(5000) {
        let sql = format!(
            "INSERT INTO object_tags (object_id, tag) VALUES {}",
            backend.rows(chunk.len(), 2)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (id, tag) in chunk {
            query = query.bind(*id).bind((*tag).clone());
        }
        query.execute(&mut *tx).await?;
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
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let updated = existing.len() as u64;
    Ok(WriteOutcome {
        inserted: unique.len() as u64 - updated,
        updated: updated + duplicates,
    })
}

/// Adds (or, with `sign` -1, takes away) counters in the per-dataset, per-date totals.
fn add_to(
    totals: &mut HashMap<(i64, i64), Counters>,
    key: (i64, i64),
    counters: &Counters,
    sign: i64,
) {
    let entry = totals.entry(key).or_insert([0; 9]);
    for (total, value) in entry.iter_mut().zip(counters) {
        *total += sign * value;
    }
}

/// Adds the changes of one write to the per-dataset, per-date totals.
async fn write_totals(
    backend: Backend,
    tx: &mut Tx,
    totals: &HashMap<(i64, i64), Counters>,
) -> Result<(), StoreError> {
    let changes: Vec<(&(i64, i64), &Counters)> = totals
        .iter()
        .filter(|(_, c)| c.iter().any(|v| *v != 0))
        .collect();
    for chunk in changes.chunks(500) {
        let sql = format!(
            "INSERT INTO object_totals (dataset_id, creation_date, {COUNTER_COLUMNS}) VALUES {}
             ON CONFLICT (dataset_id, creation_date) DO UPDATE SET {}",
            backend.rows(chunk.len(), 11),
            counter_columns()
                .map(|c| format!("{c} = object_totals.{c} + excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for ((dataset_id, creation_date), counters) in chunk {
            query = query.bind(*dataset_id).bind(*creation_date);
            for value in counters.iter() {
                query = query.bind(*value);
            }
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
