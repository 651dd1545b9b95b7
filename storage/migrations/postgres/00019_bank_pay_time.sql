-- +goose Up
-- bank_at (unix ms) is when the bank says the money moved, the PayDate of
-- its answer (to the minute), for the events that confirm a payment; 0
-- when the bank did not say. The day's ledger dates a payment by it, as
-- the bank's BillQuery does: a transfer made at 23:59 and heard of after
-- midnight (a late notification, a sweep the next morning) belongs to
-- the day the buyer paid, not to the day the shop learned of it.
ALTER TABLE payment_events ADD COLUMN bank_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX payment_events_bank_at ON payment_events (bank_at);

-- +goose Down
DROP INDEX payment_events_bank_at;
ALTER TABLE payment_events DROP COLUMN bank_at;
