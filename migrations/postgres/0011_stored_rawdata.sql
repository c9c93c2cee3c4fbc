-- A tenth counter: the RAWDATA files the archive stores (not external references), those a download
-- quota counts (docs/decisions.md "The basket's quota"); shown as the basket's `quota`. Filled from the
-- files already imported; the summary index covers it.
ALTER TABLE data_objects ADD COLUMN raw_stored_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE object_totals ADD COLUMN raw_stored_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE basket_datasets ADD COLUMN raw_stored_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE basket_items ADD COLUMN raw_stored_count BIGINT NOT NULL DEFAULT 0;

UPDATE data_objects o SET raw_stored_count = f.n
FROM (SELECT object_id, COUNT(*) AS n FROM files WHERE data_type = 'RAWDATA' AND reference = 0
      GROUP BY object_id) f
WHERE f.object_id = o.id;
UPDATE object_totals t SET raw_stored_count = s.n
FROM (SELECT dataset_id, creation_date, SUM(raw_stored_count) AS n FROM data_objects
      GROUP BY dataset_id, creation_date) s
WHERE s.dataset_id = t.dataset_id AND s.creation_date = t.creation_date;

DROP INDEX data_objects_summary;
CREATE INDEX data_objects_summary ON data_objects (dataset_id, creation_date)
    INCLUDE (has_orderable, raw_count, raw_bytes, ql_sd_count, ql_sd_bytes, ql_md_count, ql_md_bytes,
             ql_hd_count, ql_hd_bytes, raw_stored_count);
