-- +goose Up
-- A refund may put the order's items back in stock, when the admin says
-- so (the goods came back, or never left).
ALTER TABLE order_ops ADD COLUMN restock INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE order_ops DROP COLUMN restock;
