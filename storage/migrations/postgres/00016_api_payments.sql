-- +goose Up
-- The API's payments are orders, so that the sweeps, confirmations,
-- refunds, reconciliation and back office work them as any other. Their
-- orders belong to one account of the shop's own (system = 1), which
-- cannot log in (its password hash matches no password), is sent no
-- e-mail and gets no reset link; which key made a payment, and what the
-- merchant said of it, is in api_payments.
ALTER TABLE customers ADD COLUMN system INTEGER NOT NULL DEFAULT 0;
INSERT INTO customers (email, password_hash, created_at, system) VALUES ('api@sinopay.invalid', '!', 0, 1);

-- id is the payment's public id (pay_…). idem_key is the merchant's
-- Idempotency-Key ('' for none) and idem_hash the SHA-256 of the request
-- it came with: the same key again with the same body gives the same
-- payment, with another body a refusal.
CREATE TABLE api_payments (
    id          TEXT   PRIMARY KEY,
    api_key_id  BIGINT NOT NULL REFERENCES api_keys (id),
    order_id    BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    reference   TEXT   NOT NULL DEFAULT '',
    description TEXT   NOT NULL,
    return_url  TEXT   NOT NULL DEFAULT '',
    metadata    TEXT   NOT NULL DEFAULT '{}',
    idem_key    TEXT   NOT NULL DEFAULT '',
    idem_hash   TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX api_payments_idem ON api_payments (api_key_id, idem_key) WHERE idem_key <> '';
CREATE INDEX api_payments_key ON api_payments (api_key_id, created_at);
CREATE INDEX api_payments_reference ON api_payments (api_key_id, reference);

-- +goose Down
DROP TABLE api_payments;
DELETE FROM customers WHERE system <> 0;
ALTER TABLE customers DROP COLUMN system;
