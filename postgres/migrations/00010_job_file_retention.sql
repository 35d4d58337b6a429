-- +goose Up
-- When a finished job's files were deleted at the end of their retention
-- (serve --job-file-retention). The job and its history stay.
ALTER TABLE import_jobs ADD COLUMN files_deleted_at timestamptz;
-- The retention sweep's search: finished jobs whose files are still kept.
CREATE INDEX import_jobs_files_kept ON import_jobs (completed_at) WHERE files_deleted_at IS NULL;

-- +goose Down
DROP INDEX import_jobs_files_kept;
ALTER TABLE import_jobs DROP COLUMN files_deleted_at;
