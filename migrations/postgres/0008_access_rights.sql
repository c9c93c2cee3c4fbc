-- Access rights of datasets (docs/decisions.md "Access rights"). access_open: NULL = never given rights
-- (the `[access] default` applies), 1 = open to every user, 0 = only the groups in dataset_rights.
ALTER TABLE datasets ADD COLUMN access_open INTEGER CHECK (access_open IN (0, 1));

CREATE TABLE dataset_rights (
    dataset_id BIGINT  NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    group_name TEXT COLLATE "C" NOT NULL,
    level      TEXT    NOT NULL CHECK (level IN ('RESTRICTED_ACCESS', 'FULL_ACCESS')),
    PRIMARY KEY (dataset_id, group_name)
);

-- The owner's access groups when the order was created, as a JSON array of strings; NULL: every dataset
-- (an admin's order, or one placed before access rights existed).
ALTER TABLE orders ADD COLUMN access_groups TEXT;
