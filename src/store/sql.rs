//! What differs between the backends in the text of a statement: row locks and placeholders. Everything
//! that writes SQL asks here rather than testing the backend itself.

use super::Backend;

impl Backend {
    /// Appended to a `SELECT` that locks its row for the rest of the transaction: `FOR UPDATE` on
    /// PostgreSQL; nothing on SQLite, whose writing transactions begin with `BEGIN IMMEDIATE` and hold the
    /// one write lock already.
    pub fn lock_row(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Placeholder `n`: `$n` on PostgreSQL, `?n` on SQLite, which numbers `?n` at once while it looks each
    /// `$n` up among the names seen before (quadratic for a statement of thousands of parameters).
    /// Numbered and anonymous `?` do not mix in one statement.
    pub fn arg(self, n: usize) -> String {
        match self {
            Backend::Sqlite => format!("?{n}"),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// `count` placeholders from `first` on, comma-separated (for `IN (…)`).
    pub fn args(self, first: usize, count: usize) -> String {
        (first..first + count)
            .map(|n| self.arg(n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `(…), (…)` for a multi-row `INSERT` of `rows` rows of `columns` values: `$n` on PostgreSQL,
    /// anonymous `?` on SQLite (numbered as they come), so it must be the only kind in its statement.
    pub fn rows(self, rows: usize, columns: usize) -> String {
        let row = |r: usize| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| match self {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${}", r * columns + c),
                })
                .collect();
            format!("({})", cells.join(", "))
        };
        (0..rows).map(row).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_locks_by_backend() {
        assert_eq!(Backend::Postgres.args(3, 3), "$3, $4, $5");
        assert_eq!(Backend::Sqlite.args(1, 2), "?1, ?2");
        assert_eq!(Backend::Postgres.rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(Backend::Sqlite.rows(2, 1), "(?), (?)");
        assert_eq!(Backend::Postgres.lock_row(), " FOR UPDATE");
        assert_eq!(Backend::Sqlite.lock_row(), "");
    }
}
