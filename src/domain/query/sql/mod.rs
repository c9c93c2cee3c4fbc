//! AST → a SQL condition on the data objects (table alias `o`), the same meaning on SQLite and
//! PostgreSQL. Values compare as numbers, dates or text by the field's type; text comparisons are
//! case-sensitive and bytewise on both backends (PostgreSQL columns use `COLLATE "C"`).

use std::collections::HashMap;

mod patterns;
mod values;

use super::{Bound, Clause, FieldRef, Occur, Query, QueryError, Wild};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// How a property's values compare (the registry filled at import; mixed types are `Text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Number,
    Date,
    Text,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Number => "number",
            ValueType::Date => "date",
            ValueType::Text => "string",
        }
    }

    pub fn parse(text: &str) -> Option<ValueType> {
        match text {
            "number" => Some(ValueType::Number),
            "date" => Some(ValueType::Date),
            "string" => Some(ValueType::Text),
            _ => None,
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    Int(i64),
    Float(f64),
    Text(String),
}

/// A condition with `$1..$n` placeholders and their values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub sql: String,
    pub params: Vec<SqlParam>,
    /// True when the condition only reads `o.dataset_id` and `o.creation_date`, so that it can run on
    /// per-dataset, per-date totals as well as on the objects.
    pub dataset_and_date_only: bool,
}

/// The words of a label, as the default field matches them: `" Sentinel 2 L1C "` for `Sentinel-2_L1C`.
pub fn label_words(label: &str) -> String {
    let words: Vec<&str> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" "))
}

/// Conditions joined by `op`, in parentheses: `(a OR b OR c)`. SQLite parses a flat chain into a tree as
/// deep as the chain is long and refuses trees deeper than 1000, so a long chain is cut into groups of at
/// most `CHAIN` (recursively): 1024 terms nest four levels deep.
fn chain(parts: &[String], op: &str) -> String {
    const CHAIN: usize = 8;
    if parts.len() <= CHAIN {
        return format!("({})", parts.join(&format!(" {op} ")));
    }
    let size = parts.len().div_ceil(CHAIN);
    let groups: Vec<String> = parts.chunks(size).map(|group| chain(group, op)).collect();
    chain(&groups, op)
}

/// Translates `query`; `properties` are the known property names and types.
pub fn to_sql(
    query: &Query,
    properties: &HashMap<String, ValueType>,
    dialect: Dialect,
) -> Result<Condition, QueryError> {
    let mut builder = Builder {
        properties,
        dialect,
        params: Vec::new(),
        reads_objects: false,
    };
    let sql = builder.query(query)?;
    Ok(Condition {
        sql,
        params: builder.params,
        dataset_and_date_only: !builder.reads_objects,
    })
}

/// What a field names.
enum Target {
    IpId,
    ProviderId,
    Label,
    Tags,
    Dataset,
    CreationDate,
    LastUpdate,
    Property(String, ValueType),
}

/// What is asked of a value.
enum Test<'a> {
    Equals(&'a str),
    Between(&'a Bound, &'a Bound),
    Matches(&'a [Wild]),
}

struct Builder<'a> {
    properties: &'a HashMap<String, ValueType>,
    dialect: Dialect,
    params: Vec<SqlParam>,
    /// Set when a field other than `dataset` and `creationDate` is used.
    reads_objects: bool,
}

