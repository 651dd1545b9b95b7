package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// APIAccount is the id of the shop's own account that the API's orders
// belong to (made by the migration that made api_payments).
func (db *DB) APIAccount(ctx context.Context) (int64, error) {
	var id int64
	err := db.q().QueryRowContext(ctx, `SELECT id FROM customers WHERE system <> 0 ORDER BY id LIMIT 1`).Scan(&id)
	return id, mapErr(err, "the API's account")
}

// CreateAPIPayment stores p's order o (of the API's account, waiting and
// not yet at the bank, as CreateOrder) and p, in one transaction. A
// payment with p's idempotency key for its API key already is Conflict.
func (db *DB) CreateAPIPayment(ctx context.Context, p *shop.APIPayment, o *shop.Order, now time.Time) error {
	if o.Capture == "" {
		o.Capture = shop.CaptureAuto
	}
	meta, err := json.Marshal(p.Metadata)
	if err != nil || p.Metadata == nil {
		meta = []byte("{}")
	}
	return db.Tx(ctx, func(sqltx *sql.Tx) error {
		// The order's checkout key is the payment's id: unique, and what
		// ties the two together should one be read without the other.
		if err := db.createOrderIn(ctx, sqltx, o, p.ID, now); err != nil {
			return err
		}
		_, err := db.inTx(sqltx).ExecContext(ctx, `INSERT INTO api_payments (id, api_key_id, order_id, reference, description, return_url, metadata, idem_key, idem_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			p.ID, p.KeyID, o.ID, p.Reference, p.Description, p.ReturnURL, string(meta), p.IdemKey, p.IdemHash, ms(now))
		if err != nil {
			return mapErr(err, "create payment")
		}
		p.OrderID, p.CreatedAt, p.Order = o.ID, now.UTC(), o
		return nil
	})
}

const apiPaymentColumns = `id, api_key_id, order_id, reference, description, return_url, metadata, idem_key, idem_hash, created_at`

func (db *DB) apiPaymentWhere(ctx context.Context, where string, args ...any) (*shop.APIPayment, error) {
	var p shop.APIPayment
	var meta string
	var created int64
	err := db.q().QueryRowContext(ctx, `SELECT `+apiPaymentColumns+` FROM api_payments WHERE `+where, args...).
		Scan(&p.ID, &p.KeyID, &p.OrderID, &p.Reference, &p.Description, &p.ReturnURL, &meta, &p.IdemKey, &p.IdemHash, &created)
	if err != nil {
		return nil, mapErr(err, "payment")
	}
	p.CreatedAt = fromMS(created)
	if err := json.Unmarshal([]byte(meta), &p.Metadata); err != nil {
		return nil, shop.Wrap(shop.Internal, "error.internal", err, "payment %s: metadata", p.ID)
	}
	if p.Order, err = db.OrderByID(ctx, p.OrderID); err != nil {
		return nil, err
	}
	return &p, nil
}

// APIPayment is key keyID's payment id with its order; NotFound for a
// payment of another key, as for none.
func (db *DB) APIPayment(ctx context.Context, keyID int64, id string) (*shop.APIPayment, error) {
	return db.apiPaymentWhere(ctx, `id = $1 AND api_key_id = $2`, id, keyID)
}

// APIPaymentByIdem is key keyID's payment made with idempotency key
// idem; NotFound when there is none.
func (db *DB) APIPaymentByIdem(ctx context.Context, keyID int64, idem string) (*shop.APIPayment, error) {
	return db.apiPaymentWhere(ctx, `api_key_id = $1 AND idem_key = $2 AND idem_key <> ''`, keyID, idem)
}

// APIPaymentOfOrder is the payment whose order is order no; NotFound
// when the order is not one of the API's.
func (db *DB) APIPaymentOfOrder(ctx context.Context, no string) (*shop.APIPayment, error) {
	return db.apiPaymentWhere(ctx, `order_id = (SELECT id FROM orders WHERE order_no = $1)`, no)
}

// APIPaymentByID is the payment id of any key, for the pages the buyer
// sees (the card payment's way back to the merchant).
func (db *DB) APIPaymentByID(ctx context.Context, id string) (*shop.APIPayment, error) {
	return db.apiPaymentWhere(ctx, `id = $1`, id)
}
