//! What a basket selection asks for, as one query string, and how the basket freezes and combines the
//! strings (docs/decisions.md, "Basket selections").

use serde::{Deserialize, Serialize};

use crate::domain::query::{QueryError, parse};
use crate::time::Timestamp;

/// The seed's body: `{"selectAllOpenSearchRequest"?, "ipIds"?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedSelection {
    /// A query selecting objects (empty: every object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_all_open_search_request: Option<String>,
    /// Objects to add (alone) or to leave out (with a query).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_ids: Vec<String>,
}

/// The current REGARDS body: `{"engineType", "datasetUrn"?, "searchParameters"?, "entityIdsToInclude"?,
/// "entityIdsToExclude"?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrentSelection {
    pub engine_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_urn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_parameters: Option<SearchParameters>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_ids_to_include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_ids_to_exclude: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchParameters {
    /// Queries, ANDed.
    #[serde(default)]
    pub q: Vec<String>,
}

/// A selection in either shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Selection {
    Seed(SeedSelection),
    Current(CurrentSelection),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// The seed's message, typo kept (docs/decisions.md).
    #[error("If opensearch request is null, at least on IP_ID must be provided")]
    Empty,
    #[error("Engine type may not be empty")]
    NoEngineType,
    /// A query of the body that does not parse on its own (checked before it is wrapped, so that
    /// `a) OR (*` cannot pass once put in parentheses).
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl Selection {
    /// Tells the shapes apart: a body with `engineType` is the current shape, any other the seed's.
    pub fn from_json(body: serde_json::Value) -> Result<Selection, serde_json::Error> {
        if body.get("engineType").is_some() {
            serde_json::from_value(body).map(Selection::Current)
        } else {
            serde_json::from_value(body).map(Selection::Seed)
        }
    }

    /// The one query string this selection stands for (empty: every object). Values are
    /// percent-decoded, `+` staying `+` (Lucene's "must").
    pub fn to_query(&self) -> Result<String, SelectionError> {
        match self {
            Selection::Seed(seed) => seed_query(seed),
            Selection::Current(current) => current_query(current),
        }
    }
}

/// A query the user wrote, decoded, and checked on its own.
fn user_query(text: &str) -> Result<String, SelectionError> {
    let text = percent_decode(text).trim().to_owned();
    parse(&text)?;
    Ok(text)
}

fn seed_query(seed: &SeedSelection) -> Result<String, SelectionError> {
    let ids = ip_id_disjunction(&seed.ip_ids);
    match (&seed.select_all_open_search_request, ids) {
        (None, None) => Err(SelectionError::Empty),
        (None, Some(ids)) => Ok(ids),
        (Some(all), None) => user_query(all),
        (Some(all), Some(ids)) => {
            let all = user_query(all)?;
            if all.is_empty() {
                Ok(format!("NOT({ids})"))
            } else {
                Ok(format!("({all}) AND NOT({ids})"))
            }
        }
    }
}

fn current_query(current: &CurrentSelection) -> Result<String, SelectionError> {
    if current.engine_type.trim().is_empty() {
        return Err(SelectionError::NoEngineType);
    }
    let mut parts = Vec::new();
    for q in current.search_parameters.iter().flat_map(|p| p.q.iter()) {
        let q = user_query(q)?;
        if !q.is_empty() {
            parts.push(format!("({q})"));
        }
    }
    if let Some(urn) = current
        .dataset_urn
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        parts.push(format!("dataset:{}", quoted(urn.trim())));
    }
    if let Some(ids) = ip_id_disjunction(&current.entity_ids_to_include) {
        parts.push(format!("({ids})"));
    }
    if let Some(ids) = ip_id_disjunction(&current.entity_ids_to_exclude) {
        parts.push(format!("NOT({ids})"));
    }
    Ok(parts.join(" AND "))
}

/// `ipId:"A" OR ipId:"B"`, or nothing for no id.
fn ip_id_disjunction(ids: &[String]) -> Option<String> {
    let ids: Vec<String> = ids
        .iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(|id| format!("ipId:{}", quoted(id)))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" OR "))
}

pub(crate) fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// A selection frozen at `date`: `(<q>) AND creationDate:[* TO <date>]` (just the date bound for the
/// empty query), so that objects imported later never join it.
pub fn freeze(query: &str, date: Timestamp) -> String {
    let bound = format!("creationDate:[* TO {}]", date.to_iso());
    if query.trim().is_empty() {
        bound
    } else {
        format!("({query}) AND {bound}")
    }
}

