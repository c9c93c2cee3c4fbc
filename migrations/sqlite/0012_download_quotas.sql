-- Download quotas (docs/decisions.md "Download quotas"): each user's limits when set by an admin, the
-- RAWDATA files delivered whole (one row each, for the rolling window), the ranges of a file delivered so
-- far towards a whole one, and the downloads running now (leased: a process that dies frees its slots).
CREATE TABLE user_quotas (
    owner      TEXT    NOT NULL PRIMARY KEY,
    max_quota  INTEGER NOT NULL,
    rate_limit INTEGER NOT NULL
);

CREATE TABLE quota_uses (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    owner   TEXT    NOT NULL,
    file_id INTEGER NOT NULL,
    used_at INTEGER NOT NULL
);
CREATE INDEX quota_uses_owner ON quota_uses (owner, used_at);

CREATE TABLE quota_coverage (
    owner   TEXT    NOT NULL,
    file_id INTEGER NOT NULL,
    ranges  TEXT    NOT NULL,
    PRIMARY KEY (owner, file_id)
);

CREATE TABLE running_downloads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner       TEXT    NOT NULL,
    file_id     INTEGER,
    reserved    INTEGER NOT NULL,
    lease_until INTEGER NOT NULL
);
CREATE INDEX running_downloads_owner ON running_downloads (owner);
