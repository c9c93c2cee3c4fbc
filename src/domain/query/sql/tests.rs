use super::patterns::{glob, like, successor};
use super::*;
use crate::domain::query::parse;

fn sql(text: &str) -> Condition {
    let properties = HashMap::from([
        ("level".to_owned(), ValueType::Number),
        ("datetime".to_owned(), ValueType::Date),
        ("platform".to_owned(), ValueType::Text),
    ]);
    to_sql(&parse(text).unwrap(), &properties, Dialect::Sqlite)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn error(text: &str) -> String {
    to_sql(&parse(text).unwrap(), &HashMap::new(), Dialect::Postgres)
        .unwrap_err()
        .to_string()
}

#[test]
fn fields_map_to_columns_and_typed_values() {
    let condition = sql("providerId:abc");
    assert_eq!(condition.sql, "o.provider_id = $1");
    assert_eq!(condition.params, [SqlParam::Text("abc".into())]);

    let condition = sql("creationDate:[* TO 2018-04-03T14:20:00.383Z]");
    assert_eq!(condition.sql, "(o.creation_date <= $1)");
    assert_eq!(condition.params, [SqlParam::Int(1_522_765_200_383)]);

    let condition = sql("properties.level:{1 TO 5]");
    assert!(
        condition
            .sql
            .contains("p.num_value > $2 AND p.num_value <= $3"),
        "{}",
        condition.sql
    );
    assert_eq!(
        condition.params,
        [
            SqlParam::Text("level".into()),
            SqlParam::Float(1.0),
            SqlParam::Float(5.0)
        ]
    );
}

#[test]
fn booleans_follow_lucene_and_pure_negation_means_all_but() {
    assert_eq!(
        sql("a AND b OR c").sql,
        "(instr(o.label_words, $1) > 0 AND instr(o.label_words, $2) > 0)"
    );
    assert_eq!(
        sql("a b").sql,
        "((instr(o.label_words, $1) > 0 OR instr(o.label_words, $2) > 0))"
    );
    assert_eq!(sql("NOT ipId:x").sql, "(NOT (o.ip_id = $1))");
}

#[test]
fn conditions_say_when_they_only_read_datasets_and_dates() {
    for text in [
        "",
        "creationDate:[* TO 2020-01-01]",
        "dataset:x AND NOT creationDate:2020-01-01",
        "dataset:*",
    ] {
        assert!(sql(text).dataset_and_date_only, "{text}");
    }
    for text in [
        "x",
        "dataset:x AND level:1",
        "tags:x",
        "lastUpdate:*",
        "dataset:x OR providerId:y",
    ] {
        assert!(!sql(text).dataset_and_date_only, "{text}");
    }
}

#[test]
fn prefixes_use_ranges_and_other_patterns_glob_or_like() {
    let condition = sql("platform:sen*");
    assert!(
        condition
            .sql
            .contains("p.text_value >= $2 AND p.text_value < $3"),
        "{}",
        condition.sql
    );
    assert_eq!(condition.params[2], SqlParam::Text("seo".into()));
    assert_eq!(
        glob(&[Wild::Text("a*[".into()), Wild::One, Wild::Many], ""),
        "a[*][[]?*"
    );
    assert_eq!(
        like(&[Wild::Text("a%_\\".into()), Wild::One, Wild::Many], " "),
        "% a\\%\\_\\\\_% %"
    );
    assert_eq!(successor("ab"), Some("ac".into()));
}

#[test]
fn labels_match_words() {
    assert_eq!(label_words("Sentinel-2_L1C  tile"), " Sentinel 2 L1C tile ");
    assert_eq!(sql("\"2 L1C\"").params, [SqlParam::Text(" 2 L1C ".into())]);
    assert_eq!(sql("label:-").sql, "1=0");
}

#[test]
fn unknown_fields_and_bad_values_are_errors_with_a_column() {
    assert_eq!(error("a AND nope:1"), "unknown field 'nope' at column 7");
    assert_eq!(
        error("creationDate:yesterday"),
        "'creationDate' takes an ISO-8601 date, not \"yesterday\" at column 1"
    );
    let properties = HashMap::from([("level".to_owned(), ValueType::Number)]);
    let query = parse("x OR level:[1 TO high]").unwrap();
    let error = to_sql(&query, &properties, Dialect::Sqlite).unwrap_err();
    assert_eq!(
        error.to_string(),
        "'level' takes a number, not \"high\" at column 6"
    );
}

/// The deepest nesting of parentheses in a SQL text.
fn nesting(sql: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in sql.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth -= 1,
            _ => {}
        }
    }
    deepest
}

#[test]
fn long_chains_nest_a_few_levels_not_one_per_term() {
    for op in [" OR ", " AND "] {
        let text: Vec<String> = (0..1024).map(|n| format!("providerId:p{n}")).collect();
        let condition = sql(&text.join(op));
        assert_eq!(condition.params.len(), 1024);
        assert!(
            nesting(&condition.sql) <= 5,
            "{op}: {}",
            nesting(&condition.sql)
        );
        // Every term is still there, once.
        for n in [0, 1, 511, 1023] {
            assert!(
                condition
                    .sql
                    .contains(&format!("o.provider_id = ${}", n + 1))
            );
        }
    }
    assert_eq!(
        sql("providerId:a OR providerId:b").sql,
        "((o.provider_id = $1 OR o.provider_id = $2))"
    );
}
