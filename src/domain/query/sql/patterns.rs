//! Wildcard patterns as SQL: prefix ranges, SQLite GLOB, PostgreSQL LIKE.

use crate::domain::query::Wild;

/// The smallest string greater than every string starting with `prefix`, when there is one.
pub(super) fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A SQLite GLOB pattern; `around` is put on both sides as `<any><around>...<around><any>` (for words).
pub(super) fn glob(pattern: &[Wild], around: &str) -> String {
    let mut out = String::new();
    if !around.is_empty() {
        out.push('*');
        out.push_str(around);
    }
    for part in pattern {
        match part {
            Wild::Many => out.push('*'),
            Wild::One => out.push('?'),
            Wild::Text(text) => {
                for c in text.chars() {
                    match c {
                        '*' | '?' | '[' => {
                            out.push('[');
                            out.push(c);
                            out.push(']');
                        }
                        c => out.push(c),
                    }
                }
            }
        }
    }
    if !around.is_empty() {
        out.push_str(around);
        out.push('*');
    }
    out
}

/// A PostgreSQL LIKE pattern with `\` as the escape character.
pub(super) fn like(pattern: &[Wild], around: &str) -> String {
    let mut out = String::new();
    if !around.is_empty() {
        out.push('%');
        out.push_str(around);
    }
    for part in pattern {
        match part {
            Wild::Many => out.push('%'),
            Wild::One => out.push('_'),
            Wild::Text(text) => {
                for c in text.chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
        }
    }
    if !around.is_empty() {
        out.push_str(around);
        out.push('%');
    }
    out
}
