//! The catalog query language: the Lucene syntax REGARDS clients send
//! (`tags:"URN:AIP:DATASET:..." AND creationDate:[* TO 2018-04-03T14:20:00.383Z] AND (level:2 OR x)`).
//!
//! `lexer` cuts a string into tokens, `parser` builds the AST with the boolean rules of Lucene's classic
//! query parser (default operator OR, `+`/`-`/`NOT` modifiers, `AND` making both sides required),
//! `Display` prints an AST back in a canonical form that parses to the same AST, and `sql` turns it into a
//! `WHERE` clause for SQLite or PostgreSQL.

mod lexer;
mod parser;
mod print;
pub mod sql;

#[cfg(test)]
mod tests;

pub use parser::{MAX_DEPTH, MAX_TERMS, MAX_WILDCARDS, parse};

/// A field named in a query, with the column where it was written (for error messages; two fields are
/// equal when their names are).
#[derive(Debug, Clone, Eq)]
pub struct FieldRef {
    pub name: String,
    pub column: usize,
}

impl FieldRef {
    pub fn new(name: impl Into<String>) -> FieldRef {
        FieldRef {
            name: name.into(),
            column: 0,
        }
    }
}

impl PartialEq for FieldRef {
    fn eq(&self, other: &FieldRef) -> bool {
        self.name == other.name
    }
}

/// A piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wild {
    Text(String),
    /// `*`: any run of characters, possibly empty.
    Many,
    /// `?`: exactly one character.
    One,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Unbounded,
    Included(String),
    Excluded(String),
}

/// How a clause takes part in a boolean query (Lucene's `Occur`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occur {
    /// `+x`, or either side of `AND`.
    Must,
    /// Plain `x`: when a query has no `Must` clause, at least one `Should` clause must match.
    Should,
    /// `-x`, `!x`, `NOT x`.
    MustNot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub occur: Occur,
    pub query: Query,
}

/// A parsed query. A `field` of `None` is the default field (words of `label`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// `*:*`, `*`, or the empty query.
    All,
    Term {
        field: Option<FieldRef>,
        value: String,
    },
    Phrase {
        field: Option<FieldRef>,
        text: String,
    },
    Wildcard {
        field: Option<FieldRef>,
        pattern: Vec<Wild>,
    },
    /// `field:*`: the field has a value.
    Exists {
        field: FieldRef,
    },
    Range {
        field: Option<FieldRef>,
        lower: Bound,
        upper: Bound,
    },
    Bool(Vec<Clause>),
}

/// A query that cannot be read or run, with the column (1-based, in characters) where the trouble is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at column {column}")]
pub struct QueryError {
    pub what: String,
    pub column: usize,
}

impl QueryError {
    pub fn new(what: impl Into<String>, column: usize) -> QueryError {
        QueryError {
            what: what.into(),
            column,
        }
    }
}
