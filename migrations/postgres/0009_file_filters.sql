-- File filters of a basket's dataset selection and of the order's dataset task (docs/decisions.md "Basket
-- upload and file filters"): JSON {"fileTypes": [...], "fileNamePattern": "..."}; NULL = every orderable file.
ALTER TABLE basket_datasets ADD COLUMN file_filters TEXT;
ALTER TABLE dataset_tasks ADD COLUMN file_filters TEXT;
