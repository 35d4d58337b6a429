-- +goose Up
-- Inventory history, kept cheap on the import path: a record remembers the
-- job that created it, and only updates and deletes write a change row (the
-- state before and after). The key is copied into each change, so history
-- outlives the record.
ALTER TABLE inventory ADD COLUMN created_job_id bigint REFERENCES import_jobs (id);
UPDATE inventory SET created_job_id = last_job_id;

CREATE TABLE inventory_changes (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         bigint NOT NULL REFERENCES tenants (id),
    record_id         bigint NOT NULL,            -- no FK: the record may be deleted
    item_id           bigint NOT NULL,
    bin_id            bigint NOT NULL,
    lot_id            bigint NOT NULL,
    date_filled       date NOT NULL,
    op                text NOT NULL CHECK (op IN ('update', 'delete')),
    old_quantity      numeric(21, 6) NOT NULL,
    old_uom_id        bigint NOT NULL,
    new_quantity      numeric(21, 6),             -- NULL for a delete
    new_uom_id        bigint,
    job_id            bigint REFERENCES import_jobs (id), -- NULL for a batch delete
    record_created_at timestamptz NOT NULL,
    record_job_id     bigint,                     -- the job that created the record
    changed_at        timestamptz NOT NULL
);
CREATE INDEX inventory_changes_record ON inventory_changes (tenant_id, record_id, id);
CREATE INDEX inventory_changes_key ON inventory_changes (tenant_id, item_id, bin_id, lot_id, date_filled);
CREATE INDEX inventory_changes_job ON inventory_changes (job_id);

-- +goose Down
DROP TABLE inventory_changes;
ALTER TABLE inventory DROP COLUMN created_job_id;
