-- +goose Up
-- Every callback is now its own work item, in both lanes: the bank's
-- notifications and the card returns (lane 0) are taken by a lease like
-- the other senders' (lane 1), instead of a job each. One partial index
-- finds the waiting rows of either lane, oldest first. origin keeps the
-- request id and trace context of the request that brought the callback
-- (JSON, as a job's metadata did), for the confirmation's log and span.
ALTER TABLE pay_tokens ADD COLUMN origin TEXT NOT NULL DEFAULT '';
DROP INDEX pay_tokens_waiting_other;
CREATE INDEX pay_tokens_waiting ON pay_tokens (lane, id) WHERE processed_at = 0;

-- +goose Down
DROP INDEX pay_tokens_waiting;
ALTER TABLE pay_tokens DROP COLUMN origin;
CREATE INDEX pay_tokens_waiting_other ON pay_tokens (id) WHERE lane = 1 AND processed_at = 0;
