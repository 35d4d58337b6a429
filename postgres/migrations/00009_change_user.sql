-- +goose Up
-- Who made a change: a change a job made is the job's user's (import_jobs
-- user_id); a batch delete, which has no job, records its user here.
ALTER TABLE inventory_changes ADD COLUMN user_id bigint REFERENCES users (id);

-- +goose Down
ALTER TABLE inventory_changes DROP COLUMN user_id;