impl Builder<'_> {
    fn push(&mut self, param: SqlParam) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    fn query(&mut self, query: &Query) -> Result<String, QueryError> {
        match query {
            Query::All => Ok("1=1".to_owned()),
            Query::Bool(clauses) => self.boolean(clauses),
            Query::Term { field, value } => self.test(field.as_ref(), Test::Equals(value)),
            Query::Phrase { field, text } => self.test(field.as_ref(), Test::Equals(text)),
            Query::Wildcard { field, pattern } => self.test(field.as_ref(), Test::Matches(pattern)),
            Query::Range {
                field,
                lower,
                upper,
            } => self.test(field.as_ref(), Test::Between(lower, upper)),
            Query::Exists { field } => self.exists(field),
        }
    }

    /// Lucene's boolean rule: every `Must`, no `MustNot`, and at least one `Should` when there is no
    /// `Must`. A query of only `MustNot` clauses matches everything else (as Elasticsearch does).
    fn boolean(&mut self, clauses: &[Clause]) -> Result<String, QueryError> {
        let mut must = Vec::new();
        let mut should = Vec::new();
        let mut must_not = Vec::new();
        let has_must = clauses.iter().any(|c| c.occur == Occur::Must);
        for clause in clauses {
            if has_must && clause.occur == Occur::Should {
                // Optional beside a required clause: it selects nothing, but must still be a valid query.
                let mut scratch = Builder {
                    properties: self.properties,
                    dialect: self.dialect,
                    params: Vec::new(),
                    reads_objects: false,
                };
                scratch.query(&clause.query)?;
                continue;
            }
            let sql = self.query(&clause.query)?;
            match clause.occur {
                Occur::Must => must.push(sql),
                Occur::Should => should.push(sql),
                Occur::MustNot => must_not.push(format!("NOT ({sql})")),
            }
        }
        let mut parts = must;
        if parts.is_empty() && !should.is_empty() {
            parts.push(chain(&should, "OR"));
        }
        parts.extend(must_not);
        if parts.is_empty() {
            return Ok("1=1".to_owned());
        }
        Ok(chain(&parts, "AND"))
    }

    fn target(&mut self, field: Option<&FieldRef>) -> Result<Target, QueryError> {
        let target = self.resolve(field)?;
        if !matches!(target, Target::Dataset | Target::CreationDate) {
            self.reads_objects = true;
        }
        Ok(target)
    }

    fn resolve(&self, field: Option<&FieldRef>) -> Result<Target, QueryError> {
        let Some(field) = field else {
            return Ok(Target::Label);
        };
        Ok(match field.name.as_str() {
            "ipId" => Target::IpId,
            "providerId" => Target::ProviderId,
            "label" => Target::Label,
            "tags" => Target::Tags,
            "dataset" => Target::Dataset,
            "creationDate" => Target::CreationDate,
            "lastUpdate" => Target::LastUpdate,
            name => {
                let name = name.strip_prefix("properties.").unwrap_or(name);
                let kind = self.properties.get(name).ok_or_else(|| {
                    QueryError::new(format!("unknown field '{}'", field.name), field.column)
                })?;
                Target::Property(name.to_owned(), *kind)
            }
        })
    }

    fn exists(&mut self, field: &FieldRef) -> Result<String, QueryError> {
        match self.target(Some(field))? {
            Target::Property(name, _) => {
                let name = self.push(SqlParam::Text(name));
                Ok(format!(
                    "o.id IN (SELECT p.object_id FROM object_properties p WHERE p.name = {name})"
                ))
            }
            // Every object has an ipId, a label, a dataset (its first tag) and dates.
            _ => Ok("1=1".to_owned()),
        }
    }

    fn test(&mut self, field: Option<&FieldRef>, test: Test) -> Result<String, QueryError> {
        let column = field.map_or(1, |f| f.column);
        let name = field.map_or("label", |f| f.name.as_str());
        match self.target(field)? {
            Target::IpId => self.text_test("o.ip_id", &test),
            Target::ProviderId => self.text_test("o.provider_id", &test),
            Target::Label => self.label_test(&test),
            Target::CreationDate => {
                self.typed_test("o.creation_date", ValueType::Date, &test, name, column)
            }
            Target::LastUpdate => {
                self.typed_test("o.last_update", ValueType::Date, &test, name, column)
            }
            Target::Tags => {
                let on_dataset = self.text_test("d.ip_id", &test)?;
                let on_tag = self.text_test("t.tag", &test)?;
                Ok(format!(
                    "(o.dataset_id IN (SELECT d.id FROM datasets d WHERE {on_dataset}) \
                     OR o.id IN (SELECT t.object_id FROM object_tags t WHERE {on_tag}))"
                ))
            }
            Target::Dataset => {
                let on_ip_id = self.text_test("d.ip_id", &test)?;
                let on_id = self.text_test("d.provider_id", &test)?;
                Ok(format!(
                    "o.dataset_id IN (SELECT d.id FROM datasets d WHERE {on_ip_id} OR {on_id})"
                ))
            }
            Target::Property(property, kind) => {
                let property = self.push(SqlParam::Text(property));
                let condition = match (kind, &test) {
                    // Wildcards look at the text of numbers and dates.
                    (ValueType::Text, _) | (_, Test::Matches(_)) => {
                        self.text_test("p.text_value", &test)?
                    }
                    (kind, _) => self.typed_test("p.num_value", kind, &test, name, column)?,
                };
                Ok(format!(
                    "o.id IN (SELECT p.object_id FROM object_properties p WHERE p.name = {property} AND {condition})"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests;
