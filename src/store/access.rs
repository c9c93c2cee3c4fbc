//! Access rights of datasets (docs/decisions.md "Access rights"): `datasets.access_open` (NULL: never
//! given rights) and the `dataset_rights` rows of the datasets that carry rights.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};

use super::{Backend, Conn, Database, StoreError};
use crate::domain::access::{DatasetAccess, Datasets, Level, Right, Rule, Scope};
use crate::domain::query::sql::SqlParam;

/// The rule as a condition on the datasets row `sd`, its parameters appended to `params` (numbered
/// after those already there).
fn allowed(rule: &Rule, params: &mut Vec<SqlParam>) -> String {
    let mut allowed = vec!["sd.access_open = 1".to_owned()];
    if rule.default_open {
        allowed.push("sd.access_open IS NULL".to_owned());
    }
    if !rule.groups.is_empty() {
        let mut groups = Vec::with_capacity(rule.groups.len());
        for group in &rule.groups {
            params.push(SqlParam::Text(group.clone()));
            groups.push(format!("${}", params.len()));
        }
        let levels: Vec<String> = Level::granting(rule.need)
            .iter()
            .map(|level| format!("'{}'", level.as_ref()))
            .collect();
        // Not correlated: computed once per statement, then a lookup per row.
        allowed.push(format!(
            "sd.id IN (SELECT r.dataset_id FROM dataset_rights r WHERE r.group_name IN ({}) \
             AND r.level IN ({}))",
            groups.join(", "),
            levels.join(", ")
        ));
    }
    format!("({})", allowed.join(" OR "))
}

/// The statement that selects the ids of the datasets a rule allows, its parameters appended to `params`.
pub fn allowed_ids(rule: &Rule, params: &mut Vec<SqlParam>) -> String {
    format!(
        "SELECT sd.id FROM datasets sd WHERE {}",
        allowed(rule, params)
    )
}

/// How a statement on data objects `o` keeps to the datasets of a scope: a join to add after
/// `FROM <table> o`, and a condition.
pub struct InScope {
    pub join: &'static str,
    pub filter: String,
}

/// The join and condition that keep data objects `o` in the datasets of `scope` (none for every
/// dataset), the condition's parameters appended to `params`. A rule costs each backend the least
/// (measured, docs/ARCHITECTURE.md "Access rights in SQL"): on SQLite a condition on the joined dataset
/// row, so the planner starts from the datasets allowed or from the query's own condition as it would
/// for an admin; on PostgreSQL an array of the allowed ids computed once (an InitPlan) and checked per
/// row like a literal list.
pub fn in_scope(scope: &Scope, backend: Backend, params: &mut Vec<SqlParam>) -> Option<InScope> {
    let (join, filter) = match scope {
        Scope::All => return None,
        Scope::Only(ids) if ids.is_empty() => ("", "1 = 0".to_owned()),
        // Dataset ids are integers read from the database: written into the text, they add no
        // parameter to a condition that may already use many.
        Scope::Only(ids) => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            ("", format!("o.dataset_id IN ({})", list.join(", ")))
        }
        Scope::Rule(rule) => match backend {
            Backend::Sqlite => (SCOPE_JOIN, allowed(rule, params)),
            Backend::Postgres => (
                "",
                format!("o.dataset_id = ANY (ARRAY({}))", allowed_ids(rule, params)),
            ),
        },
    };
    Some(InScope { join, filter })
}

const SCOPE_JOIN: &str = " JOIN datasets sd ON sd.id = o.dataset_id";

#[async_trait]
pub trait AccessStore: Database {
    /// The datasets a scope allows, read now.
    async fn datasets_in(&self, scope: &Scope) -> Result<Datasets, StoreError> {
        let mut params = Vec::new();
        let sql = match scope {
            Scope::All => return Ok(Datasets::All),
            Scope::Only(ids) => return Ok(Datasets::Only(ids.iter().copied().collect())),
            Scope::Rule(rule) => allowed_ids(rule, &mut params),
        };
        let query = super::catalog::bind_params(sqlx::query(AssertSqlSafe(sql)), &params);
        let rows = query.fetch_all(self.pool()).await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?;
        Ok(Datasets::Only(ids))
    }

    /// Every dataset's id with its access, in id order.
    async fn dataset_accesses(&self) -> Result<Vec<(i64, DatasetAccess)>, StoreError> {
        let rows: Vec<(i64, Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT d.id, d.access_open, r.group_name, r.level
             FROM datasets d LEFT JOIN dataset_rights r ON r.dataset_id = d.id
             ORDER BY d.id, r.group_name",
        )
        .fetch_all(self.pool())
        .await?;
        let mut accesses: BTreeMap<i64, DatasetAccess> = BTreeMap::new();
        for (id, open, group, level) in rows {
            let access = accesses.entry(id).or_insert(match open {
                None => DatasetAccess::Unset,
                Some(1) => DatasetAccess::Open,
                Some(_) => DatasetAccess::Rights(Vec::new()),
            });
            if let (DatasetAccess::Rights(rights), Some(group), Some(level)) =
                (access, group, level)
            {
                rights.push(Right {
                    group,
                    level: decode_level(&level)?,
                });
            }
        }
        Ok(accesses.into_iter().collect())
    }

    /// Replaces a dataset's access (an admin's change).
    async fn set_dataset_access(
        &self,
        dataset: i64,
        access: &DatasetAccess,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE datasets SET access_open = $2 WHERE id = $1")
            .bind(dataset)
            .bind(open_column(access))
            .execute(&mut *tx)
            .await?;
        write_rights(&mut tx, dataset, access).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a dataset this access only when it was never given any (an import never overwrites an
    /// admin's change); true when it did.
    async fn set_dataset_access_if_unset(
        &self,
        dataset: i64,
        access: &DatasetAccess,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE datasets SET access_open = $2 WHERE id = $1 AND access_open IS NULL",
        )
        .bind(dataset)
        .bind(open_column(access))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if changed {
            write_rights(&mut tx, dataset, access).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}

fn open_column(access: &DatasetAccess) -> Option<i64> {
    match access {
        DatasetAccess::Unset => None,
        DatasetAccess::Open => Some(1),
        DatasetAccess::Rights(_) => Some(0),
    }
}

async fn write_rights(
    conn: &mut Conn,
    dataset: i64,
    access: &DatasetAccess,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM dataset_rights WHERE dataset_id = $1")
        .bind(dataset)
        .execute(&mut *conn)
        .await?;
    let DatasetAccess::Rights(rights) = access else {
        return Ok(());
    };
    for right in rights {
        sqlx::query(
            "INSERT INTO dataset_rights (dataset_id, group_name, level) VALUES ($1, $2, $3)
             ON CONFLICT (dataset_id, group_name) DO UPDATE SET level = excluded.level",
        )
        .bind(dataset)
        .bind(&right.group)
        .bind(right.level.as_ref())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn decode_level(text: &str) -> Result<Level, StoreError> {
    text.parse().map_err(|_| {
        StoreError::Sqlx(sqlx::Error::Decode(
            format!("unknown access level {text:?} in dataset_rights").into(),
        ))
    })
}
