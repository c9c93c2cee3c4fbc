//! The admin search of orders (docs/decisions.md, "Admin search filter body"): the filter body of `POST /orders/search` and `/orders/csv`,
//! the seed's `?user=`, and `sort=field,dir`; checked here into an [`OrderFilter`] the store turns into SQL.

use serde::Deserialize;

use super::order::OrderStatus;
use crate::time::Timestamp;

/// Most values a status restriction may list.
pub const MAX_STATUS_VALUES: usize = 1000;

/// The filter body (REGARDS `SearchRequestParameters`); every part is optional and they are ANDed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchRequest {
    /// Orders whose owner contains this text (case-sensitive).
    pub owner: Option<String>,
    pub statuses: Option<StatusRestriction>,
    pub creation_date: Option<DateBounds>,
    /// Orders with available files waiting for their download (true), or without (false).
    pub waiting_for_user: Option<bool>,
}

/// Which statuses: the values, and whether orders in them are kept (INCLUDE) or left out (EXCLUDE).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusRestriction {
    /// Status names (or parts of them with a `matchMode` other than STRICT); 1 to 1000 values with INCLUDE.
    pub values: Vec<String>,
    #[serde(default)]
    pub mode: RestrictionMode,
    #[serde(default)]
    pub match_mode: MatchMode,
    #[serde(default)]
    pub ignore_case: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RestrictionMode {
    #[default]
    Include,
    Exclude,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchMode {
    #[default]
    Strict,
    StartsWith,
    Contains,
    EndsWith,
}

/// Inclusive bounds on the creation date.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateBounds {
    pub after: Option<Timestamp>,
    pub before: Option<Timestamp>,
}

/// A checked filter: what the store's SQL needs, nothing left to interpret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Exactly this owner (the seed's `?user=`).
    pub owner_is: Option<String>,
    /// An owner containing this text.
    pub owner_contains: Option<String>,
    /// Only these statuses (possibly none: then no order matches).
    pub statuses: Option<Vec<OrderStatus>>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    pub waiting_for_user: Option<bool>,
}

impl SearchRequest {
    /// Checks the request; the messages say what is wrong (422).
    pub fn filter(&self) -> Result<OrderFilter, Vec<String>> {
        let mut errors = Vec::new();
        let statuses = match &self.statuses {
            None => None,
            Some(restriction) => match restriction.statuses() {
                Ok(statuses) => Some(statuses),
                Err(message) => {
                    errors.push(message);
                    None
                }
            },
        };
        let (created_after, created_before) = self
            .creation_date
            .as_ref()
            .map_or((None, None), |bounds| (bounds.after, bounds.before));
        if let (Some(after), Some(before)) = (created_after, created_before)
            && after > before
        {
            errors.push(format!(
                "creationDate.after ({}) is later than creationDate.before ({})",
                after.to_iso(),
                before.to_iso()
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(OrderFilter {
            owner_is: None,
            owner_contains: self.owner.clone().filter(|owner| !owner.is_empty()),
            statuses,
            created_after,
            created_before,
            waiting_for_user: self.waiting_for_user,
        })
    }
}

impl StatusRestriction {
    /// The statuses kept, in the order of [`OrderStatus::ALL`].
    fn statuses(&self) -> Result<Vec<OrderStatus>, String> {
        if self.values.len() > MAX_STATUS_VALUES {
            return Err(format!(
                "statuses.values lists {} values, at most {MAX_STATUS_VALUES} are allowed",
                self.values.len()
            ));
        }
        if self.values.is_empty() && self.mode == RestrictionMode::Include {
            return Err("statuses.values must not be empty with mode INCLUDE".into());
        }
        let fold = |text: &str| {
            if self.ignore_case {
                text.to_uppercase()
            } else {
                text.to_owned()
            }
        };
        if self.match_mode == MatchMode::Strict {
            let unknown: Vec<&str> = self
                .values
                .iter()
                .filter(|value| {
                    !OrderStatus::ALL
                        .iter()
                        .any(|status| fold(status.as_str()) == fold(value))
                })
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                let known: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
                return Err(format!(
                    "Unknown order status in statuses.values: {} (known: {})",
                    unknown.join(", "),
                    known.join(", ")
                ));
            }
        }
        let matches = |status: OrderStatus| {
            let name = fold(status.as_str());
            self.values.iter().any(|value| {
                let value = fold(value);
                match self.match_mode {
                    MatchMode::Strict => name == value,
                    MatchMode::StartsWith => name.starts_with(&value),
                    MatchMode::Contains => name.contains(&value),
                    MatchMode::EndsWith => name.ends_with(&value),
                }
            })
        };
        let include = self.mode == RestrictionMode::Include;
        Ok(OrderStatus::ALL
            .into_iter()
            .filter(|status| matches(*status) == include)
            .collect())
    }
}

/// A column the admin list may be sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Id,
    Owner,
    Label,
    CreationDate,
    ExpirationDate,
    Status,
    StatusDate,
}

impl SortField {
    const NAMES: [(&'static str, SortField); 7] = [
        ("id", SortField::Id),
        ("owner", SortField::Owner),
        ("label", SortField::Label),
        ("creationDate", SortField::CreationDate),
        ("expirationDate", SortField::ExpirationDate),
        ("status", SortField::Status),
        ("statusDate", SortField::StatusDate),
    ];

    pub fn column(self) -> &'static str {
        match self {
            SortField::Id => "id",
            SortField::Owner => "owner",
            SortField::Label => "label",
            SortField::CreationDate => "creation_date",
            SortField::ExpirationDate => "expiration_date",
            SortField::Status => "status",
            SortField::StatusDate => "status_date",
        }
    }
}

/// One `sort=field,dir` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

/// The sort of the admin list: the keys given, else `creationDate,DESC`; `id` breaks ties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort(pub Vec<SortKey>);

impl Sort {
    /// Parses every `sort` parameter (`field`, `field,asc` or `field,desc`, any case for the direction).
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Sort, String> {
        let mut keys = Vec::new();
        for value in values {
            let (name, direction) = match value.split_once(',') {
                Some((name, direction)) => (name.trim(), direction.trim()),
                None => (value.trim(), "asc"),
            };
            let field = SortField::NAMES
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, field)| *field)
                .ok_or_else(|| {
                    let known: Vec<&str> = SortField::NAMES.iter().map(|(n, _)| *n).collect();
                    format!(
                        "Cannot sort on {name:?}: sort=<field>[,asc|desc] with a field among {}",
                        known.join(", ")
                    )
                })?;
            let descending = match direction.to_ascii_lowercase().as_str() {
                "asc" => false,
                "desc" => true,
                _ => {
                    return Err(format!(
                        "Unknown sort direction {direction:?} in sort={value:?}: asc or desc"
                    ));
                }
            };
            keys.push(SortKey { field, descending });
        }
        if keys.is_empty() {
            keys.push(SortKey {
                field: SortField::CreationDate,
                descending: true,
            });
        }
        Ok(Sort(keys))
    }

    /// The `ORDER BY` list, ending with the id so that pages never overlap.
    pub fn order_by(&self) -> String {
        let mut parts: Vec<String> = self
            .0
            .iter()
            .map(|key| {
                let direction = if key.descending { "DESC" } else { "ASC" };
                format!("{} {direction}", key.field.column())
            })
            .collect();
        if !self.0.iter().any(|key| key.field == SortField::Id) {
            let last_descending = self.0.last().is_some_and(|key| key.descending);
            parts.push(if last_descending { "id DESC" } else { "id ASC" }.into());
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests;
