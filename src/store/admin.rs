//! What operators read: orders of every user by filter (pages and CSV batches), and the counts `/metrics`
//! shows.

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, FromRow, Row};

use super::catalog::bind_params;
use super::orders::{ORDER_COLUMNS, OrderRow};
use super::{Backend, Database, StoreError};
use crate::domain::query::sql::SqlParam;
use crate::domain::search::{OrderFilter, Sort};

/// An order with the sums of its dataset tasks, for one CSV line.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderLine {
    #[sqlx(flatten)]
    pub order: OrderRow,
    pub files_size: i64,
    pub files_count: i64,
}

/// A count under a name (a status, a state, a storage).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NamedCount {
    pub name: String,
    pub value: i64,
}

/// The filter as a `WHERE` condition on `orders o`, with its parameters numbered from `$1`.
fn condition(filter: &OrderFilter, backend: Backend) -> (String, Vec<SqlParam>) {
    let mut parts = vec!["1 = 1".to_owned()];
    let mut params = Vec::new();
    let next = |params: &mut Vec<SqlParam>, param: SqlParam| {
        params.push(param);
        format!("${}", params.len())
    };
    if let Some(owner) = &filter.owner_is {
        let p = next(&mut params, SqlParam::Text(owner.clone()));
        parts.push(format!("o.owner = {p}"));
    }
    if let Some(part) = &filter.owner_contains {
        let p = next(&mut params, SqlParam::Text(part.clone()));
        // instr/strpos: case-sensitive and without LIKE's wildcards.
        parts.push(match backend {
            Backend::Sqlite => format!("instr(o.owner, {p}) > 0"),
            Backend::Postgres => format!("strpos(o.owner, {p}) > 0"),
        });
    }
    if let Some(statuses) = &filter.statuses {
        if statuses.is_empty() {
            parts.push("1 = 0".into());
        } else {
            let list: Vec<String> = statuses
                .iter()
                .map(|status| next(&mut params, SqlParam::Text(status.as_str().into())))
                .collect();
            parts.push(format!("o.status IN ({})", list.join(", ")));
        }
    }
    if let Some(after) = filter.created_after {
        let p = next(&mut params, SqlParam::Int(after.millis()));
        parts.push(format!("o.creation_date >= {p}"));
    }
    if let Some(before) = filter.created_before {
        let p = next(&mut params, SqlParam::Int(before.millis()));
        parts.push(format!("o.creation_date <= {p}"));
    }
    if let Some(waiting) = filter.waiting_for_user {
        let not = if waiting { "" } else { "NOT " };
        // The rule of `OrderStore::waiting_among`.
        parts.push(format!(
            "{not}EXISTS (SELECT 1 FROM sub_orders s WHERE s.order_id = o.id AND s.state = 'DONE'
                                 AND s.pending_files = 0 AND s.available_files > 0)"
        ));
    }
    (parts.join(" AND "), params)
}

#[async_trait]
pub trait AdminStore: Database {
    /// A page of the orders the filter keeps, in the sort's order; and how many it keeps.
    async fn search_orders(
        &self,
        filter: &OrderFilter,
        sort: &Sort,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<OrderRow>, i64), StoreError> {
        let (condition, mut params) = condition(filter, self.backend());
        let count_sql = format!("SELECT COUNT(*) FROM orders o WHERE {condition}");
        let total: i64 = bind_params(sqlx::query(AssertSqlSafe(count_sql)), &params)
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        let limit_at = params.len() + 1;
        params.push(SqlParam::Int(limit as i64));
        params.push(SqlParam::Int(offset as i64));
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders o WHERE {condition} ORDER BY {} LIMIT ${limit_at} OFFSET ${}",
            sort.order_by(),
            limit_at + 1
        );
        let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), &params)
            .fetch_all(self.pool())
            .await?;
        let orders = rows
            .iter()
            .map(OrderRow::from_row)
            .collect::<Result<_, _>>()?;
        Ok((orders, total))
    }

    /// At most `limit` orders the filter keeps with an id above `after_id`, by id, each with the sums of
    /// its dataset tasks: the CSV export reads the orders batch after batch.
    async fn order_lines(
        &self,
        filter: &OrderFilter,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<OrderLine>, StoreError> {
        let (condition, mut params) = condition(filter, self.backend());
        let after_at = params.len() + 1;
        params.push(SqlParam::Int(after_id));
        params.push(SqlParam::Int(limit as i64));
        let sql = format!(
            "SELECT {ORDER_COLUMNS},
                    (SELECT CAST(COALESCE(SUM(t.files_size), 0) AS BIGINT) FROM dataset_tasks t
                     WHERE t.order_id = o.id) AS files_size,
                    (SELECT CAST(COALESCE(SUM(t.files_count), 0) AS BIGINT) FROM dataset_tasks t
                     WHERE t.order_id = o.id) AS files_count
             FROM orders o WHERE {condition} AND o.id > ${after_at} ORDER BY o.id LIMIT ${}",
            after_at + 1
        );
        let rows = bind_params(sqlx::query(AssertSqlSafe(sql)), &params)
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(OrderLine::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// How many orders are in each status.
    async fn orders_by_status(&self) -> Result<Vec<NamedCount>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT status AS name, COUNT(*) AS value FROM orders GROUP BY status ORDER BY status",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// How many sub-orders are in each state.
    async fn sub_orders_by_state(&self) -> Result<Vec<NamedCount>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT state AS name, COUNT(*) AS value FROM sub_orders GROUP BY state ORDER BY state",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The nearline cache bytes held per storage: reserved for sub-orders being staged or waiting for
    /// their downloads, plus downloaded copies not yet evicted.
    async fn cache_bytes_by_storage(&self) -> Result<Vec<NamedCount>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT storage AS name, CAST(COALESCE(SUM(reserved_bytes + evictable_bytes), 0) AS BIGINT) AS value
             FROM sub_orders WHERE storage IS NOT NULL GROUP BY storage ORDER BY storage",
        )
        .fetch_all(self.pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::OrderStatus;
    use crate::time::Timestamp;

    #[test]
    fn the_condition_numbers_its_parameters_in_order() {
        let filter = OrderFilter {
            owner_is: Some("a@b".into()),
            owner_contains: Some("b".into()),
            statuses: Some(vec![OrderStatus::Done, OrderStatus::Failed]),
            created_after: Some(Timestamp(1)),
            created_before: Some(Timestamp(2)),
            waiting_for_user: Some(false),
        };
        let (sql, params) = condition(&filter, Backend::Postgres);
        assert!(sql.contains("o.owner = $1"), "{sql}");
        assert!(sql.contains("strpos(o.owner, $2) > 0"), "{sql}");
        assert!(sql.contains("o.status IN ($3, $4)"), "{sql}");
        assert!(sql.contains("o.creation_date >= $5 AND o.creation_date <= $6"));
        assert!(sql.contains("NOT EXISTS"));
        assert_eq!(params.len(), 6);
        let none = OrderFilter {
            statuses: Some(vec![]),
            ..OrderFilter::default()
        };
        assert_eq!(condition(&none, Backend::Sqlite).0, "1 = 1 AND 1 = 0");
    }
}
