//! Counts under a file filter (docs/decisions.md "Basket upload and file filters"). A filter on types
//! alone is summed from the object counters of the kept types (one indexed query, as without a filter);
//! the counters cannot say which files a name pattern keeps, so then the files of the kept types of the
//! selected objects are read (one streamed statement) and tested here.

use std::collections::HashSet;

use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};

use super::{Counters, bind_params, summary::scoped};
use crate::domain::access::Scope;
use crate::domain::files::DataType;
use crate::domain::filters::Compiled;
use crate::domain::query::sql::Condition;
use crate::store::{Backend, StoreError};

/// The counter columns (count, bytes) of each orderable type, in `DataType::ORDERABLE` order.
const TYPE_COLUMNS: [(&str, &str); 4] = [
    ("raw_count", "raw_bytes"),
    ("ql_sd_count", "ql_sd_bytes"),
    ("ql_md_count", "ql_md_bytes"),
    ("ql_hd_count", "ql_hd_bytes"),
];

/// The counters of the objects of `dataset_id` matching `condition`, counting the files `filter` keeps;
/// an object counts when it has at least one.
pub async fn filtered_counters_in(
    (conn, backend): (&mut sqlx::AnyConnection, Backend),
    condition: &Condition,
    dataset_id: i64,
    filter: &Compiled,
) -> Result<Counters, StoreError> {
    let kept = filter.kept_types();
    if kept.is_empty() {
        return Ok(Counters::default());
    }
    let (join, sql, params) = scoped(condition, &Scope::Only(vec![dataset_id]), backend);
    if !filter.tests_names() {
        return kept_types_counters((conn, &kept), join, &sql, &params).await;
    }
    let types: Vec<String> = kept.iter().map(|t| format!("'{}'", t.as_str())).collect();
    let sql = format!(
        "SELECT o.id, f.data_type, f.filename, f.size, f.reference FROM data_objects o{join} \
         JOIN files f ON f.object_id = o.id WHERE f.data_type IN ({}) AND {sql}",
        types.join(", ")
    );
    let mut rows = bind_params(sqlx::query(AssertSqlSafe(sql)), &params).fetch(conn);
    let mut counters = Counters::default();
    let mut objects = HashSet::new();
    while let Some(row) = rows.try_next().await? {
        let data_type: String = row.try_get(1)?;
        let filename: String = row.try_get(2)?;
        let Ok(data_type) = data_type.parse::<DataType>() else {
            continue;
        };
        if !filter.keeps(data_type, &filename) {
            continue;
        }
        objects.insert(row.try_get::<i64, _>(0)?);
        let size: Option<i64> = row.try_get(3)?;
        let reference: i64 = row.try_get(4)?;
        counters.count(data_type, size.unwrap_or(0), reference != 0);
    }
    counters.objects = objects.len() as i64;
    Ok(counters)
}

/// A sum as a BIGINT on both backends (PostgreSQL sums BIGINTs as NUMERIC), 0 over no rows.
fn sum(expression: &str) -> String {
    format!("CAST(COALESCE(SUM({expression}), 0) AS BIGINT)")
}

/// The sums of the kept types' counters, and the objects with at least one file of them.
async fn kept_types_counters(
    (conn, kept): (&mut sqlx::AnyConnection, &[DataType]),
    join: &str,
    sql: &str,
    params: &[crate::domain::query::sql::SqlParam],
) -> Result<Counters, StoreError> {
    let mut columns = Vec::new();
    let mut any_kept = Vec::new();
    for (data_type, (count, bytes)) in DataType::ORDERABLE.into_iter().zip(TYPE_COLUMNS) {
        if kept.contains(&data_type) {
            columns.push(format!(
                "{}, {}",
                sum(&format!("o.{count}")),
                sum(&format!("o.{bytes}"))
            ));
            any_kept.push(format!("o.{count}"));
        } else {
            columns.push("0, 0".to_owned());
        }
    }
    let raw_stored = if kept.contains(&DataType::Rawdata) {
        sum("o.raw_stored_count")
    } else {
        "0".to_owned()
    };
    let objects = sum(&format!(
        "CASE WHEN {} > 0 THEN 1 ELSE 0 END",
        any_kept.join(" + ")
    ));
    let statement = format!(
        "SELECT {objects}, {}, {raw_stored} FROM data_objects o{join} WHERE {sql}",
        columns.join(", ")
    );
    let row = bind_params(sqlx::query(AssertSqlSafe(statement)), params)
        .fetch_one(conn)
        .await?;
    let mut counters = Counters {
        objects: row.try_get(0)?,
        raw_stored: row.try_get(9)?,
        ..Counters::default()
    };
    for (n, by_type) in counters.by_type.iter_mut().enumerate() {
        by_type.files = row.try_get(1 + 2 * n)?;
        by_type.bytes = row.try_get(2 + 2 * n)?;
    }
    Ok(counters)
}
