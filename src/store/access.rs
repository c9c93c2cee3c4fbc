//! Access rights of datasets (docs/decisions.md "Access rights"): `datasets.access_open` (NULL: never
//! given rights) and the `dataset_rights` rows of the datasets that carry rights.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{Conn, Database, StoreError};
use crate::domain::access::{DatasetAccess, Level, Right};

#[async_trait]
pub trait AccessStore: Database {
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

    /// One dataset's access; `None` for an unknown dataset.
    async fn dataset_access(&self, dataset: i64) -> Result<Option<DatasetAccess>, StoreError> {
        Ok(self
            .dataset_accesses()
            .await?
            .into_iter()
            .find(|(id, _)| *id == dataset)
            .map(|(_, access)| access))
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
