-- The built-in catalog: datasets (STAC collections), data objects (items) and their files (assets).
-- Text that queries compare uses COLLATE "C": bytewise and case-sensitive, as on SQLite.

CREATE TABLE datasets (
    id            BIGSERIAL PRIMARY KEY,
    ip_id         TEXT COLLATE "C" NOT NULL UNIQUE,
    provider_id   TEXT COLLATE "C" NOT NULL,
    label         TEXT   NOT NULL,
    description   TEXT,
    creation_date BIGINT NOT NULL,
    last_update   BIGINT NOT NULL,
    -- Refreshed at the end of every import.
    objects_count BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE data_objects (
    id            BIGSERIAL PRIMARY KEY,
    ip_id         TEXT COLLATE "C" NOT NULL UNIQUE,
    provider_id   TEXT COLLATE "C" NOT NULL,
    label         TEXT COLLATE "C" NOT NULL,
    -- ' word word ' of the label: what bare query terms match.
    label_words   TEXT COLLATE "C" NOT NULL,
    dataset_id    BIGINT NOT NULL REFERENCES datasets (id),
    creation_date BIGINT NOT NULL,
    last_update   BIGINT NOT NULL,
    -- The STAC properties as imported (JSON).
    properties    TEXT   NOT NULL,
    -- 1 when the object has an orderable file (RAWDATA, QUICKLOOK_SD/MD/HD).
    has_orderable BIGINT NOT NULL DEFAULT 0,
    -- Orderable files per data type, so that summaries never read the files table.
    raw_count     BIGINT NOT NULL DEFAULT 0,
    raw_bytes     BIGINT NOT NULL DEFAULT 0,
    ql_sd_count   BIGINT NOT NULL DEFAULT 0,
    ql_sd_bytes   BIGINT NOT NULL DEFAULT 0,
    ql_md_count   BIGINT NOT NULL DEFAULT 0,
    ql_md_bytes   BIGINT NOT NULL DEFAULT 0,
    ql_hd_count   BIGINT NOT NULL DEFAULT 0,
    ql_hd_bytes   BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX data_objects_provider_id ON data_objects (provider_id);
CREATE INDEX data_objects_creation_date ON data_objects (creation_date);
CREATE INDEX data_objects_last_update ON data_objects (last_update);
-- Covers the summary of a selection (a dataset, a creation-date bound and the counters).
CREATE INDEX data_objects_summary ON data_objects (dataset_id, creation_date)
    INCLUDE (has_orderable, raw_count, raw_bytes, ql_sd_count, ql_sd_bytes, ql_md_count, ql_md_bytes,
             ql_hd_count, ql_hd_bytes);

-- The same counters summed per dataset and creation date, kept in the transactions that write objects:
-- a summary whose query only looks at datasets and creation dates (a whole dataset up to a date, as a
-- basket freezes it) reads these few rows instead of every object.
CREATE TABLE object_totals (
    dataset_id    BIGINT NOT NULL REFERENCES datasets (id),
    creation_date BIGINT NOT NULL,
    has_orderable BIGINT NOT NULL DEFAULT 0,
    raw_count     BIGINT NOT NULL DEFAULT 0,
    raw_bytes     BIGINT NOT NULL DEFAULT 0,
    ql_sd_count   BIGINT NOT NULL DEFAULT 0,
    ql_sd_bytes   BIGINT NOT NULL DEFAULT 0,
    ql_md_count   BIGINT NOT NULL DEFAULT 0,
    ql_md_bytes   BIGINT NOT NULL DEFAULT 0,
    ql_hd_count   BIGINT NOT NULL DEFAULT 0,
    ql_hd_bytes   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset_id, creation_date)
);

-- Tags besides the dataset's ipId (which every object carries implicitly): STAC keywords.
CREATE TABLE object_tags (
    tag       TEXT COLLATE "C" NOT NULL,
    object_id BIGINT NOT NULL REFERENCES data_objects (id) ON DELETE CASCADE,
    PRIMARY KEY (tag, object_id)
);

CREATE INDEX object_tags_object ON object_tags (object_id);

-- Property values for queries: numbers and dates in num_value (dates as epoch ms), every value as text.
CREATE TABLE object_properties (
    object_id  BIGINT NOT NULL REFERENCES data_objects (id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    text_value TEXT COLLATE "C" NOT NULL,
    num_value  DOUBLE PRECISION,
    PRIMARY KEY (object_id, name, text_value)
);

CREATE INDEX object_properties_num ON object_properties (name, num_value) INCLUDE (object_id);
CREATE INDEX object_properties_text ON object_properties (name, text_value) INCLUDE (object_id);

-- How each property compares: number, date or string (a property seen with mixed types is a string).
CREATE TABLE property_types (
    name       TEXT NOT NULL PRIMARY KEY,
    value_type TEXT NOT NULL
);

CREATE TABLE files (
    id            BIGSERIAL PRIMARY KEY,
    object_id     BIGINT NOT NULL REFERENCES data_objects (id) ON DELETE CASCADE,
    asset_key     TEXT   NOT NULL,
    data_type     TEXT   NOT NULL,
    filename      TEXT   NOT NULL,
    size          BIGINT,
    checksum      TEXT,
    checksum_algo TEXT,
    crc32         BIGINT,
    mime_type     TEXT   NOT NULL,
    -- file:///... inside a storage root, or the http(s) URL of an external reference.
    uri           TEXT   NOT NULL,
    storage       TEXT,
    reference     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (object_id, asset_key)
);
