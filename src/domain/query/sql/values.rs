//! How a value is compared, once its column is known: text (equal, range, wildcard), numbers and dates
//! parsed by the field's type, the words of the label.

use super::patterns::{glob, like, successor};
use super::{Builder, Dialect, SqlParam, Test, ValueType, label_words};
use crate::domain::query::{Bound, QueryError, Wild};
use crate::time::Timestamp;

impl Builder<'_> {
    pub(super) fn text_test(&mut self, column: &str, test: &Test) -> Result<String, QueryError> {
        Ok(match test {
            Test::Equals(value) => {
                let value = self.push(SqlParam::Text((*value).to_owned()));
                format!("{column} = {value}")
            }
            Test::Between(lower, upper) => {
                self.between(column, lower, upper, |text| Ok(SqlParam::Text(text.into())))?
            }
            Test::Matches(pattern) => self.pattern(column, pattern),
        })
    }

    /// A number or date column: the value is parsed by the field's type.
    pub(super) fn typed_test(
        &mut self,
        column: &str,
        kind: ValueType,
        test: &Test,
        name: &str,
        at: usize,
    ) -> Result<String, QueryError> {
        let integer = column.starts_with("o.");
        let convert = |text: &str| -> Result<SqlParam, QueryError> {
            match kind {
                ValueType::Number => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(SqlParam::Float)
                    .ok_or_else(|| {
                        QueryError::new(format!("'{name}' takes a number, not {text:?}"), at)
                    }),
                _ => Timestamp::parse_iso(text.trim())
                    .map(|t| {
                        if integer {
                            SqlParam::Int(t.millis())
                        } else {
                            SqlParam::Float(t.millis() as f64)
                        }
                    })
                    .ok_or_else(|| {
                        QueryError::new(
                            format!("'{name}' takes an ISO-8601 date, not {text:?}"),
                            at,
                        )
                    }),
            }
        };
        match test {
            Test::Equals(value) => {
                let value = convert(value)?;
                let value = self.push(value);
                Ok(format!("{column} = {value}"))
            }
            Test::Between(lower, upper) => self.between(column, lower, upper, convert),
            Test::Matches(_) => Err(QueryError::new(
                format!("'{name}' is a date: wildcards do not apply"),
                at,
            )),
        }
    }

    fn between(
        &mut self,
        column: &str,
        lower: &Bound,
        upper: &Bound,
        convert: impl Fn(&str) -> Result<SqlParam, QueryError>,
    ) -> Result<String, QueryError> {
        let mut parts = Vec::new();
        for (bound, inclusive_op, exclusive_op) in [(lower, ">=", ">"), (upper, "<=", "<")] {
            let (text, op) = match bound {
                Bound::Unbounded => continue,
                Bound::Included(text) => (text, inclusive_op),
                Bound::Excluded(text) => (text, exclusive_op),
            };
            let value = convert(text)?;
            let value = self.push(value);
            parts.push(format!("{column} {op} {value}"));
        }
        if parts.is_empty() {
            return Ok(format!("{column} IS NOT NULL"));
        }
        Ok(format!("({})", parts.join(" AND ")))
    }

    /// `abc*` becomes a range the index serves; other patterns GLOB (SQLite) or LIKE (PostgreSQL),
    /// both case-sensitive.
    fn pattern(&mut self, column: &str, pattern: &[Wild]) -> String {
        if let [Wild::Text(prefix), Wild::Many] = pattern
            && let Some(next) = successor(prefix)
        {
            let from = self.push(SqlParam::Text(prefix.clone()));
            let to = self.push(SqlParam::Text(next));
            return format!("({column} >= {from} AND {column} < {to})");
        }
        let (text, operator) = match self.dialect {
            Dialect::Sqlite => (glob(pattern, ""), "GLOB"),
            Dialect::Postgres => (like(pattern, ""), "LIKE"),
        };
        let value = self.push(SqlParam::Text(text));
        match self.dialect {
            Dialect::Sqlite => format!("{column} {operator} {value}"),
            Dialect::Postgres => format!("{column} {operator} {value} ESCAPE '\\'"),
        }
    }

    /// The default field: words of the label, in order, case-sensitive.
    pub(super) fn label_test(&mut self, test: &Test) -> Result<String, QueryError> {
        let contains = match self.dialect {
            Dialect::Sqlite => "instr",
            Dialect::Postgres => "strpos",
        };
        match test {
            Test::Equals(value) => {
                let words = label_words(value);
                if words.trim().is_empty() {
                    return Ok("1=0".to_owned());
                }
                let words = self.push(SqlParam::Text(words));
                Ok(format!("{contains}(o.label_words, {words}) > 0"))
            }
            Test::Between(lower, upper) => self.between("o.label", lower, upper, |text| {
                Ok(SqlParam::Text(text.into()))
            }),
            Test::Matches(pattern) => {
                let (text, operator) = match self.dialect {
                    Dialect::Sqlite => (glob(pattern, " "), "GLOB"),
                    Dialect::Postgres => (like(pattern, " "), "LIKE"),
                };
                let value = self.push(SqlParam::Text(text));
                Ok(match self.dialect {
                    Dialect::Sqlite => format!("o.label_words {operator} {value}"),
                    Dialect::Postgres => format!("o.label_words {operator} {value} ESCAPE '\\'"),
                })
            }
        }
    }
}