/// A dataset selection's request: its items' requests ORed, always `((<item 1>) OR (<item 2>) ...)`.
pub fn combine<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| format!("({})", item.as_ref()))
        .collect();
    format!("({})", parts.join(" OR "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::query::parse;

    fn query_of(body: serde_json::Value) -> Result<String, SelectionError> {
        Selection::from_json(body).unwrap().to_query()
    }

    #[test]
    fn seed_bodies_become_one_query() {
        assert_eq!(
            query_of(json!({"ipIds": ["A", "B"]})),
            Ok("ipId:\"A\" OR ipId:\"B\"".into())
        );
        assert_eq!(
            query_of(json!({"selectAllOpenSearchRequest": "level:2"})),
            Ok("level:2".into())
        );
        assert_eq!(
            query_of(json!({"selectAllOpenSearchRequest": ""})),
            Ok(String::new())
        );
        assert_eq!(
            query_of(json!({"selectAllOpenSearchRequest": "level:2", "ipIds": ["A"]})),
            Ok("(level:2) AND NOT(ipId:\"A\")".into())
        );
        assert_eq!(
            query_of(json!({"selectAllOpenSearchRequest": "", "ipIds": ["A"]})),
            Ok("NOT(ipId:\"A\")".into())
        );
        assert_eq!(query_of(json!({})), Err(SelectionError::Empty));
        assert_eq!(query_of(json!({"ipIds": []})), Err(SelectionError::Empty));
    }

    #[test]
    fn values_are_percent_decoded_and_plus_stays_plus() {
        assert_eq!(
            query_of(json!({"selectAllOpenSearchRequest": "+level:2%20-tags:%22x%22"})),
            Ok("+level:2 -tags:\"x\"".into())
        );
    }

    #[test]
    fn current_bodies_and_their_parts() {
        let body = json!({
            "engineType": "legacy",
            "datasetUrn": "URN:AIP:DATASET:P:1:V1",
            "searchParameters": {"q": ["level:2", "a OR b"]},
            "entityIdsToInclude": ["A"],
            "entityIdsToExclude": ["B", "C"],
        });
        assert_eq!(
            query_of(body),
            Ok("(level:2) AND (a OR b) AND dataset:\"URN:AIP:DATASET:P:1:V1\" AND (ipId:\"A\") AND NOT(ipId:\"B\" OR ipId:\"C\")".into())
        );
        assert_eq!(query_of(json!({"engineType": "legacy"})), Ok(String::new()));
        assert_eq!(
            query_of(json!({"engineType": " "})),
            Err(SelectionError::NoEngineType)
        );
    }

    #[test]
    fn frozen_and_combined_requests_parse() {
        let date = Timestamp(1_522_765_200_383);
        assert_eq!(
            freeze("level:2", date),
            "(level:2) AND creationDate:[* TO 2018-04-03T14:20:00.383Z]"
        );
        assert_eq!(
            freeze(" ", date),
            "creationDate:[* TO 2018-04-03T14:20:00.383Z]"
        );
        let items = [freeze("a", date), freeze("", date)];
        let combined = combine(&items);
        assert_eq!(
            combined,
            "(((a) AND creationDate:[* TO 2018-04-03T14:20:00.383Z]) OR (creationDate:[* TO 2018-04-03T14:20:00.383Z]))"
        );
        assert!(parse(&combined).is_ok());
        assert_eq!(
            combine(&[freeze("x", date)]),
            "(((x) AND creationDate:[* TO 2018-04-03T14:20:00.383Z]))"
        );
    }

    #[test]
    fn each_query_is_checked_alone_before_it_is_wrapped() {
        for body in [
            json!({"selectAllOpenSearchRequest": "a) OR (*"}),
            json!({"selectAllOpenSearchRequest": "a) OR (*", "ipIds": ["A"]}),
            json!({"engineType": "legacy", "searchParameters": {"q": ["level:2", "a) OR (*"]}}),
        ] {
            let error = query_of(body.clone()).unwrap_err();
            assert!(
                matches!(&error, SelectionError::Query(q) if q.to_string() == "unexpected ')' at column 2"),
                "{body}: {error}"
            );
        }
    }

    #[test]
    fn quotes_in_ids_are_escaped() {
        assert_eq!(
            query_of(json!({"ipIds": ["a\"b"]})),
            Ok("ipId:\"a\\\"b\"".into())
        );
        assert!(parse(&query_of(json!({"ipIds": ["a\"b\\"]})).unwrap()).is_ok());
    }
}
