-- +goose Up
-- A tenant's saved field mappings, by name (unique ignoring letter case:
-- name_fold is the case-folded name).
CREATE TABLE mapping_profiles (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      bigint NOT NULL REFERENCES tenants (id),
    name           text NOT NULL,
    name_fold      text NOT NULL,
    field_mappings text NOT NULL,
    created_by     bigint NOT NULL REFERENCES users (id),
    updated_by     bigint NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (tenant_id, name_fold)
);

-- The profile a CSV job's field_mappings came from ('' when none), for its log.
ALTER TABLE import_jobs ADD COLUMN mapping_profile text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE import_jobs DROP COLUMN mapping_profile;
DROP TABLE mapping_profiles;
