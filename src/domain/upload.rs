//! A list of providerIds uploaded to the basket (docs/decisions.md "Basket upload and file filters"): one
//! per line, trimmed, blank lines ignored; at most `MAX_LINES`; every `CHUNK` ids become one selection
//! `providerId:("a" OR "b" ...)`, as REGARDS writes them.

use super::selection::{CurrentSelection, SearchParameters, Selection, quoted};

/// The most providerIds one upload may hold (blank lines do not count).
pub const MAX_LINES: usize = 1000;
/// The providerIds of one selection.
pub const CHUNK: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error(
        "The file holds {0} providerIds, more than the {MAX_LINES} one upload may hold: split it into several files"
    )]
    TooManyLines(usize),
    #[error("The file holds no providerId")]
    Empty,
}

/// The selections of an uploaded list, in the order of its lines.
pub fn selections(text: &str) -> Result<Vec<Selection>, UploadError> {
    let ids: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if ids.len() > MAX_LINES {
        return Err(UploadError::TooManyLines(ids.len()));
    }
    if ids.is_empty() {
        return Err(UploadError::Empty);
    }
    Ok(ids.chunks(CHUNK).map(selection_of).collect())
}

/// The current REGARDS body of one chunk: engine `legacy`, the query as a `q` parameter (percent signs
/// encoded, since a body's parameters are read percent-decoded).
fn selection_of(ids: &[&str]) -> Selection {
    let alternatives: Vec<String> = ids.iter().map(|id| quoted(id)).collect();
    let query = format!("providerId:({})", alternatives.join(" OR "));
    Selection::Current(CurrentSelection {
        engine_type: "legacy".into(),
        search_parameters: Some(SearchParameters {
            q: vec![query.replace('%', "%25")],
        }),
        ..CurrentSelection::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_blank_ones_ignored_and_chunked_by_a_hundred() {
        let mut text = String::from("\n  a \r\n\n\"quoted\\\" 100%\t\n");
        for n in 0..199 {
            text.push_str(&format!("id-{n}\n\n"));
        }
        let found = selections(&text).unwrap();
        assert_eq!(found.len(), 3, "201 ids: 100 + 100 + 1");
        let first = found[0].to_query().unwrap();
        assert!(
            first.starts_with(r#"(providerId:("a" OR "\"quoted\\\" 100%" OR "id-0""#),
            "{first}"
        );
        crate::domain::query::parse(&first).unwrap();
        assert_eq!(found[2].to_query().unwrap(), r#"(providerId:("id-198"))"#);
    }

    #[test]
    fn a_thousand_ids_pass_one_more_does_not_and_none_is_empty() {
        let ids = |n: usize| (0..n).map(|i| format!("p{i}\n\n")).collect::<String>();
        assert_eq!(selections(&ids(1000)).unwrap().len(), 10);
        assert_eq!(selections(&ids(1001)), Err(UploadError::TooManyLines(1001)));
        assert_eq!(selections(" \n\t\n"), Err(UploadError::Empty));
    }
}
