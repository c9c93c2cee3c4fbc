//! Any string either fails to parse with a column inside it, or parses to a query whose canonical text
//! parses back to the same query and translates to SQL whose placeholders match its parameters.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use regards_order::domain::query::parse;
use regards_order::domain::query::sql::{Dialect, ValueType, to_sql};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Err(error) => assert!(error.column >= 1 && error.column <= text.chars().count() + 1),
        Ok(query) => {
            let printed = query.to_string();
            assert_eq!(parse(&printed).as_ref(), Ok(&query), "{printed}");
            let properties = HashMap::from([
                ("level".to_owned(), ValueType::Number),
                ("datetime".to_owned(), ValueType::Date),
                ("platform".to_owned(), ValueType::Text),
            ]);
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                if let Ok(condition) = to_sql(&query, &properties, dialect) {
                    let count = condition.sql.matches('$').count();
                    assert!(count >= condition.params.len(), "{}", condition.sql);
                }
            }
        }
    }
});
