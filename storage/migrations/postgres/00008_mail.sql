-- +goose Up
-- The language a customer reads the shop in, for the e-mail sent to them
-- ('' until they choose or sign up; the default language then).
ALTER TABLE customers ADD COLUMN lang TEXT NOT NULL DEFAULT '';

-- Password reset links: the SHA-256 of the link's token, as for sessions,
-- so that a copy of the database opens no account. used_at is set when
-- the password is changed through it; a link works once.
CREATE TABLE password_resets (
    token_hash  TEXT   PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX password_resets_customer ON password_resets (customer_id);

-- The e-mail the shop sends, one row per event that causes one, inserted
-- in the transaction of the event (event_key is unique: one message per
-- event, whatever retries). The row is the work item: a sender takes it
-- by moving next_at past its lease, renders it in the customer's
-- language, sends it and marks it done. status: queued (to send), sent
-- (the SMTP server took it), kept (no SMTP configured: the back office's
-- outbox shows it), failed (refused for good, or out of attempts).
-- secret holds a reset link's token until the message is sent.
CREATE TABLE mails (
    id          BIGSERIAL PRIMARY KEY,
    event_key   TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    customer_id BIGINT  NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    order_id    BIGINT  NOT NULL DEFAULT 0,
    amount      BIGINT  NOT NULL DEFAULT 0,
    secret      TEXT    NOT NULL DEFAULT '',
    to_addr     TEXT    NOT NULL DEFAULT '',
    lang        TEXT    NOT NULL DEFAULT '',
    subject     TEXT    NOT NULL DEFAULT '',
    text_body   TEXT    NOT NULL DEFAULT '',
    html_body   TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'queued',
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT  NOT NULL,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    done_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX mails_due ON mails (next_at) WHERE status = 'queued';
CREATE INDEX mails_customer ON mails (customer_id, id);

-- +goose Down
DROP TABLE mails;
DROP TABLE password_resets;
ALTER TABLE customers DROP COLUMN lang;
