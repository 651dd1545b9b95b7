package storage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sinopay/sinopay/shop"
)

const apiKeyColumns = `id, name, mode, hint, webhook_secret, created_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (*shop.APIKey, error) {
	var k shop.APIKey
	var mode string
	var created, revoked int64
	if err := row.Scan(&k.ID, &k.Name, &mode, &k.Hint, &k.WebhookSecret, &created, &revoked); err != nil {
		return nil, err
	}
	k.Mode, k.CreatedAt, k.RevokedAt = shop.APIMode(mode), fromMS(created), fromMS(revoked)
	return &k, nil
}

// CreateAPIKey makes a key named name in mode, with its webhook signing
// secret, and returns it with its secret: the only time the secret is
// seen, since only its SHA-256 is stored.
func (db *DB) CreateAPIKey(ctx context.Context, name string, mode shop.APIMode, now time.Time) (*shop.APIKey, string, error) {
	if err := shop.CheckAPIKeyName(name); err != nil {
		return nil, "", err
	}
	if !mode.Valid() {
		return nil, "", shop.Errorf(shop.Invalid, "apikey.mode_bad", "mode %q is neither test nor live", mode)
	}
	secret := shop.NewAPISecret(mode)
	k, err := scanAPIKey(db.q().QueryRowContext(ctx, `INSERT INTO api_keys (name, mode, secret_hash, hint, webhook_secret, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+apiKeyColumns,
		name, string(mode), tokenHash(secret), secret[len(secret)-4:], shop.NewWebhookSecret(), ms(now)))
	if err != nil {
		return nil, "", mapErr(err, "create API key")
	}
	return k, secret, nil
}

// APIKeys lists every key, working ones first, newest first.
func (db *DB) APIKeys(ctx context.Context) ([]*shop.APIKey, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY revoked_at <> 0, id DESC`)
	if err != nil {
		return nil, mapErr(err, "API keys")
	}
	defer rows.Close()
	var out []*shop.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, mapErr(err, "API keys")
		}
		out = append(out, k)
	}
	return out, mapErr(rows.Err(), "API keys")
}

// APIKey finds a key by id, revoked or not.
func (db *DB) APIKey(ctx context.Context, id int64) (*shop.APIKey, error) {
	k, err := scanAPIKey(db.q().QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	return k, mapErr(err, "API key")
}

// errBadKey is the one answer to every secret that opens nothing: not
// the shape of one, unknown, or revoked alike.
var errBadKey = shop.Errorf(shop.Unauthorized, "apikey.bad", "invalid API key")

// AuthAPIKey is the working key whose secret is secret; Unauthorized,
// without saying why, for anything else. The secret is looked up by its
// SHA-256: the database never holds what would open the API.
func (db *DB) AuthAPIKey(ctx context.Context, secret string) (*shop.APIKey, error) {
	if _, ok := shop.APISecretMode(secret); !ok {
		return nil, errBadKey
	}
	k, err := scanAPIKey(db.q().QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE secret_hash = $1 AND revoked_at = 0`, tokenHash(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadKey
	}
	if err != nil {
		return nil, mapErr(err, "API key")
	}
	return k, nil
}

// RevokeAPIKey ends a key: from now on it opens nothing. It returns the
// key; revoked tells whether this call revoked it (false: it already
// was). NotFound when there is no such key.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64, now time.Time) (k *shop.APIKey, revoked bool, err error) {
	res, err := db.q().ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`, ms(now), id)
	if err != nil {
		return nil, false, mapErr(err, "revoke API key")
	}
	n, _ := res.RowsAffected()
	k, err = db.APIKey(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return k, n == 1, nil
}

// AddWebhookEndpoint adds a URL the key's events are sent to, checked
// for the key's mode (shop.CheckWebhookURL). Adding one it has is
// Conflict.
func (db *DB) AddWebhookEndpoint(ctx context.Context, keyID int64, rawURL string, now time.Time) (*shop.WebhookEndpoint, error) {
	k, err := db.APIKey(ctx, keyID)
	if err != nil {
		return nil, err
	}
	if k.Revoked() {
		return nil, shop.Errorf(shop.Invalid, "apikey.revoked", "API key %d is revoked", keyID)
	}
	u, err := shop.CheckWebhookURL(rawURL, k.Mode)
	if err != nil {
		return nil, err
	}
	e := &shop.WebhookEndpoint{KeyID: keyID, URL: u.String(), CreatedAt: now}
	err = db.q().QueryRowContext(ctx, `INSERT INTO webhook_endpoints (api_key_id, url, created_at) VALUES ($1, $2, $3) RETURNING id`,
		keyID, e.URL, ms(now)).Scan(&e.ID)
	if err != nil {
		err = mapErr(err, "add webhook endpoint")
		if shop.IsCode(err, shop.Conflict) {
			return nil, shop.Wrap(shop.Conflict, "apikey.url_taken", err, "the key already has this endpoint")
		}
		return nil, err
	}
	return e, nil
}

// RemoveWebhookEndpoint removes one of a key's endpoints; NotFound when
// the key has no such endpoint.
func (db *DB) RemoveWebhookEndpoint(ctx context.Context, keyID, id int64) error {
	res, err := db.q().ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1 AND api_key_id = $2`, id, keyID)
	if err != nil {
		return mapErr(err, "remove webhook endpoint")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shop.Errorf(shop.NotFound, "error.not_found", "webhook endpoint %d of key %d", id, keyID)
	}
	return nil
}

// WebhookEndpoints lists a key's endpoints, oldest first.
func (db *DB) WebhookEndpoints(ctx context.Context, keyID int64) ([]*shop.WebhookEndpoint, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT id, api_key_id, url, created_at FROM webhook_endpoints WHERE api_key_id = $1 ORDER BY id`, keyID)
	if err != nil {
		return nil, mapErr(err, "webhook endpoints")
	}
	defer rows.Close()
	var out []*shop.WebhookEndpoint
	for rows.Next() {
		var e shop.WebhookEndpoint
		var created int64
		if err := rows.Scan(&e.ID, &e.KeyID, &e.URL, &created); err != nil {
			return nil, mapErr(err, "webhook endpoints")
		}
		e.CreatedAt = fromMS(created)
		out = append(out, &e)
	}
	return out, mapErr(rows.Err(), "webhook endpoints")
}
