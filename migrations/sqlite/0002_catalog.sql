-- The built-in catalog: datasets (STAC collections), data objects (items) and their files (assets).

CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ip_id         TEXT    NOT NULL UNIQUE,
    provider_id   TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    description   TEXT,
    creation_date INTEGER NOT NULL,
    last_update   INTEGER NOT NULL,
    -- Refreshed at the end of every import.
    objects_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE data_objects (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ip_id         TEXT    NOT NULL UNIQUE,
    provider_id   TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    -- ' word word ' of the label: what bare query terms match.
    label_words   TEXT    NOT NULL,
    dataset_id    INTEGER NOT NULL REFERENCES datasets (id),
    creation_date INTEGER NOT NULL,
    last_update   INTEGER NOT NULL,
    -- The STAC properties as imported (JSON).
    properties    TEXT    NOT NULL,
    -- 1 when the object has an orderable file (RAWDATA, QUICKLOOK_SD/MD/HD).
    has_orderable INTEGER NOT NULL DEFAULT 0,
    -- Orderable files per data type, so that summaries never read the files table.
    raw_count     INTEGER NOT NULL DEFAULT 0,
    raw_bytes     INTEGER NOT NULL DEFAULT 0,
    ql_sd_count   INTEGER NOT NULL DEFAULT 0,
    ql_sd_bytes   INTEGER NOT NULL DEFAULT 0,
    ql_md_count   INTEGER NOT NULL DEFAULT 0,
    ql_md_bytes   INTEGER NOT NULL DEFAULT 0,
    ql_hd_count   INTEGER NOT NULL DEFAULT 0,
    ql_hd_bytes   INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX data_objects_provider_id ON data_objects (provider_id);
CREATE INDEX data_objects_creation_date ON data_objects (creation_date);
CREATE INDEX data_objects_last_update ON data_objects (last_update);
-- Covers the summary of a selection (a dataset, a creation-date bound and the counters).
CREATE INDEX data_objects_summary ON data_objects (
    dataset_id, creation_date, has_orderable, raw_count, raw_bytes, ql_sd_count, ql_sd_bytes,
    ql_md_count, ql_md_bytes, ql_hd_count, ql_hd_bytes
);

-- The same counters summed per dataset and creation date, kept in the transactions that write objects:
-- a summary whose query only looks at datasets and creation dates (a whole dataset up to a date, as a
-- basket freezes it) reads these few rows instead of every object.
CREATE TABLE object_totals (
    dataset_id    INTEGER NOT NULL REFERENCES datasets (id),
    creation_date INTEGER NOT NULL,
    has_orderable INTEGER NOT NULL DEFAULT 0,
    raw_count     INTEGER NOT NULL DEFAULT 0,
    raw_bytes     INTEGER NOT NULL DEFAULT 0,
    ql_sd_count   INTEGER NOT NULL DEFAULT 0,
    ql_sd_bytes   INTEGER NOT NULL DEFAULT 0,
    ql_md_count   INTEGER NOT NULL DEFAULT 0,
    ql_md_bytes   INTEGER NOT NULL DEFAULT 0,
    ql_hd_count   INTEGER NOT NULL DEFAULT 0,
    ql_hd_bytes   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset_id, creation_date)
);

-- Tags besides the dataset's ipId (which every object carries implicitly): STAC keywords.
CREATE TABLE object_tags (
    tag       TEXT    NOT NULL,
    object_id INTEGER NOT NULL REFERENCES data_objects (id) ON DELETE CASCADE,
    PRIMARY KEY (tag, object_id)
) WITHOUT ROWID;

CREATE INDEX object_tags_object ON object_tags (object_id);

-- Property values for queries: numbers and dates in num_value (dates as epoch ms), every value as text.
CREATE TABLE object_properties (
    object_id  INTEGER NOT NULL REFERENCES data_objects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    text_value TEXT    NOT NULL,
    num_value  REAL,
    PRIMARY KEY (object_id, name, text_value)
) WITHOUT ROWID;

CREATE INDEX object_properties_num ON object_properties (name, num_value);
CREATE INDEX object_properties_text ON object_properties (name, text_value);

-- How each property compares: number, date or string (a property seen with mixed types is a string).
CREATE TABLE property_types (
    name       TEXT NOT NULL PRIMARY KEY,
    value_type TEXT NOT NULL
);

CREATE TABLE files (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id     INTEGER NOT NULL REFERENCES data_objects (id) ON DELETE CASCADE,
    asset_key     TEXT    NOT NULL,
    data_type     TEXT    NOT NULL,
    filename      TEXT    NOT NULL,
    size          INTEGER,
    checksum      TEXT,
    checksum_algo TEXT,
    crc32         INTEGER,
    mime_type     TEXT    NOT NULL,
    -- file:///... inside a storage root, or the http(s) URL of an external reference.
    uri           TEXT    NOT NULL,
    storage       TEXT,
    reference     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (object_id, asset_key)
);
