mod property;

use super::*;

fn term(field: &str, value: &str) -> Query {
    Query::Term {
        field: Some(FieldRef::new(field)),
        value: value.into(),
    }
}

fn bare(value: &str) -> Query {
    Query::Term {
        field: None,
        value: value.into(),
    }
}

fn clause(occur: Occur, query: Query) -> Clause {
    Clause { occur, query }
}

fn must(query: Query) -> Clause {
    clause(Occur::Must, query)
}

fn should(query: Query) -> Clause {
    clause(Occur::Should, query)
}

fn must_not(query: Query) -> Clause {
    clause(Occur::MustNot, query)
}

fn parsed(text: &str) -> Query {
    parse(text).unwrap_or_else(|error| panic!("{text:?}: {error}"))
}

fn error(text: &str) -> String {
    parse(text).expect_err(text).to_string()
}

#[test]
fn empty_queries_match_everything() {
    assert_eq!(parsed(""), Query::All);
    assert_eq!(parsed("   "), Query::All);
    assert_eq!(parsed("*:*"), Query::All);
    assert_eq!(parsed("*"), Query::All);
    assert_eq!(
        parsed("**"),
        Query::All,
        "found by the fuzzer: ** printed as * parsed differently"
    );
}

#[test]
fn field_value_phrase_and_bare_terms() {
    assert_eq!(parsed("level:2"), term("level", "2"));
    assert_eq!(
        parsed(r#"title:"x y""#),
        Query::Phrase {
            field: Some(FieldRef::new("title")),
            text: "x y".into()
        }
    );
    assert_eq!(parsed("sentinel"), bare("sentinel"));
    assert_eq!(
        parsed(r#""two words""#),
        Query::Phrase {
            field: None,
            text: "two words".into()
        }
    );
}

#[test]
fn values_keep_colons_dashes_and_escapes() {
    assert_eq!(
        parsed("tags:URN:AIP:DATASET:PROJECT:1234:V1"),
        term("tags", "URN:AIP:DATASET:PROJECT:1234:V1")
    );
    assert_eq!(
        parsed("creationDate:2018-04-03T14:20:00.383Z"),
        term("creationDate", "2018-04-03T14:20:00.383Z")
    );
    assert_eq!(parsed("level:-5"), term("level", "-5"));
    assert_eq!(parsed(r"eo\:cloud_cover:10"), term("eo:cloud_cover", "10"));
    assert_eq!(parsed(r"name:a\ b\*c"), term("name", "a b*c"));
    assert_eq!(
        parsed(r#"title:"say \"hi\"""#),
        Query::Phrase {
            field: Some(FieldRef::new("title")),
            text: "say \"hi\"".into()
        }
    );
}

#[test]
fn ranges_inclusive_exclusive_mixed_and_open() {
    let range = |lower, upper| Query::Range {
        field: Some(FieldRef::new("level")),
        lower,
        upper,
    };
    assert_eq!(
        parsed("level:[1 TO 5]"),
        range(Bound::Included("1".into()), Bound::Included("5".into()))
    );
    assert_eq!(
        parsed("level:{1 TO 5}"),
        range(Bound::Excluded("1".into()), Bound::Excluded("5".into()))
    );
    assert_eq!(
        parsed("level:[1 TO 5}"),
        range(Bound::Included("1".into()), Bound::Excluded("5".into()))
    );
    assert_eq!(
        parsed("level:{* TO 5]"),
        range(Bound::Unbounded, Bound::Included("5".into()))
    );
    assert_eq!(
        parsed("level:[1 TO *]"),
        range(Bound::Included("1".into()), Bound::Unbounded)
    );
    assert_eq!(
        parsed(r#"level:["a b" TO "c"]"#),
        range(Bound::Included("a b".into()), Bound::Included("c".into()))
    );
    assert_eq!(
        parsed("creationDate:[* TO 2018-04-03T14:20:00.383Z]"),
        Query::Range {
            field: Some(FieldRef::new("creationDate")),
            lower: Bound::Unbounded,
            upper: Bound::Included("2018-04-03T14:20:00.383Z".into()),
        }
    );
    assert_eq!(
        parsed("level:[-3 TO -1]"),
        range(Bound::Included("-3".into()), Bound::Included("-1".into()))
    );
}

#[test]
fn wildcards_and_exists() {
    assert_eq!(
        parsed("name:ab*c?"),
        Query::Wildcard {
            field: Some(FieldRef::new("name")),
            pattern: vec![
                Wild::Text("ab".into()),
                Wild::Many,
                Wild::Text("c".into()),
                Wild::One
            ],
        }
    );
    assert_eq!(
        parsed("name:**x"),
        Query::Wildcard {
            field: Some(FieldRef::new("name")),
            pattern: vec![Wild::Many, Wild::Text("x".into())],
        }
    );
    assert_eq!(
        parsed("name:*"),
        Query::Exists {
            field: FieldRef::new("name")
        }
    );
    assert_eq!(parsed(r"name:a\*"), term("name", "a*"));
}

#[test]
fn boolean_operators_follow_lucene() {
    // Default operator OR.
    assert_eq!(
        parsed("a b"),
        Query::Bool(vec![should(bare("a")), should(bare("b"))])
    );
    assert_eq!(parsed("a OR b"), parsed("a b"));
    assert_eq!(parsed("a || b"), parsed("a b"));
    assert_eq!(
        parsed("a AND b"),
        Query::Bool(vec![must(bare("a")), must(bare("b"))])
    );
    assert_eq!(parsed("a && b"), parsed("a AND b"));
    // AND binds its two sides; the OR after it leaves c optional: +a +b c.
    assert_eq!(
        parsed("a AND b OR c"),
        Query::Bool(vec![must(bare("a")), must(bare("b")), should(bare("c"))])
    );
    assert_eq!(
        parsed("a AND NOT b"),
        Query::Bool(vec![must(bare("a")), must_not(bare("b"))])
    );
    assert_eq!(parsed("a && !b"), parsed("a AND NOT b"));
    assert_eq!(
        parsed("+a -b c"),
        Query::Bool(vec![
            must(bare("a")),
            must_not(bare("b")),
            should(bare("c"))
        ])
    );
    assert_eq!(parsed("NOT a"), Query::Bool(vec![must_not(bare("a"))]));
    // A prohibited clause stays prohibited when AND follows it.
    assert_eq!(
        parsed("-a AND b"),
        Query::Bool(vec![must_not(bare("a")), must(bare("b"))])
    );
    assert_eq!(parsed("and"), bare("and"), "lowercase operators are terms");
}

#[test]
fn parentheses_and_field_groups() {
    assert_eq!(
        parsed("a AND (b OR c)"),
        Query::Bool(vec![
            must(bare("a")),
            must(Query::Bool(vec![should(bare("b")), should(bare("c"))]))
        ])
    );
    assert_eq!(parsed("((a))"), bare("a"));
    assert_eq!(
        parsed("level:(1 OR 2)"),
        Query::Bool(vec![should(term("level", "1")), should(term("level", "2"))])
    );
    assert_eq!(
        parsed("level:(1 OR other:2)"),
        Query::Bool(vec![should(term("level", "1")), should(term("other", "2"))])
    );
    assert_eq!(
        parsed(r#"NOT(ipId:"A" OR ipId:"B")"#),
        Query::Bool(vec![must_not(Query::Bool(vec![
            should(Query::Phrase {
                field: Some(FieldRef::new("ipId")),
                text: "A".into()
            }),
            should(Query::Phrase {
                field: Some(FieldRef::new("ipId")),
                text: "B".into()
            }),
        ]))])
    );
}

#[test]
fn the_regards_example_parses() {
    let query = parsed(
        r#"tags:"URN:AIP:DATASET:PROJECT:x:V1" AND creationDate:[* TO 2018-04-03T14:20:00.383Z] AND (level:2 OR title:"x y")"#,
    );
    let Query::Bool(clauses) = query else {
        panic!("not a boolean query")
    };
    assert_eq!(clauses.len(), 3);
    assert!(clauses.iter().all(|c| c.occur == Occur::Must));
}

#[test]
fn syntax_errors_say_what_and_where() {
    assert_eq!(
        error("a AND"),
        "expected a term after an operator at column 6"
    );
    assert_eq!(error("AND a"), "'AND' with nothing before it at column 1");
    assert_eq!(error("(a OR b"), "missing ')' for this '(' at column 1");
    assert_eq!(error("a)"), "unexpected ')' at column 2");
    assert_eq!(error("()"), "empty query or group at column 2");
    assert_eq!(
        error(r#"title:"open"#),
        "unterminated phrase (missing closing '\"') at column 7"
    );
    assert_eq!(error("level:[1 5]"), "expected 'TO' in range at column 10");
    assert_eq!(
        error("level:[1 TO 5"),
        "expected ']' or '}' to close the range at column 14"
    );
    assert_eq!(
        error("a~2"),
        "fuzzy and proximity searches ('~') are not supported at column 2"
    );
    assert_eq!(error("a^2"), "boosts ('^') are not supported at column 2");
    assert_eq!(
        error("/ab/"),
        "regular expressions ('/') are not supported at column 1"
    );
    assert_eq!(error("a\\"), "dangling escape character '\\' at column 2");
    assert_eq!(error("level:"), "expected a term at column 7");
    assert_eq!(
        error("na*me:x"),
        "wildcards are not allowed in a field name at column 1"
    );
    assert_eq!(
        error("level:[1* TO 2]"),
        "wildcards are not allowed in a range at column 8"
    );
    assert_eq!(
        error("*:x"),
        "the field '*' only takes the value '*' at column 3"
    );
}

#[test]
fn printing_is_canonical() {
    let query = parsed(r#"a AND b:"x y" OR -c:[1 TO *} eo\:cc:v* d:(e f)"#);
    // An open bound has no inclusiveness: `*}` prints as `*]`.
    assert_eq!(
        query.to_string(),
        r#"(+a +b:"x y" -c:["1" TO *] eo\:cc:v* (d:e d:f))"#
    );
}

#[test]
fn a_query_has_a_budget_of_terms_and_wildcards() {
    let terms = |n: usize, value: &str| {
        (0..n)
            .map(|i| format!("providerId:{value}{i}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    assert!(parse(&terms(MAX_TERMS, "p")).is_ok());
    let over = error(&terms(MAX_TERMS + 1, "p"));
    assert!(
        over.starts_with("more than 1024 terms in one query (the budget of a query is 1024 terms, 100 of them with wildcards)"),
        "{over}"
    );
    assert!(parse(&terms(MAX_WILDCARDS, "p*x")).is_ok());
    let over = error(&terms(MAX_WILDCARDS + 1, "p*x"));
    assert!(
        over.starts_with("more than 100 wildcard terms in one query"),
        "{over}"
    );
}
