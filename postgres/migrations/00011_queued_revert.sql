-- +goose Up
-- The options of a queued revert (a revert job of a large import, run by a
-- worker): "force", "skip_conflicts" or "" (neither).
ALTER TABLE import_jobs ADD COLUMN revert_mode TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE import_jobs DROP COLUMN revert_mode;
