//! Access rights of datasets (REGARDS access groups, docs/decisions.md "Access rights"): which datasets a
//! user may see (metadata) and which they may put in a basket, order and download (data).
//!
//! A dataset is open, or carries rights `[{group, level}]`, or was never given rights (then the
//! `[access] default` applies). A viewer is everyone (ADMIN and above, and orders they placed) or a set
//! of groups. The rule (`Rule`) is data: the store writes it into the statements that read datasets,
//! objects and files, so it is applied where the data is read (`store::access`).

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
    /// The levels that grant `need`.
    pub fn granting(need: Need) -> &'static [Level] {
        match need {
            Need::Metadata => &[Level::RestrictedAccess, Level::FullAccess],
            Need::Data => &[Level::FullAccess],
        }
    }
}

/// Who looks at the catalog: everyone's data (ADMIN and above) or the union of some groups' rights.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// The datasets this viewer may use for `need`, when datasets never given rights are
    /// `default_open`: every dataset for admins, else the rule the database applies.
    pub fn scope(&self, need: Need, default_open: bool) -> Scope {
        match self {
            Viewer::All => Scope::All,
            Viewer::Groups(groups) => Scope::Rule(Rule {
                groups: groups.iter().cloned().collect(),
                need,
                default_open,
            }),
        }
    }
}

/// The rule of access, for one viewer and one need: a dataset is allowed when it is open, when it was
/// never given rights and `default_open`, or when one of `groups` has a right of a level granting `need`.
/// The store writes it into statements (`store::access`), so that it is applied where the data is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub groups: Vec<String>,
    pub need: Need,
    pub default_open: bool,
}

/// The datasets a query may read: all of them, only these (possibly none), or those a rule allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(Vec<i64>),
    Rule(Rule),
}

/// A set of datasets read from the database: all, or these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datasets {
    All,
    Only(BTreeSet<i64>),
}

impl Datasets {
    /// These datasets, as the scope of a statement.
    pub fn scope(&self) -> Scope {
        match self {
            Datasets::All => Scope::All,
            Datasets::Only(ids) => Scope::Only(ids.iter().copied().collect()),
        }
    }

    pub fn contains(&self, dataset: i64) -> bool {
        match self {
            Datasets::All => true,
            Datasets::Only(ids) => ids.contains(&dataset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_have_their_groups_and_the_public_ones_and_admins_everything() {
        let groups = vec!["A".to_owned(), String::new()];
        let user = Viewer::of_user(false, &groups, &["public".into()]);
        assert_eq!(
            user.scope(Need::Data, true),
            Scope::Rule(Rule {
                groups: vec!["A".into(), "public".into()],
                need: Need::Data,
                default_open: true,
            })
        );
        assert_eq!(
            Viewer::of_user(true, &groups, &[]).scope(Need::Data, false),
            Scope::All
        );
    }

    #[test]
    fn metadata_is_granted_by_both_levels_and_data_by_full_access_only() {
        assert_eq!(Level::granting(Need::Metadata).len(), 2);
        assert_eq!(Level::granting(Need::Data), &[Level::FullAccess]);
        assert!(Datasets::Only(BTreeSet::from([3])).contains(3));
        assert!(!Datasets::Only(BTreeSet::new()).contains(3));
    }
}
