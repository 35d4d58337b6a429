-- +goose Up
-- A job file is stored as ordered parts (0, 1, 2…) of at most 1 MiB, written
-- from a stream and read back one part at a time, so no path holds a whole
-- large file in memory. A file has at least one part: an empty file is one
-- empty part 0. An existing file becomes its part 0.
-- SQLite cannot change a primary key in place, so the table is rebuilt (new
-- table, copy, drop, rename). No table references job_files, so foreign keys
-- stay on and the rebuild runs in goose's transaction.
CREATE TABLE new_job_files (
    job_id     INTEGER NOT NULL REFERENCES import_jobs (id),
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    kind       TEXT NOT NULL CHECK (kind IN ('input', 'staging', 'output', 'errors')),
    part       INTEGER NOT NULL CHECK (part >= 0),
    content    BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, kind, part)
);
INSERT INTO new_job_files (job_id, tenant_id, kind, part, content, created_at)
    SELECT job_id, tenant_id, kind, 0, content, created_at FROM job_files;
DROP TABLE job_files;
ALTER TABLE new_job_files RENAME TO job_files;

-- +goose Down
-- Each file's parts are joined again, in order, into one row. group_concat
-- concatenates the bytes as text (NUL bytes included); the cast makes them
-- a BLOB again.
CREATE TABLE old_job_files (
    job_id     INTEGER NOT NULL REFERENCES import_jobs (id),
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    kind       TEXT NOT NULL CHECK (kind IN ('input', 'staging', 'output', 'errors')),
    content    BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, kind)
);
INSERT INTO old_job_files (job_id, tenant_id, kind, content, created_at)
    SELECT job_id, tenant_id, kind, CAST(coalesce(group_concat(content, '' ORDER BY part), '') AS BLOB), min(created_at)
    FROM job_files GROUP BY job_id, tenant_id, kind;
DROP TABLE job_files;
ALTER TABLE old_job_files RENAME TO job_files;
