-- +goose Up
-- The one row that readiness (GET /readyz) writes: a write that commits
-- shows that the shop can take a payment, which a ping does not (a
-- read-only file, a full disk, a database recreated empty all answer
-- pings). checked_at is unix milliseconds (UTC), as in 00001.
CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE health;
