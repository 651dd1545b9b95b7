-- +goose Up
-- The back office: admin accounts, captures, cancellations and refunds
-- asked of the bank, and the daily reconciliation reports. Times are unix
-- milliseconds (UTC) and amounts whole NT$, as in 00001.

-- An admin is a customer with the admin role: one login, one session
-- table, and `sinopay admin create` can promote an existing account.
ALTER TABLE customers ADD COLUMN role TEXT NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin'));

-- capture: 'auto' (AutoBilling Y) or 'manual' (AutoBilling N, captured
-- from the back office). captured/captured_at: what a manual order's
-- capture took and when. refunded: NT$ refunded so far, never more than
-- was collected (checked when an operation is recorded, in the same
-- transaction).
ALTER TABLE orders ADD COLUMN capture TEXT NOT NULL DEFAULT 'auto' CHECK (capture IN ('auto', 'manual'));
ALTER TABLE orders ADD COLUMN captured BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN captured_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0);
CREATE INDEX orders_created ON orders (created_at);

-- One row per OrderMaintain the back office asks for. request_key comes
-- from the confirmation form: the same form sent twice (a double click)
-- hits the unique key and is one operation, one call to the bank.
CREATE TABLE order_ops (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    request_key TEXT   NOT NULL,
    op          TEXT   NOT NULL CHECK (op IN ('capture', 'cancel', 'refund')),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    reason      TEXT   NOT NULL,
    admin_id    BIGINT NOT NULL REFERENCES customers (id),
    admin_email TEXT   NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('pending', 'done', 'refused', 'unknown')),
    bank_ts_no  TEXT   NOT NULL DEFAULT '',
    bank_error  TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (order_id, request_key)
);
CREATE INDEX order_ops_order ON order_ops (order_id, id);
CREATE INDEX order_ops_state ON order_ops (state, updated_at);

-- The reconciliation's ledger reads payments by day.
CREATE INDEX payment_events_at ON payment_events (at);

-- Reconciliation reports: a snapshot per run, its rows as JSON (a report
-- is read and downloaded whole, never queried by row). Only the newest
-- are kept.
CREATE TABLE recon_reports (
    id           BIGSERIAL PRIMARY KEY,
    day          TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    admin_email  TEXT    NOT NULL DEFAULT '',
    matched      INTEGER NOT NULL DEFAULT 0,
    differs      INTEGER NOT NULL DEFAULT 0,
    missing_bank INTEGER NOT NULL DEFAULT 0,
    missing_shop INTEGER NOT NULL DEFAULT 0,
    body         TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX recon_reports_created ON recon_reports (created_at);

-- +goose Down
DROP TABLE recon_reports;
DROP INDEX payment_events_at;
DROP TABLE order_ops;
DROP INDEX orders_created;
ALTER TABLE orders DROP COLUMN refunded;
ALTER TABLE orders DROP COLUMN captured_at;
ALTER TABLE orders DROP COLUMN captured;
ALTER TABLE orders DROP COLUMN capture;
ALTER TABLE customers DROP COLUMN role;
