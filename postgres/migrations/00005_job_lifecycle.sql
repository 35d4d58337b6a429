-- +goose Up
-- Job lifecycle: a job has a type (an import, or the revert of one), a
-- revert links both ways, a job can be cancelled, and a revert can re-create
-- a deleted record (change op 'restore', which has no state before it).
ALTER TABLE import_jobs ADD COLUMN type text NOT NULL DEFAULT 'inventory-import'
    CHECK (type IN ('inventory-import', 'inventory-import-revert'));
ALTER TABLE import_jobs ADD COLUMN deleted integer NOT NULL DEFAULT 0; -- records a revert deleted
ALTER TABLE import_jobs ADD COLUMN reverts_job_id bigint REFERENCES import_jobs (id);
ALTER TABLE import_jobs ADD COLUMN reverted_by_job_id bigint REFERENCES import_jobs (id);
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_status_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check
    CHECK (status IN ('pending', 'processing', 'completed', 'completed_with_errors', 'failed', 'cancelled'));

ALTER TABLE inventory_changes DROP CONSTRAINT inventory_changes_op_check;
ALTER TABLE inventory_changes ADD CONSTRAINT inventory_changes_op_check CHECK (op IN ('update', 'delete', 'restore'));
ALTER TABLE inventory_changes ALTER COLUMN old_quantity DROP NOT NULL; -- NULL for a restore
ALTER TABLE inventory_changes ALTER COLUMN old_uom_id DROP NOT NULL;
CREATE INDEX inventory_changes_record_job ON inventory_changes (record_job_id);
CREATE INDEX inventory_created_job ON inventory (created_job_id);

-- +goose Down
DROP INDEX inventory_created_job;
DROP INDEX inventory_changes_record_job;
DELETE FROM inventory_changes WHERE op = 'restore';
ALTER TABLE inventory_changes ALTER COLUMN old_uom_id SET NOT NULL;
ALTER TABLE inventory_changes ALTER COLUMN old_quantity SET NOT NULL;
ALTER TABLE inventory_changes DROP CONSTRAINT inventory_changes_op_check;
ALTER TABLE inventory_changes ADD CONSTRAINT inventory_changes_op_check CHECK (op IN ('update', 'delete'));
UPDATE import_jobs SET status = 'failed' WHERE status = 'cancelled';
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_status_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check
    CHECK (status IN ('pending', 'processing', 'completed', 'completed_with_errors', 'failed'));
ALTER TABLE import_jobs DROP COLUMN reverted_by_job_id;
ALTER TABLE import_jobs DROP COLUMN reverts_job_id;
ALTER TABLE import_jobs DROP COLUMN deleted;
ALTER TABLE import_jobs DROP COLUMN type;
