//! Access rights of datasets (REGARDS access groups, docs/decisions.md "Access rights"): which datasets a
//! user may see (metadata) and which they may put in a basket, order and download (data).
//!
//! A dataset is open, or carries rights `[{group, level}]`, or was never given rights (then the
//! `[access] default` applies). A viewer is everyone (ADMIN and above, and orders they placed) or a set
//! of groups. The rule is pure; the store turns its answer into a dataset list for SQL (`Scope`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use strum::{AsRefStr, Display, EnumString, IntoStaticStr};

/// What a right grants (REGARDS' names).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    EnumString,
    IntoStaticStr,
    AsRefStr,
    Display,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// The dataset and its objects are visible in the catalog; their files cannot be ordered.
    RestrictedAccess,
    /// Metadata and data.
    FullAccess,
}

/// One group's right on a dataset.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Right {
    pub group: String,
    pub level: Level,
}

/// The access of one dataset, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetAccess {
    /// Never given rights: `[access] default` decides.
    Unset,
    /// Every user sees and orders it.
    Open,
    /// Only these groups (none: admins only).
    Rights(Vec<Right>),
}

/// What the caller wants to do with a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// See the dataset and its objects in the catalog.
    Metadata,
    /// Put its files in a basket, order and download them.
    Data,
}

impl Level {
    fn grants(self, need: Need) -> bool {
        match need {
            Need::Metadata => true,
            Need::Data => self == Level::FullAccess,
        }
    }
}

/// Who looks at the catalog: everyone's data (ADMIN and above) or the union of some groups' rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Viewer {
    All,
    Groups(BTreeSet<String>),
}

impl Viewer {
    /// A user's viewer: the token's groups plus the public groups every user has; admins see everything.
    pub fn of_user(is_admin: bool, groups: &[String], public_groups: &[String]) -> Viewer {
        if is_admin {
            return Viewer::All;
        }
        let groups = groups
            .iter()
            .chain(public_groups)
            .filter(|group| !group.is_empty())
            .cloned()
            .collect();
        Viewer::Groups(groups)
    }

    /// May this viewer do `need` with a dataset of this access, when unset datasets are `default_open`?
    pub fn may(&self, access: &DatasetAccess, default_open: bool, need: Need) -> bool {
        let groups = match self {
            Viewer::All => return true,
            Viewer::Groups(groups) => groups,
        };
        match access {
            DatasetAccess::Unset => default_open,
            DatasetAccess::Open => true,
            DatasetAccess::Rights(rights) => rights
                .iter()
                .any(|right| right.level.grants(need) && groups.contains(&right.group)),
        }
    }

    /// The datasets (of `datasets`, with their access) this viewer may use for `need`.
    pub fn scope(
        &self,
        datasets: &[(i64, DatasetAccess)],
        default_open: bool,
        need: Need,
    ) -> Scope {
        match self {
            Viewer::All => Scope::All,
            Viewer::Groups(_) => Scope::Only(
                datasets
                    .iter()
                    .filter(|(_, access)| self.may(access, default_open, need))
                    .map(|(id, _)| *id)
                    .collect(),
            ),
        }
    }
}

/// The datasets a query may read: all of them, or only these (possibly none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(Vec<i64>),
}

impl Scope {
    pub fn contains(&self, dataset: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(ids) => ids.contains(&dataset),
        }
    }

    /// This scope narrowed to one dataset: `None` when the dataset is outside it.
    pub fn narrowed_to(&self, dataset: i64) -> Option<Scope> {
        self.contains(dataset).then(|| Scope::Only(vec![dataset]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn right(group: &str, level: Level) -> Right {
        Right {
            group: group.into(),
            level,
        }
    }

    fn user(groups: &[&str]) -> Viewer {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        Viewer::of_user(false, &groups, &["public".into()])
    }

    #[test]
    fn levels_grant_metadata_or_data_to_their_group_only() {
        let access = DatasetAccess::Rights(vec![
            right("A", Level::RestrictedAccess),
            right("B", Level::FullAccess),
        ]);
        for (viewer, metadata, data) in [
            (user(&[]), false, false),
            (user(&["A"]), true, false),
            (user(&["B"]), true, true),
            (user(&["A", "B"]), true, true),
            (Viewer::of_user(true, &[], &[]), true, true),
        ] {
            assert_eq!(viewer.may(&access, true, Need::Metadata), metadata);
            assert_eq!(viewer.may(&access, true, Need::Data), data);
        }
    }

    #[test]
    fn unset_datasets_follow_the_default_and_empty_rights_close_to_all_but_admins() {
        let nobody = user(&["A"]);
        assert!(nobody.may(&DatasetAccess::Unset, true, Need::Data));
        assert!(!nobody.may(&DatasetAccess::Unset, false, Need::Metadata));
        assert!(nobody.may(&DatasetAccess::Open, false, Need::Data));
        assert!(!nobody.may(&DatasetAccess::Rights(vec![]), true, Need::Metadata));
        assert!(Viewer::All.may(&DatasetAccess::Rights(vec![]), false, Need::Data));
    }

    #[test]
    fn public_groups_count_for_every_user() {
        let access = DatasetAccess::Rights(vec![right("public", Level::FullAccess)]);
        assert!(user(&[]).may(&access, false, Need::Data));
    }

    #[test]
    fn scopes_list_the_allowed_datasets_and_admins_read_all() {
        let datasets = vec![
            (1, DatasetAccess::Open),
            (
                2,
                DatasetAccess::Rights(vec![right("A", Level::RestrictedAccess)]),
            ),
            (3, DatasetAccess::Unset),
        ];
        let a = user(&["A"]);
        assert_eq!(
            a.scope(&datasets, false, Need::Metadata),
            Scope::Only(vec![1, 2])
        );
        assert_eq!(
            a.scope(&datasets, true, Need::Data),
            Scope::Only(vec![1, 3])
        );
        assert_eq!(Viewer::All.scope(&datasets, false, Need::Data), Scope::All);
        assert_eq!(Scope::Only(vec![1]).narrowed_to(2), None);
    }
}
