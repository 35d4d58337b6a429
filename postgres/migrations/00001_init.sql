-- +goose Up
-- Times are timestamptz (UTC in, UTC out). Quantities are NUMERIC(21,6):
-- exact, at most 15 integer digits and 6 decimal places, as the importer
-- accepts them. Uniqueness and references are the database's to enforce.

CREATE TABLE tenants (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     bigint NOT NULL REFERENCES tenants (id),
    email         text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'member')),
    created_at    timestamptz NOT NULL,
    UNIQUE (tenant_id, email)
);

CREATE TABLE tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    user_id     bigint NOT NULL REFERENCES users (id),
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    revoked_at  timestamptz
);

CREATE TABLE locations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    name_fold   text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX locations_fold ON locations (tenant_id, name_fold);

CREATE TABLE location_areas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    location_id bigint NOT NULL REFERENCES locations (id),
    name        text NOT NULL,
    name_fold   text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX location_areas_fold ON location_areas (tenant_id, name_fold);
CREATE INDEX location_areas_parent ON location_areas (location_id);

CREATE TABLE bins (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id          bigint NOT NULL REFERENCES tenants (id),
    area_id            bigint NOT NULL REFERENCES location_areas (id),
    name               text NOT NULL,
    name_fold          text NOT NULL,
    description        text NOT NULL DEFAULT '',
    bin_type           text NOT NULL DEFAULT '' CHECK (bin_type IN ('', 'FG-BIN', 'Vessel-Stainless', 'Vessel-Barrel')),
    external_system_id text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX bins_fold ON bins (tenant_id, name_fold);
CREATE INDEX bins_parent ON bins (area_id);

CREATE TABLE items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    name_fold   text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX items_fold ON items (tenant_id, name_fold);

CREATE TABLE lots (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    name_fold   text NOT NULL,
    description text NOT NULL DEFAULT '',
    lot_status  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX lots_fold ON lots (tenant_id, name_fold);

CREATE TABLE uoms (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         bigint NOT NULL REFERENCES tenants (id),
    name              text NOT NULL,
    name_fold         text NOT NULL,
    abbreviation      text NOT NULL,
    abbreviation_fold text NOT NULL,
    description       text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, abbreviation)
);
CREATE INDEX uoms_fold ON uoms (tenant_id, name_fold);
CREATE INDEX uoms_abbreviation_fold ON uoms (tenant_id, abbreviation_fold);

-- Job ids come from one sequence: job_log_id is unique across the deployment.
CREATE TABLE import_jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    bigint NOT NULL REFERENCES tenants (id),
    user_id      bigint NOT NULL REFERENCES users (id),
    source       text NOT NULL CHECK (source IN ('api', 'csv')),
    status       text NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'completed_with_errors', 'failed')),
    args         text NOT NULL,              -- JSON of vintry.ImportArgs
    total        integer NOT NULL DEFAULT 0,
    created      integer NOT NULL DEFAULT 0,
    updated      integer NOT NULL DEFAULT 0,
    unchanged    integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    errors       text NOT NULL DEFAULT '[]', -- JSON array of vintry.RowError (text: values may hold \u0000)
    steps_done   integer NOT NULL DEFAULT 0,
    log          text NOT NULL DEFAULT '[]', -- JSON array of strings
    file_name    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    started_at   timestamptz,
    completed_at timestamptz
);
CREATE INDEX import_jobs_tenant ON import_jobs (tenant_id, id);
-- The ordering check of queued CSV imports looks for a tenant's unfinished jobs.
CREATE INDEX import_jobs_unfinished ON import_jobs (tenant_id, id) WHERE status IN ('pending', 'processing');

CREATE TABLE inventory (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    item_id     bigint NOT NULL REFERENCES items (id),
    bin_id      bigint NOT NULL REFERENCES bins (id),
    lot_id      bigint NOT NULL REFERENCES lots (id),
    date_filled date NOT NULL,
    quantity    numeric(21, 6) NOT NULL CHECK (quantity > 0),
    uom_id      bigint NOT NULL REFERENCES uoms (id),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    last_job_id bigint REFERENCES import_jobs (id),
    UNIQUE (tenant_id, item_id, bin_id, lot_id, date_filled)
);
CREATE INDEX inventory_tenant ON inventory (tenant_id, id);
CREATE INDEX inventory_item ON inventory (item_id);
CREATE INDEX inventory_bin ON inventory (bin_id);
CREATE INDEX inventory_lot ON inventory (lot_id);
CREATE INDEX inventory_uom ON inventory (uom_id);
CREATE INDEX inventory_last_job ON inventory (last_job_id);

-- The key is bytea: it is the client's header value byte for byte, which
-- need not be valid UTF-8.
CREATE TABLE idempotency_keys (
    tenant_id    bigint NOT NULL REFERENCES tenants (id),
    key          bytea NOT NULL,
    request_hash bytea NOT NULL,
    job_id       bigint NOT NULL REFERENCES import_jobs (id),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE inventory;
DROP TABLE import_jobs;
DROP TABLE uoms;
DROP TABLE lots;
DROP TABLE items;
DROP TABLE bins;
DROP TABLE location_areas;
DROP TABLE locations;
DROP TABLE tokens;
DROP TABLE users;
DROP TABLE tenants;
