-- +goose Up
-- A job file is stored as ordered parts (0, 1, 2…) of at most 1 MiB, written
-- from a stream and read back one part at a time, so no path holds a whole
-- large file in memory. A file has at least one part: an empty file is one
-- empty part 0. An existing file becomes its part 0; the default only fills
-- those rows, every write names its part.
ALTER TABLE job_files ADD COLUMN part integer NOT NULL DEFAULT 0 CHECK (part >= 0);
ALTER TABLE job_files ALTER COLUMN part DROP DEFAULT;
ALTER TABLE job_files DROP CONSTRAINT job_files_pkey, ADD PRIMARY KEY (job_id, kind, part);

-- +goose Down
-- Each file's parts are joined again, in order, into its part 0.
UPDATE job_files f SET content = (SELECT string_agg(g.content, ''::bytea ORDER BY g.part) FROM job_files g
        WHERE g.job_id = f.job_id AND g.kind = f.kind)
    WHERE f.part = 0 AND EXISTS (SELECT 1 FROM job_files g WHERE g.job_id = f.job_id AND g.kind = f.kind AND g.part > 0);
DELETE FROM job_files WHERE part > 0;
ALTER TABLE job_files DROP CONSTRAINT job_files_pkey, ADD PRIMARY KEY (job_id, kind);
ALTER TABLE job_files DROP COLUMN part;
