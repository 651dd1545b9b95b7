-- +goose Up
-- An unpaid ATM order its customer chose to pay by card instead is
-- replaced by a new order (a new OrderNo, a new bank order: one bank
-- order per payment attempt). The two name each other, so that a payment
-- of one after the other was paid (the old virtual account still takes
-- transfers until it expires) goes to review instead of paying twice.
ALTER TABLE orders ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN replaced_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN replaced_by;
ALTER TABLE orders DROP COLUMN replaces;
