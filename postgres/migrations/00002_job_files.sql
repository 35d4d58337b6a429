-- +goose Up
-- Uploads and result files live in the database, so any node can serve them
-- and a queued job never depends on a node's disk.
CREATE TABLE job_files (
    job_id     bigint NOT NULL REFERENCES import_jobs (id),
    tenant_id  bigint NOT NULL REFERENCES tenants (id),
    kind       text NOT NULL CHECK (kind IN ('input', 'staging', 'output', 'errors')),
    content    bytea NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (job_id, kind)
);

ALTER TABLE import_jobs ADD COLUMN field_mappings text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE import_jobs DROP COLUMN field_mappings;
DROP TABLE job_files;
