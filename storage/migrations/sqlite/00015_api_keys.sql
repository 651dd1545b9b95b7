-- +goose Up
-- Keys for the JSON API (/api/v1/): the SHA-256 of the secret, never the
-- secret; hint is its last four characters, to tell keys apart. The
-- webhook secret signs what is sent to the key's endpoints, so it is
-- kept as it is. revoked_at is 0 while the key works.
CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY,
    name           TEXT   NOT NULL,
    mode           TEXT   NOT NULL CHECK (mode IN ('test', 'live')),
    secret_hash    TEXT   NOT NULL UNIQUE,
    hint           TEXT   NOT NULL,
    webhook_secret TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT NOT NULL DEFAULT 0
);

-- Where a key's events are sent.
CREATE TABLE webhook_endpoints (
    id         INTEGER PRIMARY KEY,
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id),
    url        TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (api_key_id, url)
);

-- +goose Down
DROP TABLE webhook_endpoints;
DROP TABLE api_keys;
