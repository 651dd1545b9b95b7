-- +goose Up
-- Stock: how many of a product are left to sell; NULL when the shop
-- does not count it. An order holds what it took (stock_held = 1) from
-- its checkout until it expires or its authorisation is cancelled.
ALTER TABLE products ADD COLUMN stock BIGINT;
ALTER TABLE orders ADD COLUMN stock_held INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE orders DROP COLUMN stock_held;
ALTER TABLE products DROP COLUMN stock;
