-- +goose Up
-- A tenant's saved field mappings, by name (unique ignoring letter case:
-- name_fold is the case-folded name).
CREATE TABLE mapping_profiles (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    name           TEXT NOT NULL,
    name_fold      TEXT NOT NULL,
    field_mappings TEXT NOT NULL,
    created_by     INTEGER NOT NULL REFERENCES users (id),
    updated_by     INTEGER NOT NULL REFERENCES users (id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (tenant_id, name_fold)
);

-- The profile a CSV job's field_mappings came from ('' when none), for its log.
ALTER TABLE import_jobs ADD COLUMN mapping_profile TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE import_jobs DROP COLUMN mapping_profile;
DROP TABLE mapping_profiles;
