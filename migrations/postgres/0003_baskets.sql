-- Baskets: one per owner, holding per-dataset selections made of dated, frozen item selections.
-- Counters are those of data_objects (objects with orderable files, then count and bytes per type).

CREATE TABLE baskets (
    id         BIGSERIAL PRIMARY KEY,
    owner      TEXT    NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE basket_datasets (
    id                  BIGSERIAL PRIMARY KEY,
    basket_id           BIGINT NOT NULL REFERENCES baskets (id) ON DELETE CASCADE,
    dataset_id          BIGINT NOT NULL REFERENCES datasets (id),
    dataset_ip_id       TEXT    NOT NULL,
    dataset_label       TEXT    NOT NULL,
    -- ((<item 1>) OR (<item 2>) ...), rebuilt whenever an item comes or goes.
    open_search_request TEXT    NOT NULL,
    has_orderable       BIGINT NOT NULL DEFAULT 0,
    raw_count           BIGINT NOT NULL DEFAULT 0,
    raw_bytes           BIGINT NOT NULL DEFAULT 0,
    ql_sd_count         BIGINT NOT NULL DEFAULT 0,
    ql_sd_bytes         BIGINT NOT NULL DEFAULT 0,
    ql_md_count         BIGINT NOT NULL DEFAULT 0,
    ql_md_bytes         BIGINT NOT NULL DEFAULT 0,
    ql_hd_count         BIGINT NOT NULL DEFAULT 0,
    ql_hd_bytes         BIGINT NOT NULL DEFAULT 0,
    UNIQUE (basket_id, dataset_id)
);

CREATE TABLE basket_items (
    basket_dataset_id   BIGINT NOT NULL REFERENCES basket_datasets (id) ON DELETE CASCADE,
    -- Epoch ms, unique within a dataset selection: the key of the DELETE endpoint.
    date                BIGINT NOT NULL,
    -- (<request>) AND creationDate:[* TO <date>]
    open_search_request TEXT    NOT NULL,
    -- The request as selected, before freezing, and the body it came from (JSON).
    request             TEXT    NOT NULL,
    selection           TEXT    NOT NULL,
    has_orderable       BIGINT NOT NULL DEFAULT 0,
    raw_count           BIGINT NOT NULL DEFAULT 0,
    raw_bytes           BIGINT NOT NULL DEFAULT 0,
    ql_sd_count         BIGINT NOT NULL DEFAULT 0,
    ql_sd_bytes         BIGINT NOT NULL DEFAULT 0,
    ql_md_count         BIGINT NOT NULL DEFAULT 0,
    ql_md_bytes         BIGINT NOT NULL DEFAULT 0,
    ql_hd_count         BIGINT NOT NULL DEFAULT 0,
    ql_hd_bytes         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (basket_dataset_id, date)
);
