//! Summaries: orderable totals per dataset of the objects matching a condition, from the object rows or
//! from the per-dataset, per-date totals.

use sqlx::{AssertSqlSafe, Row};

use super::{Counters, SummaryRow, bind_params, counter_columns};
use crate::domain::access::{Rule, Scope};
use crate::domain::counts::COUNTER_COUNT;
use crate::domain::query::sql::{Condition, SqlParam};
use crate::store::timed::{Cell, Kind};
use crate::store::{Backend, StoreError};

/// The query's condition restricted to the datasets of `scope` (the access rights; for a basket, the
/// selection's datasets): the join to write after `FROM <table> o`, the condition, its parameters.
pub(super) fn scoped(
    condition: &Condition,
    scope: &Scope,
    backend: Backend,
) -> (&'static str, String, Vec<SqlParam>) {
    let mut params = condition.params.clone();
    match crate::store::access::in_scope(scope, backend, &mut params) {
        None => ("", condition.sql.clone(), params),
        Some(kept) => (
            kept.join,
            format!("{} AND ({})", kept.filter, condition.sql),
            params,
        ),
    }
}

/// The statement of a summary, and its parameters.
pub(super) fn summary_statement(
    condition: &Condition,
    scope: &Scope,
    (use_totals, backend): (bool, Backend),
) -> (String, Vec<SqlParam>) {
    let totals = use_totals && condition.dataset_and_date_only;
    if let (true, Scope::Rule(rule), Backend::Sqlite) = (totals, scope, backend) {
        return totals_then_rule(condition, rule);
    }
    let (join, sql, params) = scoped(condition, scope, backend);
    let table = if totals {
        "object_totals"
    } else {
        "data_objects"
    };
    let sql = format!(
        "SELECT o.dataset_id, {} FROM {table} o{join} WHERE {sql} GROUP BY o.dataset_id ORDER BY o.dataset_id",
        sums()
    );
    (sql, params)
}

fn sums() -> String {
    let sums: Vec<String> = counter_columns()
        .map(|c| format!("CAST(SUM(o.{c}) AS BIGINT)"))
        .collect();
    sums.join(", ")
}

/// A summary from the totals under an access rule, on SQLite: the totals table holds a few rows per
/// dataset, so summing them as for an admin and then keeping the allowed datasets' lines costs an admin's
/// summary and a look at the datasets table, where joining the rule first costs more than the sums
/// themselves (docs/ARCHITECTURE.md "Access rights in SQL"; PostgreSQL keeps its array form).
fn totals_then_rule(condition: &Condition, rule: &Rule) -> (String, Vec<SqlParam>) {
    let mut params = condition.params.clone();
    let allowed = crate::store::access::allowed_ids(rule, &mut params);
    let sql = format!(
        "SELECT t.* FROM (SELECT o.dataset_id, {} FROM object_totals o WHERE {} GROUP BY o.dataset_id) t \
         WHERE t.dataset_id IN ({allowed}) ORDER BY t.dataset_id",
        sums(),
        condition.sql
    );
    (sql, params)
}

/// The columns a summary reads back: the dataset and its counters.
pub(super) const SUMMARY_KINDS: [Kind; COUNTER_COUNT + 1] = [Kind::Int; COUNTER_COUNT + 1];

pub(super) fn summary_row(cells: &[Cell]) -> SummaryRow {
    let mut counters = [0i64; COUNTER_COUNT];
    for (n, counter) in counters.iter_mut().enumerate() {
        *counter = cells[n + 1].int();
    }
    SummaryRow {
        dataset_id: cells[0].int(),
        counters: Counters::from_columns(counters),
    }
}

/// `CatalogStore::summary` on a given connection (inside a transaction: the basket's recounts, of
/// queries that already ran within the statement timeout).
pub async fn summary_in(
    (conn, backend): (&mut sqlx::AnyConnection, Backend),
    condition: &Condition,
    scope: &Scope,
    use_totals: bool,
) -> Result<Vec<SummaryRow>, StoreError> {
    let (sql, params) = summary_statement(condition, scope, (use_totals, backend));
    let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), &params)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SummaryRow {
                dataset_id: row.try_get(0)?,
                counters: read_counters(row, 1)?,
            })
        })
        .collect()
}

/// The counter columns of a table, `prefix`ed (`"o."`) and comma-separated.
pub fn counter_list(prefix: &str) -> String {
    counter_columns()
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the counters of a row starting at column `first`.
pub fn read_counters(row: &sqlx::any::AnyRow, first: usize) -> Result<Counters, StoreError> {
    let mut counters = [0i64; COUNTER_COUNT];
    for (n, counter) in counters.iter_mut().enumerate() {
        *counter = row.try_get(first + n)?;
    }
    Ok(Counters::from_columns(counters))
}
