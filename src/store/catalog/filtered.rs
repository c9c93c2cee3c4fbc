//! Counts under a file filter (docs/decisions.md "Basket upload and file filters"): the counters on object
//! rows cannot say which files a name pattern keeps, so the files of the selected objects are read (one
//! streamed statement) and tested here.

use std::collections::HashSet;

use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};

use super::{Counters, bind_params, summary::scoped};
use crate::domain::access::Scope;
use crate::domain::files::DataType;
use crate::domain::filters::Compiled;
use crate::domain::query::sql::Condition;
use crate::store::{Backend, StoreError};

/// The counters of the objects of `dataset_id` matching `condition`, counting the files `filter` keeps;
/// an object counts when it has at least one.
pub async fn filtered_counters_in(
    (conn, backend): (&mut sqlx::AnyConnection, Backend),
    condition: &Condition,
    dataset_id: i64,
    filter: &Compiled,
) -> Result<Counters, StoreError> {
    let (join, sql, params) = scoped(condition, &Scope::Only(vec![dataset_id]), backend);
    let orderable: Vec<String> = DataType::ORDERABLE
        .iter()
        .map(|t| format!("'{}'", t.as_str()))
        .collect();
    let sql = format!(
        "SELECT o.id, f.data_type, f.filename, f.size, f.reference FROM data_objects o{join} \
         JOIN files f ON f.object_id = o.id WHERE f.data_type IN ({}) AND {sql}",
        orderable.join(", ")
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
        if !data_type.is_orderable() || !filter.keeps(data_type, &filename) {
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
