-- Durable jobs: a worker leases a row (lease_until), runs it, deletes it. A crashed worker's lease runs
-- out and another worker takes the job over. Times are epoch milliseconds.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    -- While queued, at most one job per key (cleared when the job is leased).
    unique_key  TEXT    UNIQUE,
    run_at      INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    leased_by   TEXT,
    last_error  TEXT,
    -- Set when the job ran out of attempts: it stays, visible, and never runs again.
    failed_at   INTEGER,
    created_at  INTEGER NOT NULL
);

CREATE INDEX jobs_due ON jobs (run_at, id) WHERE failed_at IS NULL;
