-- +goose Up
-- Indexes PostgreSQL has had since 00001: a record's item and last job, so a
-- foreign key check (deleting an item) reads the item's records, not the
-- whole table. The schema-parity test (store/schema_test.go) found them
-- missing here.
CREATE INDEX inventory_item ON inventory (item_id);
CREATE INDEX inventory_last_job ON inventory (last_job_id);

-- +goose Down
DROP INDEX inventory_last_job;
DROP INDEX inventory_item;
