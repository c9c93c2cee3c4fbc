//! Tokens of the query language. Whitespace separates tokens; a backslash escapes any character.

use super::QueryError;

/// A character of a term: escaped characters never act as wildcards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Char(char),
    Star,
    Question,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Term(Vec<Piece>),
    Phrase(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Colon,
    Plus,
    Minus,
    Bang,
    And,
    Or,
    Not,
    /// `^`, `~`, `/`: Lucene features not supported here.
    Unsupported(char),
}

/// A token and its place: `start` and `end` are 0-based character offsets, so a token that starts where
/// the previous one ended touches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn column(&self) -> usize {
        self.start + 1
    }
}

/// Characters that end a term unless escaped.
fn ends_term(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | '[' | ']' | '{' | '}' | '"' | ':' | '^' | '~' | '/'
        )
}

pub fn tokenize(input: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let (tok, next) = match (punctuation(chars[i]), chars[i]) {
            (Some(tok), _) => (tok, i + 1),
            (None, c @ ('&' | '|')) if chars.get(i + 1) == Some(&c) => {
                (if c == '&' { Tok::And } else { Tok::Or }, i + 2)
            }
            (None, '"') => {
                let (text, next) = phrase(&chars, i)?;
                (Tok::Phrase(text), next)
            }
            (None, _) => word(&chars, i)?,
        };
        tokens.push(Token {
            tok,
            start: i,
            end: next,
        });
        i = next;
    }
    Ok(tokens)
}

/// The token of a character standing alone (brackets, `:`, the prefix operators, what we do not support).
fn punctuation(c: char) -> Option<Tok> {
    Some(match c {
        '(' => Tok::LParen,
        ')' => Tok::RParen,
        '[' => Tok::LBracket,
        ']' => Tok::RBracket,
        '{' => Tok::LBrace,
        '}' => Tok::RBrace,
        ':' => Tok::Colon,
        '+' => Tok::Plus,
        '-' => Tok::Minus,
        '!' => Tok::Bang,
        '^' | '~' | '/' => Tok::Unsupported(c),
        _ => return None,
    })
}

/// A term, or the operator words `AND`, `OR`, `NOT`.
fn word(chars: &[char], start: usize) -> Result<(Tok, usize), QueryError> {
    let (pieces, next) = term(chars, start)?;
    let raw: String = chars[start..next].iter().collect();
    let tok = match raw.as_str() {
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "NOT" => Tok::Not,
        _ => Tok::Term(pieces),
    };
    Ok((tok, next))
}

/// Reads a term from `start`; `+`, `-` and `!` are ordinary characters inside a term.
fn term(chars: &[char], start: usize) -> Result<(Vec<Piece>, usize), QueryError> {
    let mut pieces = Vec::new();
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let escaped = chars
                .get(i + 1)
                .ok_or_else(|| QueryError::new("dangling escape character '\\'", i + 1))?;
            pieces.push(Piece::Char(*escaped));
            i += 2;
            continue;
        }
        if ends_term(c) || ((c == '&' || c == '|') && chars.get(i + 1) == Some(&c)) {
            break;
        }
        pieces.push(match c {
            '*' => Piece::Star,
            '?' => Piece::Question,
            other => Piece::Char(other),
        });
        i += 1;
    }
    Ok((pieces, i))
}

/// Reads `"..."` from the opening quote at `start`; `\"` and `\\` are escapes.
fn phrase(chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((text, i + 1)),
            '\\' if i + 1 < chars.len() => {
                text.push(chars[i + 1]);
                i += 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError::new(
        "unterminated phrase (missing closing '\"')",
        start + 1,
    ))
}
