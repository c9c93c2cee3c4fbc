-- The byte ranges of a file sent by single-file downloads so far (`0-99,200-299`, end exclusive): the file
-- is DOWNLOADED once they cover it.
ALTER TABLE order_files ADD COLUMN sent_ranges TEXT;
