-- "Files ready" news waiting for their owner's next digest mail, and when each owner was last sent one
-- (docs/decisions.md "Mail digest").
CREATE TABLE ready_news (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner      TEXT    NOT NULL,
    order_id   INTEGER NOT NULL,
    files      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ready_news_owner ON ready_news (owner);

CREATE TABLE mail_digests (
    owner     TEXT    NOT NULL PRIMARY KEY,
    last_sent INTEGER NOT NULL
);
