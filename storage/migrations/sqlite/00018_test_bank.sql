-- +goose Up
-- test_bank = 1: the order was made by a test API key at the test bank
-- (the embedded sandbox that stands beside a live bank), not at the
-- shop's own bank. Every call about the order goes to that bank, a
-- callback from one bank never settles an order of the other, and
-- reconciliation, which compares the shop's bank's statement, leaves
-- these orders out.
ALTER TABLE orders ADD COLUMN test_bank INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE orders DROP COLUMN test_bank;
