-- +goose Up
-- Notifications from addresses not known as the bank's (SINOPAY_NOTIFY_FROM)
-- wait in a lane of their own, behind the bank's: lane 0 is the bank's
-- and the browser's returns, each confirmed by a job; lane 1 is every
-- other sender, and its rows are their own work items, taken by a lease
-- (lease_until, unix milliseconds; attempts counts the takes) instead of
-- a job each, so a flood of forged PayTokens costs one row per token and
-- no job. The partial index keeps counting and taking the waiting rows
-- of lane 1 cheap however many processed rows there are.
ALTER TABLE pay_tokens ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pay_tokens ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pay_tokens ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX pay_tokens_waiting_other ON pay_tokens (id) WHERE lane = 1 AND processed_at = 0;

-- +goose Down
DROP INDEX pay_tokens_waiting_other;
ALTER TABLE pay_tokens DROP COLUMN attempts;
ALTER TABLE pay_tokens DROP COLUMN lease_until;
ALTER TABLE pay_tokens DROP COLUMN lane;
