//! Tokens → AST, with the clause rules of Lucene's classic query parser (default operator OR).

use super::lexer::{Piece, Tok, Token, tokenize};
use super::{Bound, Clause, FieldRef, Occur, Query, QueryError, Wild};

/// Deepest nesting of parentheses.
pub const MAX_DEPTH: usize = 64;
/// Most terms in one query (each becomes a SQL condition with its parameters): the budget that bounds
/// what one request may cost the database.
pub const MAX_TERMS: usize = 1_024;
/// Most wildcard terms in one query (each scans an index range or a whole column).
pub const MAX_WILDCARDS: usize = 100;

/// Parses a query string. The empty query matches everything.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let tokens = tokenize(input)?;
    let end_column = input.chars().count() + 1;
    let mut parser = Parser {
        tokens,
        at: 0,
        end_column,
        depth: 0,
        terms: 0,
        wildcards: 0,
    };
    if parser.tokens.is_empty() {
        return Ok(Query::All);
    }
    let query = parser.query(None)?;
    match parser.peek() {
        None => Ok(query),
        Some(token) => Err(QueryError::new("unexpected ')'", token.column())),
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    end_column: usize,
    depth: usize,
    terms: usize,
    wildcards: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Conj {
    None,
    And,
    Or,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Modifier {
    None,
    Required,
    Prohibited,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|token| &token.tok)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn column(&self) -> usize {
        self.peek().map_or(self.end_column, Token::column)
    }

    /// Clauses until the end or a `)`.
    fn query(&mut self, field: Option<&FieldRef>) -> Result<Query, QueryError> {
        let mut clauses: Vec<Clause> = Vec::new();
        while !matches!(self.peek_tok(), None | Some(Tok::RParen)) {
            let conj = match self.peek_tok() {
                Some(Tok::And) => Conj::And,
                Some(Tok::Or) => Conj::Or,
                _ => Conj::None,
            };
            if conj != Conj::None {
                let token = self.next().expect("peeked");
                if clauses.is_empty() {
                    let word = if conj == Conj::And { "AND" } else { "OR" };
                    return Err(QueryError::new(
                        format!("'{word}' with nothing before it"),
                        token.column(),
                    ));
                }
            }
            let modifier = match self.peek_tok() {
                Some(Tok::Plus) => Modifier::Required,
                Some(Tok::Minus | Tok::Bang | Tok::Not) => Modifier::Prohibited,
                _ => Modifier::None,
            };
            if modifier != Modifier::None {
                self.next();
            }
            let query = self.clause(field)?;
            add_clause(&mut clauses, conj, modifier, query);
        }
        if clauses.is_empty() {
            return Err(QueryError::new("empty query or group", self.column()));
        }
        if clauses.len() == 1 && clauses[0].occur == Occur::Should {
            return Ok(clauses.pop().expect("one clause").query);
        }
        Ok(Query::Bool(clauses))
    }

    fn clause(&mut self, field: Option<&FieldRef>) -> Result<Query, QueryError> {
        let column = self.column();
        match self.peek_tok() {
            None => Err(QueryError::new("expected a term after an operator", column)),
            Some(Tok::LParen) => self.group(field),
            Some(Tok::Term(pieces)) if self.is_field_name() => {
                let name = field_name(pieces, column)?;
                self.next();
                self.next();
                let field = FieldRef { name, column };
                if self.peek_tok() == Some(&Tok::LParen) {
                    self.group(Some(&field))
                } else {
                    self.value(Some(&field))
                }
            }
            Some(_) => self.value(field),
        }
    }

    /// A term immediately followed by `:` names a field.
    fn is_field_name(&self) -> bool {
        let (Some(term), Some(colon)) = (self.tokens.get(self.at), self.tokens.get(self.at + 1))
        else {
            return false;
        };
        colon.tok == Tok::Colon && colon.start == term.end
    }

    fn group(&mut self, field: Option<&FieldRef>) -> Result<Query, QueryError> {
        let open = self.next().expect("peeked '('");
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                format!("parentheses nested deeper than {MAX_DEPTH}"),
                open.column(),
            ));
        }
        let query = self.query(field)?;
        self.depth -= 1;
        match self.next() {
            Some(Token {
                tok: Tok::RParen, ..
            }) => Ok(query),
            _ => Err(QueryError::new("missing ')' for this '('", open.column())),
        }
    }

    fn value(&mut self, field: Option<&FieldRef>) -> Result<Query, QueryError> {
        let column = self.column();
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(QueryError::new(
                format!(
                    "more than {MAX_TERMS} terms in one query (the budget of a query is {MAX_TERMS} terms, \
                     {MAX_WILDCARDS} of them with wildcards)"
                ),
                column,
            ));
        }
        let field = field.cloned();
        match self.peek_tok() {
            Some(Tok::Phrase(text)) => {
                let text = text.clone();
                self.next();
                Ok(Query::Phrase { field, text })
            }
            Some(Tok::LBracket | Tok::LBrace) => self.range(field),
            Some(Tok::Term(_) | Tok::Colon | Tok::Minus | Tok::Plus)
                if field.is_some() || self.starts_term() =>
            {
                let pieces = self.joined_term()?;
                let query = term_query(field, pieces, column)?;
                if matches!(query, Query::Wildcard { .. }) {
                    self.wildcards += 1;
                    if self.wildcards > MAX_WILDCARDS {
                        return Err(QueryError::new(
                            format!(
                                "more than {MAX_WILDCARDS} wildcard terms in one query (the budget of a \
                                 query is {MAX_TERMS} terms, {MAX_WILDCARDS} of them with wildcards)"
                            ),
                            column,
                        ));
                    }
                }
                Ok(query)
            }
            Some(Tok::Unsupported(c)) => Err(unsupported(*c, column)),
            Some(Tok::RParen) => Err(QueryError::new("unexpected ')'", column)),
            Some(Tok::And | Tok::Or | Tok::Not) => Err(QueryError::new(
                "expected a term, found an operator",
                column,
            )),
            _ => Err(QueryError::new("expected a term", column)),
        }
    }

    fn starts_term(&self) -> bool {
        matches!(self.peek_tok(), Some(Tok::Term(_)))
    }

    /// A value: a term, with the `:`, `+` and `-` tokens that touch it (so `2018-04-03T14:20:00Z` and
    /// `URN:AIP:...` need no escaping after `field:`).
    fn joined_term(&mut self) -> Result<Vec<Piece>, QueryError> {
        let mut pieces = Vec::new();
        let mut end = None;
        while let Some(token) = self.peek() {
            if end.is_some_and(|end| token.start != end) {
                break;
            }
            match &token.tok {
                Tok::Term(more) => pieces.extend(more.iter().copied()),
                Tok::Colon => pieces.push(Piece::Char(':')),
                Tok::Minus => pieces.push(Piece::Char('-')),
                Tok::Plus => pieces.push(Piece::Char('+')),
                _ => break,
            }
            end = Some(token.end);
            self.next();
        }
        if pieces.is_empty() {
            return Err(QueryError::new("expected a value", self.column()));
        }
        Ok(pieces)
    }

    fn range(&mut self, field: Option<FieldRef>) -> Result<Query, QueryError> {
        let open = self.next().expect("peeked a bracket");
        let lower = self.bound()?;
        match self.next() {
            Some(Token {
                tok: Tok::Term(pieces),
                ..
            }) if pieces == to_pieces("TO") => {}
            Some(token) => return Err(QueryError::new("expected 'TO' in range", token.column())),
            None => return Err(QueryError::new("expected 'TO' in range", self.end_column)),
        }
        let upper = self.bound()?;
        let upper_inclusive = match self.next() {
            Some(Token {
                tok: Tok::RBracket, ..
            }) => true,
            Some(Token {
                tok: Tok::RBrace, ..
            }) => false,
            Some(token) => {
                return Err(QueryError::new(
                    "expected ']' or '}' to close the range",
                    token.column(),
                ));
            }
            None => {
                return Err(QueryError::new(
                    "expected ']' or '}' to close the range",
                    self.end_column,
                ));
            }
        };
        Ok(Query::Range {
            field,
            lower: make_bound(lower, open.tok == Tok::LBracket),
            upper: make_bound(upper, upper_inclusive),
        })
    }

    /// A range bound's text, or `None` for `*`.
    fn bound(&mut self) -> Result<Option<String>, QueryError> {
        let column = self.column();
        match self.peek_tok() {
            Some(Tok::Phrase(text)) => {
                let text = text.clone();
                self.next();
                Ok(Some(text))
            }
            Some(Tok::Term(pieces)) if pieces.as_slice() == [Piece::Star] => {
                self.next();
                Ok(None)
            }
            Some(Tok::Term(_) | Tok::Minus | Tok::Plus) => {
                let pieces = self.joined_term()?;
                let text = literal(&pieces).ok_or_else(|| {
                    QueryError::new("wildcards are not allowed in a range", column)
                })?;
                Ok(Some(text))
            }
            _ => Err(QueryError::new("expected a range bound", column)),
        }
    }
}

