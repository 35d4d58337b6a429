-- +goose Up
-- Uploads and result files live in the database, so any node can serve them
-- and a queued job never depends on a node's disk.
CREATE TABLE job_files (
    job_id     INTEGER NOT NULL REFERENCES import_jobs (id),
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    kind       TEXT NOT NULL CHECK (kind IN ('input', 'staging', 'output', 'errors')),
    content    BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, kind)
);

ALTER TABLE import_jobs ADD COLUMN field_mappings TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE import_jobs DROP COLUMN field_mappings;
DROP TABLE job_files;
