-- +goose Up
-- What happened to an API payment that its key hears of: one row per
-- event, inserted in the transaction of the order's change. body is the
-- JSON sent, written when the event is first taken to be sent (so every
-- endpoint and every attempt gets the same), '' until then.
CREATE TABLE api_events (
    id         INTEGER PRIMARY KEY,
    event_id   TEXT   NOT NULL UNIQUE,
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id),
    payment_id TEXT   NOT NULL REFERENCES api_payments (id),
    type       TEXT   NOT NULL,
    body       TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX api_events_key ON api_events (api_key_id, id);

-- One row per event and endpoint: the work item of the sender, which
-- takes due rows with a lease (next_at), posts the event, and records
-- the answer. status: queued (to send, or to try again at next_at),
-- delivered (a 2xx), failed (out of attempts). A payment's deliveries
-- to one endpoint go in order: one waits while an earlier one is queued.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    event_id    BIGINT  NOT NULL REFERENCES api_events (id),
    endpoint_id BIGINT  NOT NULL,
    payment_id  TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'queued',
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT  NOT NULL,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    response    TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    done_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, payment_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE api_events;
