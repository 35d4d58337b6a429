-- +goose NO TRANSACTION
-- +goose Up
-- Job lifecycle: a job has a type (an import, or the revert of one), a
-- revert links both ways, a job can be cancelled, and a revert can re-create
-- a deleted record (change op 'restore', which has no state before it).
-- SQLite cannot change a CHECK constraint, so both tables are rebuilt by
-- SQLite's documented procedure (https://www.sqlite.org/lang_altertable.html
-- "Making Other Kinds Of Table Schema Changes"): foreign keys off outside the
-- transaction, new table, copy, drop, rename, indexes, foreign_key_check.
-- goose runs this on the single writer connection, so the pragma holds.
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE new_import_jobs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id),
    user_id            INTEGER NOT NULL REFERENCES users (id),
    type               TEXT NOT NULL DEFAULT 'inventory-import' CHECK (type IN ('inventory-import', 'inventory-import-revert')),
    source             TEXT NOT NULL CHECK (source IN ('api', 'csv')),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'completed_with_errors', 'failed', 'cancelled')),
    args               TEXT NOT NULL,              -- JSON of vintry.ImportArgs
    total              INTEGER NOT NULL DEFAULT 0,
    created            INTEGER NOT NULL DEFAULT 0,
    updated            INTEGER NOT NULL DEFAULT 0,
    unchanged          INTEGER NOT NULL DEFAULT 0,
    failed             INTEGER NOT NULL DEFAULT 0,
    deleted            INTEGER NOT NULL DEFAULT 0, -- records a revert deleted
    errors             TEXT NOT NULL DEFAULT '[]', -- JSON array of vintry.RowError
    steps_done         INTEGER NOT NULL DEFAULT 0,
    log                TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    file_name          TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    started_at         TEXT,
    completed_at       TEXT,
    field_mappings     TEXT NOT NULL DEFAULT '',
    reverts_job_id     INTEGER REFERENCES import_jobs (id), -- the job a revert job reverted
    reverted_by_job_id INTEGER REFERENCES import_jobs (id)  -- the revert job that reverted this one
);
INSERT INTO new_import_jobs (id, tenant_id, user_id, source, status, args, total, created, updated, unchanged, failed,
        errors, steps_done, log, file_name, created_at, started_at, completed_at, field_mappings)
    SELECT id, tenant_id, user_id, source, status, args, total, created, updated, unchanged, failed,
        errors, steps_done, log, file_name, created_at, started_at, completed_at, field_mappings
    FROM import_jobs;
DROP TABLE import_jobs;
ALTER TABLE new_import_jobs RENAME TO import_jobs;
CREATE INDEX import_jobs_tenant ON import_jobs (tenant_id, id);

CREATE TABLE new_inventory_changes (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    record_id         INTEGER NOT NULL,            -- no FK: the record may be deleted
    item_id           INTEGER NOT NULL,
    bin_id            INTEGER NOT NULL,
    lot_id            INTEGER NOT NULL,
    date_filled       TEXT NOT NULL,
    op                TEXT NOT NULL CHECK (op IN ('update', 'delete', 'restore')),
    old_quantity      TEXT,                        -- NULL for a restore
    old_uom_id        INTEGER,
    new_quantity      TEXT,                        -- NULL for a delete
    new_uom_id        INTEGER,
    job_id            INTEGER REFERENCES import_jobs (id), -- NULL for a batch delete
    record_created_at TEXT NOT NULL,
    record_job_id     INTEGER,                     -- the job that created the record
    changed_at        TEXT NOT NULL
);
INSERT INTO new_inventory_changes SELECT id, tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
        old_quantity, old_uom_id, new_quantity, new_uom_id, job_id, record_created_at, record_job_id, changed_at
    FROM inventory_changes;
DROP TABLE inventory_changes;
ALTER TABLE new_inventory_changes RENAME TO inventory_changes;
CREATE INDEX inventory_changes_record ON inventory_changes (tenant_id, record_id, id);
CREATE INDEX inventory_changes_key ON inventory_changes (tenant_id, item_id, bin_id, lot_id, date_filled);
CREATE INDEX inventory_changes_job ON inventory_changes (job_id);
CREATE INDEX inventory_changes_record_job ON inventory_changes (record_job_id);
CREATE INDEX inventory_created_job ON inventory (created_job_id);

PRAGMA foreign_key_check;
COMMIT;

PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE old_import_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    source       TEXT NOT NULL CHECK (source IN ('api', 'csv')),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'completed_with_errors', 'failed')),
    args         TEXT NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    created      INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    errors       TEXT NOT NULL DEFAULT '[]',
    steps_done   INTEGER NOT NULL DEFAULT 0,
    log          TEXT NOT NULL DEFAULT '[]',
    file_name    TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    completed_at TEXT,
    field_mappings TEXT NOT NULL DEFAULT ''
);
-- A cancelled job wrote nothing, as a failed one.
INSERT INTO old_import_jobs SELECT id, tenant_id, user_id, source,
        CASE status WHEN 'cancelled' THEN 'failed' ELSE status END, args, total, created, updated, unchanged, failed,
        errors, steps_done, log, file_name, created_at, started_at, completed_at, field_mappings
    FROM import_jobs;
DROP TABLE import_jobs;
ALTER TABLE old_import_jobs RENAME TO import_jobs;
CREATE INDEX import_jobs_tenant ON import_jobs (tenant_id, id);

DROP INDEX inventory_created_job;
DROP INDEX inventory_changes_record_job;
-- Restores cannot be expressed in the old history; they are forgotten.
DELETE FROM inventory_changes WHERE op = 'restore';
CREATE TABLE old_inventory_changes (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    record_id         INTEGER NOT NULL,
    item_id           INTEGER NOT NULL,
    bin_id            INTEGER NOT NULL,
    lot_id            INTEGER NOT NULL,
    date_filled       TEXT NOT NULL,
    op                TEXT NOT NULL CHECK (op IN ('update', 'delete')),
    old_quantity      TEXT NOT NULL,
    old_uom_id        INTEGER NOT NULL,
    new_quantity      TEXT,
    new_uom_id        INTEGER,
    job_id            INTEGER REFERENCES import_jobs (id),
    record_created_at TEXT NOT NULL,
    record_job_id     INTEGER,
    changed_at        TEXT NOT NULL
);
INSERT INTO old_inventory_changes SELECT * FROM inventory_changes;
DROP TABLE inventory_changes;
ALTER TABLE old_inventory_changes RENAME TO inventory_changes;
CREATE INDEX inventory_changes_record ON inventory_changes (tenant_id, record_id, id);
CREATE INDEX inventory_changes_key ON inventory_changes (tenant_id, item_id, bin_id, lot_id, date_filled);
CREATE INDEX inventory_changes_job ON inventory_changes (job_id);

PRAGMA foreign_key_check;
COMMIT;

PRAGMA foreign_keys = ON;
