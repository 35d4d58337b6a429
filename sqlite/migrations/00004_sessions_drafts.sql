-- +goose Up
-- A web UI session is a token of kind 'session': same hashing, revocation
-- and expiry, stored in the database so any node can serve it.
ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'session'));

-- A CSV uploaded through the UI waits here while its user maps the columns.
CREATE TABLE upload_drafts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    file_name  TEXT NOT NULL,
    content    BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX upload_drafts_tenant ON upload_drafts (tenant_id, id);

-- +goose Down
DROP TABLE upload_drafts;
ALTER TABLE tokens DROP COLUMN kind;
