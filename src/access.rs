//! Access rights of datasets, as a service (docs/decisions.md "Access rights"): who a caller is for the
//! rights (`viewer`), which datasets a query may read (`scope`, turned into SQL by the store), and the
//! admin's reads and changes of a dataset's rights.

use crate::auth::Caller;
use crate::config::AccessConfig;
use crate::domain::access::{DatasetAccess, Datasets, Level, Need, Right, Scope, Viewer};
use crate::store::{DatasetRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("Dataset {0} is unknown")]
    UnknownDataset(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The caller, for the rights: ADMIN and above see everything; others their token's groups and the
/// public groups.
pub fn viewer(config: &AccessConfig, caller: &Caller) -> Viewer {
    Viewer::of_user(caller.is_admin(), &caller.groups, &config.public_groups)
}

/// The datasets `viewer` may use for `need`, as a scope the store applies in the statement itself.
pub fn scope(config: &AccessConfig, viewer: &Viewer, need: Need) -> Scope {
    viewer.scope(need, config.default_open())
}

/// The datasets `viewer` may use for `need`, read now (for checks made one dataset at a time).
pub async fn datasets(
    store: &dyn Store,
    config: &AccessConfig,
    viewer: &Viewer,
    need: Need,
) -> Result<Datasets, StoreError> {
    store.datasets_in(&scope(config, viewer, need)).await
}

/// A dataset and its stored access.
#[derive(Debug, Clone)]
pub struct DatasetRights {
    pub dataset: DatasetRow,
    pub access: DatasetAccess,
}

/// Every dataset with its access, by label.
pub async fn list(store: &dyn Store) -> Result<Vec<DatasetRights>, StoreError> {
    let accesses: std::collections::HashMap<i64, DatasetAccess> =
        store.dataset_accesses().await?.into_iter().collect();
    Ok(store
        .datasets()
        .await?
        .into_iter()
        .map(|dataset| DatasetRights {
            access: accesses
                .get(&dataset.id)
                .cloned()
                .unwrap_or(DatasetAccess::Unset),
            dataset,
        })
        .collect())
}

/// One dataset's rights, the dataset named by its ipId or else its collection id (providerId).
pub async fn get(store: &dyn Store, name: &str) -> Result<DatasetRights, AccessError> {
    let all = list(store).await?;
    let by_ip_id = all.iter().position(|r| r.dataset.ip_id == name);
    let found = by_ip_id.or_else(|| all.iter().position(|r| r.dataset.provider_id == name));
    found
        .map(|n| all[n].clone())
        .ok_or_else(|| AccessError::UnknownDataset(name.to_owned()))
}

/// Replaces one dataset's rights; a group named twice keeps its highest level.
pub async fn set(
    store: &dyn Store,
    name: &str,
    access: DatasetAccess,
) -> Result<DatasetRights, AccessError> {
    let current = get(store, name).await?;
    let access = normalized(access)?;
    store
        .set_dataset_access(current.dataset.id, &access)
        .await?;
    Ok(DatasetRights {
        dataset: current.dataset,
        access,
    })
}

/// Rights sorted by group, each group once (its highest level), no empty group name.
pub fn normalized(access: DatasetAccess) -> Result<DatasetAccess, AccessError> {
    let DatasetAccess::Rights(rights) = access else {
        return Ok(access);
    };
    let mut by_group: std::collections::BTreeMap<String, Level> = Default::default();
    for right in rights {
        let group = right.group.trim().to_owned();
        if group.is_empty() {
            return Err(AccessError::Invalid(
                "A right needs a group: \"group\" is empty".into(),
            ));
        }
        let level = by_group.entry(group).or_insert(right.level);
        *level = (*level).max(right.level);
    }
    Ok(DatasetAccess::Rights(
        by_group
            .into_iter()
            .map(|(group, level)| Right { group, level })
            .collect(),
    ))
}
