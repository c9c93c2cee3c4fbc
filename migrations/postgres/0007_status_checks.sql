-- Every status column takes only the values of its state machine (src/domain/order/states.rs): an unknown
-- value is refused when written, never decoded into something else.
ALTER TABLE orders ADD CONSTRAINT orders_status_known CHECK (status IN ('PENDING', 'RUNNING', 'PAUSED',
    'EXPIRED', 'FAILED', 'DONE_WITH_WARNING', 'DONE', 'DELETED'));
ALTER TABLE sub_orders ADD CONSTRAINT sub_orders_state_known CHECK (state IN ('OPEN', 'WAITING', 'RUNNING',
    'DONE', 'CANCELLED'));
ALTER TABLE order_files ADD CONSTRAINT order_files_state_known CHECK (state IN ('PENDING', 'AVAILABLE',
    'DOWNLOADED', 'DOWNLOAD_ERROR', 'ERROR'));