fn make_bound(text: Option<String>, inclusive: bool) -> Bound {
    match text {
        None => Bound::Unbounded,
        Some(text) if inclusive => Bound::Included(text),
        Some(text) => Bound::Excluded(text),
    }
}

/// Lucene's `addClause` for the OR default operator: `AND` makes the clause before it and this one
/// required (unless prohibited); `+` requires, `-`/`!`/`NOT` prohibit, anything else is optional.
fn add_clause(clauses: &mut Vec<Clause>, conj: Conj, modifier: Modifier, query: Query) {
    if conj == Conj::And
        && let Some(previous) = clauses.last_mut()
        && previous.occur != Occur::MustNot
    {
        previous.occur = Occur::Must;
    }
    let prohibited = modifier == Modifier::Prohibited;
    let required = modifier == Modifier::Required || (conj == Conj::And && !prohibited);
    let occur = match (required, prohibited) {
        (_, true) => Occur::MustNot,
        (true, false) => Occur::Must,
        (false, false) => Occur::Should,
    };
    clauses.push(Clause { occur, query });
}

fn to_pieces(text: &str) -> Vec<Piece> {
    text.chars().map(Piece::Char).collect()
}

/// The text of pieces without wildcards.
fn literal(pieces: &[Piece]) -> Option<String> {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Char(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn field_name(pieces: &[Piece], column: usize) -> Result<String, QueryError> {
    if pieces == [Piece::Star] {
        return Ok("*".to_owned());
    }
    literal(pieces)
        .ok_or_else(|| QueryError::new("wildcards are not allowed in a field name", column))
}

fn unsupported(c: char, column: usize) -> QueryError {
    let what = match c {
        '~' => "fuzzy and proximity searches ('~') are not supported",
        '^' => "boosts ('^') are not supported",
        _ => "regular expressions ('/') are not supported",
    };
    QueryError::new(what, column)
}

fn term_query(
    field: Option<FieldRef>,
    pieces: Vec<Piece>,
    column: usize,
) -> Result<Query, QueryError> {
    let all_field = field.as_ref().is_some_and(|f| f.name == "*");
    if pieces.iter().all(|p| *p == Piece::Star) {
        return Ok(match field {
            Some(field) if !all_field => Query::Exists { field },
            _ => Query::All,
        });
    }
    if all_field {
        return Err(QueryError::new(
            "the field '*' only takes the value '*'",
            column,
        ));
    }
    if let Some(value) = literal(&pieces) {
        return Ok(Query::Term { field, value });
    }
    let mut pattern: Vec<Wild> = Vec::new();
    for piece in pieces {
        match (piece, pattern.last_mut()) {
            (Piece::Char(c), Some(Wild::Text(text))) => text.push(c),
            (Piece::Char(c), _) => pattern.push(Wild::Text(c.to_string())),
            (Piece::Star, Some(Wild::Many)) => {}
            (Piece::Star, _) => pattern.push(Wild::Many),
            (Piece::Question, _) => pattern.push(Wild::One),
        }
    }
    Ok(Query::Wildcard { field, pattern })
}
