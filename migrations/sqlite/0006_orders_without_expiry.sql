-- no-transaction
-- Orders may never expire (`orders.expiration = "never"`): expiration_date becomes nullable. SQLite cannot
-- drop a NOT NULL constraint, so the table is rebuilt (https://sqlite.org/lang_altertable.html, "other
-- kinds of table schema changes"), with foreign keys off so that dropping the old table cascades nowhere.
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE orders_new (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    owner                 TEXT NOT NULL,
    label                 TEXT NOT NULL,
    creation_date         INTEGER NOT NULL,
    -- NULL: the order never expires.
    expiration_date       INTEGER,
    status                TEXT NOT NULL,
    status_date           INTEGER NOT NULL,
    message               TEXT,
    on_success_url        TEXT,
    basket_id             INTEGER,
    expanded              INTEGER NOT NULL DEFAULT 0,
    total_files           INTEGER NOT NULL DEFAULT 0,
    total_bytes           INTEGER NOT NULL DEFAULT 0,
    treated_files         INTEGER NOT NULL DEFAULT 0,
    treated_bytes         INTEGER NOT NULL DEFAULT 0,
    available_files       INTEGER NOT NULL DEFAULT 0,
    error_files           INTEGER NOT NULL DEFAULT 0,
    download_error_files  INTEGER NOT NULL DEFAULT 0,
    available_update_date INTEGER,
    reminded_at           INTEGER,
    UNIQUE (owner, label)
);

INSERT INTO orders_new (id, owner, label, creation_date, expiration_date, status, status_date, message,
                        on_success_url, basket_id, expanded, total_files, total_bytes, treated_files,
                        treated_bytes, available_files, error_files, download_error_files,
                        available_update_date, reminded_at)
SELECT id, owner, label, creation_date, expiration_date, status, status_date, message, on_success_url,
       basket_id, expanded, total_files, total_bytes, treated_files, treated_bytes, available_files,
       error_files, download_error_files, available_update_date, reminded_at
FROM orders;

-- Ids are never reused: the new table continues the old one's sequence.
DELETE FROM sqlite_sequence WHERE name = 'orders_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'orders_new', seq FROM sqlite_sequence WHERE name = 'orders';

DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_owner ON orders (owner, creation_date);
CREATE INDEX orders_status ON orders (status, expiration_date);

COMMIT;

PRAGMA foreign_keys = ON;
