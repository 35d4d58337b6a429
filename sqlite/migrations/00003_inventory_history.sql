-- +goose Up
-- Inventory history, kept cheap on the import path: a record remembers the
-- job that created it, and only updates and deletes write a change row (the
-- state before and after). The key is copied into each change, so history
-- outlives the record.
ALTER TABLE inventory ADD COLUMN created_job_id INTEGER REFERENCES import_jobs (id);
UPDATE inventory SET created_job_id = last_job_id;

CREATE TABLE inventory_changes (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    record_id         INTEGER NOT NULL,            -- no FK: the record may be deleted
    item_id           INTEGER NOT NULL,
    bin_id            INTEGER NOT NULL,
    lot_id            INTEGER NOT NULL,
    date_filled       TEXT NOT NULL,
    op                TEXT NOT NULL CHECK (op IN ('update', 'delete')),
    old_quantity      TEXT NOT NULL,
    old_uom_id        INTEGER NOT NULL,
    new_quantity      TEXT,                        -- NULL for a delete
    new_uom_id        INTEGER,
    job_id            INTEGER REFERENCES import_jobs (id), -- NULL for a batch delete
    record_created_at TEXT NOT NULL,
    record_job_id     INTEGER,                     -- the job that created the record
    changed_at        TEXT NOT NULL
);
CREATE INDEX inventory_changes_record ON inventory_changes (tenant_id, record_id, id);
CREATE INDEX inventory_changes_key ON inventory_changes (tenant_id, item_id, bin_id, lot_id, date_filled);
CREATE INDEX inventory_changes_job ON inventory_changes (job_id);

-- +goose Down
DROP TABLE inventory_changes;
ALTER TABLE inventory DROP COLUMN created_job_id;
