-- Orders, their dataset tasks, their sub-orders (files tasks) and their files. Counters on orders and
-- sub-orders are kept exact in the transactions that change file states.

CREATE TABLE orders (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    owner                 TEXT NOT NULL,
    label                 TEXT NOT NULL,
    creation_date         INTEGER NOT NULL,
    expiration_date       INTEGER NOT NULL,
    status                TEXT NOT NULL,
    status_date           INTEGER NOT NULL,
    message               TEXT,
    on_success_url        TEXT,
    -- The basket the order consumed (its owner becomes ORDER_<id>), kept for restart.
    basket_id             INTEGER,
    -- 1 once every dataset task is expanded into files and sub-orders.
    expanded              INTEGER NOT NULL DEFAULT 0,
    total_files           INTEGER NOT NULL DEFAULT 0,
    total_bytes           INTEGER NOT NULL DEFAULT 0,
    -- Files AVAILABLE, DOWNLOADED, DOWNLOAD_ERROR or ERROR.
    treated_files         INTEGER NOT NULL DEFAULT 0,
    treated_bytes         INTEGER NOT NULL DEFAULT 0,
    available_files       INTEGER NOT NULL DEFAULT 0,
    error_files           INTEGER NOT NULL DEFAULT 0,
    download_error_files  INTEGER NOT NULL DEFAULT 0,
    -- When available_files last changed, and when its owner was last reminded of them.
    available_update_date INTEGER,
    reminded_at           INTEGER,
    UNIQUE (owner, label)
);

CREATE INDEX orders_owner ON orders (owner, creation_date);
CREATE INDEX orders_status ON orders (status, expiration_date);

CREATE TABLE dataset_tasks (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id            INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    dataset_id          INTEGER NOT NULL,
    dataset_ip_id       TEXT NOT NULL,
    dataset_label       TEXT NOT NULL,
    -- The dataset selection's frozen request.
    open_search_request TEXT NOT NULL,
    objects_count       INTEGER NOT NULL DEFAULT 0,
    files_count         INTEGER NOT NULL DEFAULT 0,
    files_size          INTEGER NOT NULL DEFAULT 0,
    -- Expansion progress: the objects with an id up to this one are done.
    cursor              INTEGER NOT NULL DEFAULT 0,
    expanded            INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX dataset_tasks_order ON dataset_tasks (order_id);

CREATE TABLE sub_orders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    dataset_task_id INTEGER NOT NULL,
    owner           TEXT NOT NULL,
    -- NULL for a sub-order of external (http) files.
    storage         TEXT,
    -- OPEN (being filled by the expansion), WAITING (for a slot), RUNNING (being staged), DONE.
    state           TEXT NOT NULL,
    files_count     INTEGER NOT NULL DEFAULT 0,
    bytes           INTEGER NOT NULL DEFAULT 0,
    pending_files   INTEGER NOT NULL DEFAULT 0,
    available_files INTEGER NOT NULL DEFAULT 0,
    -- Nearline cache bytes held for this sub-order while it is staged and waits for downloads; then its
    -- copies are evictable until removed.
    reserved_bytes  INTEGER NOT NULL DEFAULT 0,
    evictable_bytes INTEGER NOT NULL DEFAULT 0,
    released_at     INTEGER,
    started_at      INTEGER,
    ended_at        INTEGER
);

CREATE INDEX sub_orders_order ON sub_orders (order_id, state);
CREATE INDEX sub_orders_owner ON sub_orders (owner, state);
CREATE INDEX sub_orders_cache ON sub_orders (storage, reserved_bytes, evictable_bytes);

-- No foreign key: an order of a million files is written and purged in bulk.
CREATE TABLE order_files (
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
    state           TEXT NOT NULL,
    error           TEXT,
    -- A nearline file's copy in the cache.
    cache_path      TEXT,
    state_date      INTEGER NOT NULL
);

CREATE INDEX order_files_order ON order_files (order_id, state);
CREATE INDEX order_files_sub_order ON order_files (sub_order_id, state);
