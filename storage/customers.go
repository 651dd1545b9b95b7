package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// CreateCustomer adds an account; a taken email is a Conflict.
func (db *DB) CreateCustomer(ctx context.Context, email, passwordHash string, now time.Time) (int64, error) {
	var id int64
	err := db.q().QueryRowContext(ctx, `INSERT INTO customers (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id`,
		email, passwordHash, ms(now)).Scan(&id)
	if err != nil {
		err = mapErr(err, "create customer")
		if shop.IsCode(err, shop.Conflict) {
			return 0, shop.Wrap(shop.Conflict, "auth.email_taken", err, "email taken")
		}
		return 0, err
	}
	return id, nil
}

// CustomerByEmail finds an account by email.
func (db *DB) CustomerByEmail(ctx context.Context, email string) (*shop.Customer, error) {
	var c shop.Customer
	var created int64
	err := db.q().QueryRowContext(ctx, `SELECT id, email, password_hash, role, lang, created_at FROM customers WHERE email = $1`, email).
		Scan(&c.ID, &c.Email, &c.PasswordHash, &c.Role, &c.Lang, &created)
	if err != nil {
		return nil, mapErr(err, "customer")
	}
	c.CreatedAt = fromMS(created)
	return &c, nil
}

// CustomerByID finds an account by id.
func (db *DB) CustomerByID(ctx context.Context, id int64) (*shop.Customer, error) {
	var c shop.Customer
	var created int64
	err := db.q().QueryRowContext(ctx, `SELECT id, email, password_hash, role, lang, created_at FROM customers WHERE id = $1`, id).
		Scan(&c.ID, &c.Email, &c.PasswordHash, &c.Role, &c.Lang, &created)
	if err != nil {
		return nil, mapErr(err, "customer")
	}
	c.CreatedAt = fromMS(created)
	return &c, nil
}

// Sessions are stored by the SHA-256 of their token, so a copy of the
// database does not hand out live sessions.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession stores a session token for a customer.
func (db *DB) CreateSession(ctx context.Context, token string, customerID int64, now, expires time.Time) error {
	_, err := db.q().ExecContext(ctx, `INSERT INTO sessions (token_hash, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash(token), customerID, ms(now), ms(expires))
	return mapErr(err, "create session")
}

// SessionCustomer returns the customer of a live session.
func (db *DB) SessionCustomer(ctx context.Context, token string, now time.Time) (*shop.Customer, error) {
	// One statement for the session and its customer: every page a
	// customer sees asks it.
	var c shop.Customer
	var created int64
	err := db.q().QueryRowContext(ctx, `SELECT c.id, c.email, c.password_hash, c.role, c.lang, c.created_at
		FROM sessions s JOIN customers c ON c.id = s.customer_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash(token), ms(now)).
		Scan(&c.ID, &c.Email, &c.PasswordHash, &c.Role, &c.Lang, &created)
	if err != nil {
		return nil, mapErr(err, "session")
	}
	c.CreatedAt = fromMS(created)
	return &c, nil
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	_, err := db.q().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(token))
	return mapErr(err, "delete session")
}

// DeleteExpiredSessions removes sessions past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.q().ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ms(now))
	if err != nil {
		return 0, mapErr(err, "delete sessions")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
