//! The canonical text of a query: every special character escaped, every range bound quoted, every
//! boolean query in parentheses with explicit `+`/`-`. Parsing it gives the same AST.

use std::fmt::{self, Display, Write};

use super::{Bound, Clause, FieldRef, Occur, Query, Wild};

impl Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::All => f.write_str("*:*"),
            Query::Term { field, value } => {
                write_field(f, field.as_ref())?;
                write_escaped(f, value)
            }
            Query::Phrase { field, text } => {
                write_field(f, field.as_ref())?;
                write_quoted(f, text)
            }
            Query::Wildcard { field, pattern } => {
                write_field(f, field.as_ref())?;
                for part in pattern {
                    match part {
                        Wild::Text(text) => write_escaped(f, text)?,
                        Wild::Many => f.write_char('*')?,
                        Wild::One => f.write_char('?')?,
                    }
                }
                Ok(())
            }
            Query::Exists { field } => {
                write_field(f, Some(field))?;
                f.write_char('*')
            }
            Query::Range {
                field,
                lower,
                upper,
            } => {
                write_field(f, field.as_ref())?;
                f.write_char(if matches!(lower, Bound::Excluded(_)) {
                    '{'
                } else {
                    '['
                })?;
                write_bound(f, lower)?;
                f.write_str(" TO ")?;
                write_bound(f, upper)?;
                f.write_char(if matches!(upper, Bound::Excluded(_)) {
                    '}'
                } else {
                    ']'
                })
            }
            Query::Bool(clauses) => write_bool(f, clauses),
        }
    }
}

fn write_bool(f: &mut fmt::Formatter<'_>, clauses: &[Clause]) -> fmt::Result {
    f.write_char('(')?;
    for (n, clause) in clauses.iter().enumerate() {
        if n > 0 {
            f.write_char(' ')?;
        }
        match clause.occur {
            Occur::Must => f.write_char('+')?,
            Occur::MustNot => f.write_char('-')?,
            Occur::Should => {}
        }
        write!(f, "{}", clause.query)?;
    }
    f.write_char(')')
}

fn write_field(f: &mut fmt::Formatter<'_>, field: Option<&FieldRef>) -> fmt::Result {
    if let Some(field) = field {
        write_escaped(f, &field.name)?;
        f.write_char(':')?;
    }
    Ok(())
}

fn write_bound(f: &mut fmt::Formatter<'_>, bound: &Bound) -> fmt::Result {
    match bound {
        Bound::Unbounded => f.write_char('*'),
        Bound::Included(text) | Bound::Excluded(text) => write_quoted(f, text),
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

/// Escapes every character the lexer would read as syntax, and a first letter that would make the
/// term an operator word.
fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let keyword = matches!(text, "AND" | "OR" | "NOT");
    for (n, c) in text.chars().enumerate() {
        let special = c.is_whitespace()
            || matches!(
                c,
                '\\' | '+'
                    | '-'
                    | '!'
                    | '('
                    | ')'
                    | ':'
                    | '^'
                    | '['
                    | ']'
                    | '"'
                    | '{'
                    | '}'
                    | '~'
                    | '*'
                    | '?'
                    | '|'
                    | '&'
                    | '/'
            );
        if special || (keyword && n == 0) {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    Ok(())
}
