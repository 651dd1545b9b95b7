-- +goose Up
-- test_bank = 1: the order was made by a test API key at the test bank
-- (the embedded sandbox that stands beside a live bank), not at the
-- shop's own bank. Every call about the order goes to that bank, a
-- callback from one bank never settles an order of the other, and
-- reconciliation, which compares the shop's bank's statement, leaves
-- these orders out.
ALTER TABLE orders ADD COLUMN test_bank INTEGER NOT NULL DEFAULT 0;

-- pay_by (unix ms) is the deadline the merchant gave an API payment
-- (expires_in): an ATM account's last day to pay is its day in Taiwan,
-- a card page link lives until then (1 to 30 minutes). 0: the shop's
-- settings. Kept on the order so that a sweep creating it at the bank
-- again keeps it.
ALTER TABLE orders ADD COLUMN pay_by BIGINT NOT NULL DEFAULT 0;

-- The events whose body (the payment as it is) is not written yet: the
-- webhook sender writes them within a second of the change, whether or
-- not a delivery of theirs may go yet.
CREATE INDEX api_events_unwritten ON api_events (id) WHERE body = '';

-- +goose Down
DROP INDEX api_events_unwritten;
ALTER TABLE orders DROP COLUMN pay_by;
ALTER TABLE orders DROP COLUMN test_bank;
