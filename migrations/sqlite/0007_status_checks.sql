-- no-transaction
-- Every status column takes only the values of its state machine (src/domain/order/states.rs): an unknown
-- value is refused when written, never decoded into something else. SQLite cannot add a CHECK to a table,
-- so orders, sub_orders and order_files are rebuilt (as in 0006: foreign keys off while the old tables go,
-- AUTOINCREMENT sequences carried over so that ids are never reused).
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE orders_new (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    owner                 TEXT NOT NULL,
    label                 TEXT NOT NULL,
    creation_date         INTEGER NOT NULL,
    -- NULL: the order never expires.
    expiration_date       INTEGER,
    status                TEXT NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'PAUSED', 'EXPIRED', 'FAILED',
                                                          'DONE_WITH_WARNING', 'DONE', 'DELETED')),
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
INSERT INTO orders_new SELECT id, owner, label, creation_date, expiration_date, status, status_date, message,
       on_success_url, basket_id, expanded, total_files, total_bytes, treated_files, treated_bytes,
       available_files, error_files, download_error_files, available_update_date, reminded_at
FROM orders;

CREATE TABLE sub_orders_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    dataset_task_id INTEGER NOT NULL,
    owner           TEXT NOT NULL,
    -- NULL for a sub-order of external (http) files.
    storage         TEXT,
    state           TEXT NOT NULL CHECK (state IN ('OPEN', 'WAITING', 'RUNNING', 'DONE', 'CANCELLED')),
    files_count     INTEGER NOT NULL DEFAULT 0,
    bytes           INTEGER NOT NULL DEFAULT 0,
    pending_files   INTEGER NOT NULL DEFAULT 0,
    available_files INTEGER NOT NULL DEFAULT 0,
    reserved_bytes  INTEGER NOT NULL DEFAULT 0,
    evictable_bytes INTEGER NOT NULL DEFAULT 0,
    released_at     INTEGER,
    started_at      INTEGER,
    ended_at        INTEGER
);
INSERT INTO sub_orders_new SELECT id, order_id, dataset_task_id, owner, storage, state, files_count, bytes,
       pending_files, available_files, reserved_bytes, evictable_bytes, released_at, started_at, ended_at
FROM sub_orders;

CREATE TABLE order_files_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER NOT NULL,
    sub_order_id    INTEGER NOT NULL,
    dataset_task_id INTEGER NOT NULL,
    object_ip_id    TEXT NOT NULL,
    provider_id     TEXT NOT NULL,
    data_type       TEXT NOT NULL,
    filename        TEXT NOT NULL,
    size            INTEGER,
    checksum        TEXT,
    checksum_algo   TEXT,
    crc32           INTEGER,
    mime_type       TEXT NOT NULL,
    uri             TEXT NOT NULL,
    storage         TEXT,
    reference       INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('PENDING', 'AVAILABLE', 'DOWNLOADED', 'DOWNLOAD_ERROR',
                                                   'ERROR')),
    error           TEXT,
    cache_path      TEXT,
    state_date      INTEGER NOT NULL,
    sent_ranges     TEXT
);
INSERT INTO order_files_new SELECT id, order_id, sub_order_id, dataset_task_id, object_ip_id, provider_id,
       data_type, filename, size, checksum, checksum_algo, crc32, mime_type, uri, storage, reference, state,
       error, cache_path, state_date, sent_ranges
FROM order_files;

-- Ids are never reused: each new table continues its old one's sequence.
DELETE FROM sqlite_sequence WHERE name IN ('orders_new', 'sub_orders_new', 'order_files_new');
INSERT INTO sqlite_sequence (name, seq)
    SELECT name || '_new', seq FROM sqlite_sequence WHERE name IN ('orders', 'sub_orders', 'order_files');

DROP TABLE order_files;
DROP TABLE sub_orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
ALTER TABLE sub_orders_new RENAME TO sub_orders;
ALTER TABLE order_files_new RENAME TO order_files;

CREATE INDEX orders_owner ON orders (owner, creation_date);
CREATE INDEX orders_status ON orders (status, expiration_date);
CREATE INDEX sub_orders_order ON sub_orders (order_id, state);
CREATE INDEX sub_orders_owner ON sub_orders (owner, state);
CREATE INDEX sub_orders_cache ON sub_orders (storage, reserved_bytes, evictable_bytes);
CREATE INDEX order_files_order ON order_files (order_id, state);
CREATE INDEX order_files_sub_order ON order_files (sub_order_id, state);

COMMIT;

PRAGMA foreign_keys = ON;
