//! The configuration's layers as TOML tables: embedded defaults, then a file, then environment variables,
//! then command-line flags, each merged over the one before.

use toml::{Table, Value};

/// Environment variables naming a key start with this; sections are separated by `__`
/// (`REGARDS_ORDER__JOBS__LEASE=2s`).
pub const ENV_PREFIX: &str = "REGARDS_ORDER__";

/// Merges `overlay` into `base`: tables merge key by key, any other value (arrays included) replaces.
pub fn merge(base: &mut Table, overlay: Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(existing)), Value::Table(incoming)) => merge(existing, incoming),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Applies `REGARDS_ORDER__SECTION__KEY=value` variables. A value takes the type of the key it replaces
/// (so `REGARDS_ORDER__JOBS__WORKERS=8` is a number and `REGARDS_ORDER__AUTH__SECRET=1234...` a string);
/// `REGARDS_ORDER__STORAGES` is the whole `[[storages]]` list as JSON.
pub fn apply_env<I>(table: &mut Table, vars: I) -> Result<(), String>
where
    I: IntoIterator<Item = (String, String)>,
{
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .collect();
    vars.sort();
    for (name, raw) in vars {
        let path: Vec<String> = name[ENV_PREFIX.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("{name}: empty section or key name"));
        }
        let value = if path == ["storages"] {
            storages_from_json(&raw).map_err(|error| format!("{name}: {error}"))?
        } else {
            coerce(lookup(table, &path), &raw).map_err(|error| format!("{name}: {error}"))?
        };
        set(table, &path, value).map_err(|error| format!("{name}: {error}"))?;
    }
    Ok(())
}

/// Sets a dotted path (`["http", "bind"]`) in a table, creating the sections on the way.
pub fn set(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, sections) = path.split_last().ok_or("empty key")?;
    let mut current = table;
    for section in sections {
        let entry = current
            .entry(section.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(inner) => inner,
            _ => return Err(format!("`{section}` is a value, not a section")),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

fn lookup<'a>(table: &'a Table, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let value = table.get(first)?;
    match (rest.is_empty(), value) {
        (true, value) => Some(value),
        (false, Value::Table(inner)) => lookup(inner, rest),
        (false, _) => None,
    }
}

fn coerce(existing: Option<&Value>, raw: &str) -> Result<Value, String> {
    match existing {
        Some(Value::Integer(_)) => raw
            .trim()
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| format!("expected a whole number, got {raw:?}")),
        Some(Value::Boolean(_)) => raw
            .trim()
            .parse::<bool>()
            .map(Value::Boolean)
            .map_err(|_| format!("expected true or false, got {raw:?}")),
        Some(Value::Float(_)) => raw
            .trim()
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("expected a number, got {raw:?}")),
        _ => Ok(Value::String(raw.to_owned())),
    }
}

fn storages_from_json(raw: &str) -> Result<Value, String> {
    let json: serde_json::Value =
        serde_json::from_str(raw).map_err(|error| format!("invalid JSON: {error}"))?;
    if !json.is_array() {
        return Err("expected a JSON array of storages".into());
    }
    Value::try_from(json).map_err(|error| format!("cannot read storages: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn sections_merge_and_values_replace() {
        let mut base = table("a = 1\n[s]\nx = 1\ny = 2\nlist = [1, 2]");
        merge(&mut base, table("[s]\ny = 3\nlist = [9]"));
        assert_eq!(base, table("a = 1\n[s]\nx = 1\ny = 3\nlist = [9]"));
    }

    #[test]
    fn env_values_take_the_type_of_the_key_they_replace() {
        let mut base = table("[jobs]\nworkers = 4\nlease = \"30s\"\n[auth]\nsecret = \"\"");
        let vars = [
            ("REGARDS_ORDER__JOBS__WORKERS", "8"),
            ("REGARDS_ORDER__JOBS__LEASE", "2s"),
            ("REGARDS_ORDER__AUTH__SECRET", "12345"),
            ("OTHER__JOBS__WORKERS", "1"),
        ];
        apply_env(&mut base, vars.map(|(k, v)| (k.into(), v.into()))).unwrap();
        assert_eq!(
            base,
            table("[jobs]\nworkers = 8\nlease = \"2s\"\n[auth]\nsecret = \"12345\"")
        );
    }

    #[test]
    fn env_errors_name_the_variable() {
        let mut base = table("[jobs]\nworkers = 4");
        let error = apply_env(
            &mut base,
            [("REGARDS_ORDER__JOBS__WORKERS".into(), "many".into())],
        )
        .unwrap_err();
        assert_eq!(
            error,
            "REGARDS_ORDER__JOBS__WORKERS: expected a whole number, got \"many\""
        );
    }

    #[test]
    fn storages_come_whole_as_json() {
        let mut base = Table::new();
        let json = r#"[{"name": "disk", "kind": "online", "root": "/srv/disk"}]"#;
        apply_env(&mut base, [("REGARDS_ORDER__STORAGES".into(), json.into())]).unwrap();
        assert_eq!(
            base,
            table("[[storages]]\nname = \"disk\"\nkind = \"online\"\nroot = \"/srv/disk\"")
        );
        let error = apply_env(&mut base, [("REGARDS_ORDER__STORAGES".into(), "{}".into())]);
        assert!(error.unwrap_err().contains("expected a JSON array"));
    }
}
