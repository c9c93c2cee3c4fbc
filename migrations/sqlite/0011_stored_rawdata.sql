-- A tenth counter: the RAWDATA files the archive stores (not external references), those a download
-- quota counts (docs/decisions.md "The basket's quota"); shown as the basket's `quota`. Filled from the
-- files already imported; the summary index covers it.
ALTER TABLE data_objects ADD COLUMN raw_stored_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE object_totals ADD COLUMN raw_stored_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE basket_datasets ADD COLUMN raw_stored_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE basket_items ADD COLUMN raw_stored_count INTEGER NOT NULL DEFAULT 0;

UPDATE data_objects SET raw_stored_count = (
    SELECT COUNT(*) FROM files f
    WHERE f.object_id = data_objects.id AND f.data_type = 'RAWDATA' AND f.reference = 0
) WHERE raw_count > 0;
UPDATE object_totals SET raw_stored_count = (
    SELECT COALESCE(SUM(o.raw_stored_count), 0) FROM data_objects o
    WHERE o.dataset_id = object_totals.dataset_id AND o.creation_date = object_totals.creation_date
);

DROP INDEX data_objects_summary;
CREATE INDEX data_objects_summary ON data_objects (
    dataset_id, creation_date, has_orderable, raw_count, raw_bytes, ql_sd_count, ql_sd_bytes,
    ql_md_count, ql_md_bytes, ql_hd_count, ql_hd_bytes, raw_stored_count
);
