-- Orders may never expire (`orders.expiration = "never"`): NULL expiration_date.
ALTER TABLE orders ALTER COLUMN expiration_date DROP NOT NULL;
