-- +goose Up
-- When a paid order left, with which carrier and tracking number (0 and
-- '' while it has not). Marking and unmarking are in the order's
-- timeline too (payment_events, events shipped and unshipped).
ALTER TABLE orders ADD COLUMN shipped_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN carrier TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN tracking_no TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN tracking_no;
ALTER TABLE orders DROP COLUMN carrier;
ALTER TABLE orders DROP COLUMN shipped_at;
