-- +goose Up
-- Times are UTC text in a fixed-width format ('2006-01-02T15:04:05.000000Z'),
-- so text order is time order. Quantities are canonical decimal text: SQLite
-- has no exact decimal type, and the application never does arithmetic in SQL.

CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    created_at    TEXT NOT NULL,
    UNIQUE (tenant_id, email)
);

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    secret_hash BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
);

CREATE TABLE locations (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    name_fold   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX locations_fold ON locations (tenant_id, name_fold);

CREATE TABLE location_areas (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    location_id INTEGER NOT NULL REFERENCES locations (id),
    name        TEXT NOT NULL,
    name_fold   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX location_areas_fold ON location_areas (tenant_id, name_fold);
CREATE INDEX location_areas_parent ON location_areas (location_id);

CREATE TABLE bins (
    id                 INTEGER PRIMARY KEY,
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id),
    area_id            INTEGER NOT NULL REFERENCES location_areas (id),
    name               TEXT NOT NULL,
    name_fold          TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    bin_type           TEXT NOT NULL DEFAULT '' CHECK (bin_type IN ('', 'FG-BIN', 'Vessel-Stainless', 'Vessel-Barrel')),
    external_system_id TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX bins_fold ON bins (tenant_id, name_fold);
CREATE INDEX bins_parent ON bins (area_id);

CREATE TABLE items (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    name_fold   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX items_fold ON items (tenant_id, name_fold);

CREATE TABLE lots (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    name_fold   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    lot_status  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX lots_fold ON lots (tenant_id, name_fold);

CREATE TABLE uoms (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    name              TEXT NOT NULL,
    name_fold         TEXT NOT NULL,
    abbreviation      TEXT NOT NULL,
    abbreviation_fold TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, abbreviation)
);
CREATE INDEX uoms_fold ON uoms (tenant_id, name_fold);
CREATE INDEX uoms_abbreviation_fold ON uoms (tenant_id, abbreviation_fold);

CREATE TABLE import_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    source       TEXT NOT NULL CHECK (source IN ('api', 'csv')),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'completed_with_errors', 'failed')),
    args         TEXT NOT NULL,              -- JSON of vintry.ImportArgs
    total        INTEGER NOT NULL DEFAULT 0,
    created      INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    errors       TEXT NOT NULL DEFAULT '[]', -- JSON array of vintry.RowError
    steps_done   INTEGER NOT NULL DEFAULT 0,
    log          TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    file_name    TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    completed_at TEXT
);
CREATE INDEX import_jobs_tenant ON import_jobs (tenant_id, id);

CREATE TABLE inventory (
    -- AUTOINCREMENT: a record's id is never reused after a delete, so its
    -- history (kept by id) never mixes with a later record's.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    item_id     INTEGER NOT NULL REFERENCES items (id),
    bin_id      INTEGER NOT NULL REFERENCES bins (id),
    lot_id      INTEGER NOT NULL REFERENCES lots (id),
    date_filled TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    uom_id      INTEGER NOT NULL REFERENCES uoms (id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    last_job_id INTEGER REFERENCES import_jobs (id),
    UNIQUE (tenant_id, item_id, bin_id, lot_id, date_filled)
);
CREATE INDEX inventory_tenant ON inventory (tenant_id, id);
CREATE INDEX inventory_bin ON inventory (bin_id);
CREATE INDEX inventory_lot ON inventory (lot_id);
CREATE INDEX inventory_uom ON inventory (uom_id);

CREATE TABLE idempotency_keys (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    job_id       INTEGER NOT NULL REFERENCES import_jobs (id),
    created_at   TEXT NOT NULL,
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
