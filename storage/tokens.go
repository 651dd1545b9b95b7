package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// InsertPayToken records a callback delivery inside tx, so the caller can
// enqueue its confirmation in the same transaction.
func InsertPayToken(ctx context.Context, tx *sql.Tx, token, shopNo string, source shop.Source, now time.Time) (*shop.Delivery, error) {
	var b [16]byte
	rand.Read(b[:])
	pt := &shop.Delivery{Ref: hex.EncodeToString(b[:]), Token: token, ShopNo: shopNo, Source: source, ReceivedAt: now.UTC()}
	err := tx.QueryRowContext(ctx, `INSERT INTO pay_tokens (ref, pay_token, shop_no, source, received_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		pt.Ref, token, shopNo, source, ms(now)).Scan(&pt.ID)
	if err != nil {
		return nil, mapErr(err, "record PayToken")
	}
	return pt, nil
}

const tokenColumns = `id, ref, pay_token, shop_no, source, received_at, order_no, outcome, processed_at`

func scanToken(row interface{ Scan(...any) error }) (*shop.Delivery, error) {
	var pt shop.Delivery
	var recv, proc int64
	if err := row.Scan(&pt.ID, &pt.Ref, &pt.Token, &pt.ShopNo, &pt.Source, &recv, &pt.OrderNo, &pt.Outcome, &proc); err != nil {
		return nil, err
	}
	pt.ReceivedAt, pt.ProcessedAt = fromMS(recv), fromMS(proc)
	return &pt, nil
}

// PayTokenByID reads one delivery.
func (db *DB) PayTokenByID(ctx context.Context, id int64) (*shop.Delivery, error) {
	pt, err := scanToken(db.SQL.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM pay_tokens WHERE id = $1`, id))
	if err != nil {
		return nil, mapErr(err, "PayToken")
	}
	return pt, nil
}

// PayTokenByRef reads one delivery by its public reference.
func (db *DB) PayTokenByRef(ctx context.Context, ref string) (*shop.Delivery, error) {
	pt, err := scanToken(db.SQL.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM pay_tokens WHERE ref = $1`, ref))
	if err != nil {
		return nil, mapErr(err, "PayToken")
	}
	return pt, nil
}

// MarkPayToken records what confirming a delivery did.
func (db *DB) MarkPayToken(ctx context.Context, id int64, orderNo, outcome string, now time.Time) error {
	_, err := db.SQL.ExecContext(ctx, `UPDATE pay_tokens SET order_no = $1, outcome = $2, processed_at = $3 WHERE id = $4`,
		orderNo, outcome, ms(now), id)
	return mapErr(err, "mark PayToken")
}

// PayTokens lists deliveries for an order number, or all when orderNo is
// empty, newest first.
func (db *DB) PayTokens(ctx context.Context, orderNo string, limit int) ([]*shop.Delivery, error) {
	q, args := `SELECT `+tokenColumns+` FROM pay_tokens ORDER BY id DESC LIMIT $1`, []any{limit}
	if orderNo != "" {
		q, args = `SELECT `+tokenColumns+` FROM pay_tokens WHERE order_no = $1 ORDER BY id DESC LIMIT $2`, []any{orderNo, limit}
	}
	rows, err := db.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "PayTokens")
	}
	defer rows.Close()
	var out []*shop.Delivery
	for rows.Next() {
		pt, err := scanToken(rows)
		if err != nil {
			return nil, mapErr(err, "PayTokens")
		}
		out = append(out, pt)
	}
	return out, mapErr(rows.Err(), "PayTokens")
}

// ProcessedTwin finds an already processed delivery of the same PayToken
// other than id; found is false when there is none.
func (db *DB) ProcessedTwin(ctx context.Context, token string, id int64) (twin *shop.Delivery, found bool, err error) {
	pt, err := scanToken(db.SQL.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM pay_tokens
		WHERE pay_token = $1 AND id <> $2 AND processed_at <> 0 ORDER BY id LIMIT 1`, token, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, mapErr(err, "PayToken")
	}
	return pt, true, nil
}
