//! Property tests: any query the generators make prints to a text that parses back to it, and translates
//! into SQL with one placeholder per parameter.

use proptest::prelude::*;

use super::super::*;

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("level".to_owned()),
        Just("ipId".to_owned()),
        Just("eo:cloud_cover".to_owned()),
        "[a-zA-Z][a-zA-Z0-9_.:-]{0,8}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,6}",
        Just("AND".to_owned()),
        Just("TO".to_owned()),
        "[ -~]{1,8}",
        "\\PC{1,4}",
    ]
}

fn field() -> impl Strategy<Value = Option<FieldRef>> {
    proptest::option::of(field_name().prop_map(FieldRef::new))
}

fn bound() -> impl Strategy<Value = Bound> {
    prop_oneof![
        Just(Bound::Unbounded),
        text().prop_map(Bound::Included),
        text().prop_map(Bound::Excluded),
        Just(Bound::Included(String::new())),
    ]
}

fn wild() -> impl Strategy<Value = Vec<Wild>> {
    let part = prop_oneof![
        text().prop_map(Wild::Text),
        Just(Wild::Many),
        Just(Wild::One)
    ];
    proptest::collection::vec(part, 1..5).prop_map(normalize_pattern)
}

/// The form the parser produces: adjacent texts joined, runs of `*` collapsed, at least one wildcard.
fn normalize_pattern(parts: Vec<Wild>) -> Vec<Wild> {
    let mut pattern: Vec<Wild> = Vec::new();
    for part in parts {
        match (part, pattern.last_mut()) {
            (Wild::Text(more), Some(Wild::Text(text))) => text.push_str(&more),
            (Wild::Many, Some(Wild::Many)) => {}
            (part, _) => pattern.push(part),
        }
    }
    if pattern.iter().all(|p| matches!(p, Wild::Text(_))) {
        pattern.push(Wild::One);
    }
    pattern
}

fn leaf() -> impl Strategy<Value = Query> {
    prop_oneof![
        Just(Query::All),
        (field(), text()).prop_map(|(field, value)| Query::Term { field, value }),
        (field(), "\\PC{0,6}").prop_map(|(field, text)| Query::Phrase { field, text }),
        (field(), wild()).prop_map(|(field, pattern)| match (&field, pattern.as_slice()) {
            // `f:*` is Exists and a lone `*` is All: the parser never gives those as wildcards.
            (Some(field), [Wild::Many]) => Query::Exists {
                field: field.clone()
            },
            (None, [Wild::Many]) => Query::All,
            _ => Query::Wildcard { field, pattern },
        }),
        field_name().prop_map(|name| Query::Exists {
            field: FieldRef::new(name)
        }),
        (field(), bound(), bound()).prop_map(|(field, lower, upper)| Query::Range {
            field,
            lower,
            upper
        }),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    leaf().prop_recursive(4, 32, 5, |inner| {
        let occur = prop_oneof![Just(Occur::Must), Just(Occur::Should), Just(Occur::MustNot)];
        proptest::collection::vec((occur, inner), 1..5).prop_map(|clauses| {
            let clauses: Vec<Clause> = clauses
                .into_iter()
                .map(|(occur, query)| Clause { occur, query })
                .collect();
            // A single optional clause is the clause itself, as the parser gives it.
            if clauses.len() == 1 && clauses[0].occur == Occur::Should {
                clauses.into_iter().next().unwrap().query
            } else {
                Query::Bool(clauses)
            }
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printing_then_parsing_gives_the_same_ast(query in query()) {
        let text = query.to_string();
        let reparsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(reparsed, query, "printed as {:?}", text);
    }

    #[test]
    fn any_string_parses_or_fails_with_a_column(text in "\\PC{0,40}") {
        match parse(&text) {
            Ok(query) => { parse(&query.to_string()).unwrap(); }
            Err(error) => prop_assert!(error.column >= 1 && error.column <= text.chars().count() + 1, "{error}"),
        }
    }
}

/// The `$n` placeholders of a SQL text.
fn placeholders(sql: &str) -> std::collections::BTreeSet<usize> {
    let mut found = std::collections::BTreeSet::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits: String = sql[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                found.insert(n);
            }
            i += digits.len();
        }
        i += 1;
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Every value bound is used, and every placeholder has its value, on both dialects.
    #[test]
    fn sql_placeholders_match_their_parameters(query in query()) {
        use std::collections::HashMap;
        use super::sql::{Dialect, ValueType, to_sql};
        let properties = HashMap::from([
            ("level".to_owned(), ValueType::Text),
            ("eo:cloud_cover".to_owned(), ValueType::Text),
        ]);
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            if let Ok(condition) = to_sql(&query, &properties, dialect) {
                let expected: std::collections::BTreeSet<usize> = (1..=condition.params.len()).collect();
                prop_assert_eq!(placeholders(&condition.sql), expected, "{}", condition.sql);
            }
        }
    }
}
