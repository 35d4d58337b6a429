-- +goose Up
-- A tenant's webhooks. The secret signs deliveries, so it is kept as is;
-- the API shows it only in the answer that creates the webhook.
-- AUTOINCREMENT: ids of deleted rows are never reused (receivers
-- deduplicate by delivery id).
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    url         TEXT NOT NULL,
    events      TEXT NOT NULL, -- JSON array of event names
    description TEXT NOT NULL DEFAULT '',
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

-- The outbox: one row per event and webhook, written in the transaction
-- that makes the job terminal; a queue job delivers it.
CREATE TABLE webhook_deliveries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    webhook_id     INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    job_id         INTEGER NOT NULL REFERENCES import_jobs (id),
    event          TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    response_codes TEXT NOT NULL DEFAULT '[]', -- JSON array, one status per attempt, 0 = no response
    last_error     TEXT NOT NULL DEFAULT '',
    payload        BLOB, -- the body of the first attempt, sent again by every retry
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    completed_at   TEXT
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
