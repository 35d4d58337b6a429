-- +goose Up
-- A tenant's webhooks. The secret signs deliveries, so it is kept as is;
-- the API shows it only in the answer that creates the webhook.
CREATE TABLE webhooks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    url         text NOT NULL,
    events      text[] NOT NULL,
    description text NOT NULL DEFAULT '',
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

-- The outbox: one row per event and webhook, written in the transaction
-- that makes the job terminal; a queue job delivers it.
CREATE TABLE webhook_deliveries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      bigint NOT NULL REFERENCES tenants (id),
    webhook_id     bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    job_id         bigint NOT NULL REFERENCES import_jobs (id),
    event          text NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts       integer NOT NULL DEFAULT 0,
    response_codes integer[] NOT NULL DEFAULT '{}', -- one status per attempt, 0 = no response
    last_error     text NOT NULL DEFAULT '',
    payload        bytea, -- the body of the first attempt, sent again by every retry
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    completed_at   timestamptz
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
