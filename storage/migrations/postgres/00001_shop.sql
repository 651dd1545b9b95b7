-- +goose Up
-- Times are unix milliseconds (UTC) in BIGINT columns: the same on SQLite
-- and PostgreSQL, and nothing for a driver to reformat.
CREATE TABLE products (
    id      BIGSERIAL PRIMARY KEY,
    sku     TEXT    NOT NULL UNIQUE,
    name_zh TEXT    NOT NULL,
    name_en TEXT    NOT NULL,
    price   BIGINT  NOT NULL CHECK (price > 0),
    sort    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE customers (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT   PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE orders (
    id              BIGSERIAL PRIMARY KEY,
    order_no        TEXT   NOT NULL UNIQUE,
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    checkout_key    TEXT   NOT NULL,
    pay_type        TEXT   NOT NULL CHECK (pay_type IN ('A', 'C')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    status          TEXT   NOT NULL,
    bank_state      TEXT   NOT NULL,
    ts_no           TEXT   NOT NULL DEFAULT '',
    atm_pay_no      TEXT   NOT NULL DEFAULT '',
    web_atm_url     TEXT   NOT NULL DEFAULT '',
    otp_url         TEXT   NOT NULL DEFAULT '',
    card_pay_url    TEXT   NOT NULL DEFAULT '',
    expire_date     TEXT   NOT NULL DEFAULT '',
    card_expires_at BIGINT NOT NULL DEFAULT 0,
    bank_error      TEXT   NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (customer_id, checkout_key)
);
CREATE INDEX orders_customer ON orders (customer_id, id);
CREATE INDEX orders_status ON orders (status, created_at);

CREATE TABLE order_items (
    order_id   BIGINT  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line       INTEGER NOT NULL,
    product_id BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    unit_price BIGINT  NOT NULL,
    qty        INTEGER NOT NULL,
    PRIMARY KEY (order_id, line)
);

-- The PayToken log: one row per callback delivery, duplicates included.
CREATE TABLE pay_tokens (
    id           BIGSERIAL PRIMARY KEY,
    ref          TEXT   NOT NULL UNIQUE,
    pay_token    TEXT   NOT NULL,
    shop_no      TEXT   NOT NULL,
    source       TEXT   NOT NULL,
    received_at  BIGINT NOT NULL,
    order_no     TEXT   NOT NULL DEFAULT '',
    outcome      TEXT   NOT NULL DEFAULT '',
    processed_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pay_tokens_token ON pay_tokens (pay_token);

-- One row per change of an order's status.
CREATE TABLE payment_events (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    from_status TEXT   NOT NULL,
    to_status   TEXT   NOT NULL,
    event       TEXT   NOT NULL,
    source      TEXT   NOT NULL,
    pay_token   TEXT   NOT NULL DEFAULT '',
    amount      BIGINT NOT NULL DEFAULT 0,
    note        TEXT   NOT NULL DEFAULT '',
    at          BIGINT NOT NULL
);
CREATE INDEX payment_events_order ON payment_events (order_id, id);

-- +goose Down
DROP TABLE payment_events;
DROP TABLE pay_tokens;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE sessions;
DROP TABLE customers;
DROP TABLE products;
