package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
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

// APIPaymentFilter narrows a key's list of payments.
type APIPaymentFilter struct {
	Reference    string
	Status       string    // the API's word; "" for any
	CreatedAfter time.Time // zero for any
	// StartingAfter is the id of the last payment of the previous page.
	StartingAfter string
}

// apiStatusSQL is the condition on the order (o) for each of the API's
// statuses (shop.APIStatus).
var apiStatusSQL = map[string]string{
	"pending":            `o.status = 'W' AND o.bank_state <> 'refused'`,
	"failed":             `(o.status = 'F' OR (o.status = 'W' AND o.bank_state = 'refused'))`,
	"succeeded":          `o.status = 'S' AND NOT (o.capture = 'manual' AND o.captured = 0) AND o.refunded = 0`,
	"requires_capture":   `o.status = 'S' AND o.capture = 'manual' AND o.captured = 0`,
	"partially_refunded": `o.status = 'S' AND NOT (o.capture = 'manual' AND o.captured = 0) AND o.refunded > 0`,
	"expired":            `o.status = 'E'`,
	"refunded":           `o.status = 'R'`,
	"review":             `o.status = 'V'`,
}

// ValidAPIStatus reports whether s is one of the API's statuses.
func ValidAPIStatus(s string) bool { _, ok := apiStatusSQL[s]; return ok }

// APIPayments lists up to limit of key keyID's payments matching f,
// newest first, and whether there are more.
func (db *DB) APIPayments(ctx context.Context, keyID int64, f APIPaymentFilter, limit int) ([]*shop.APIPayment, bool, error) {
	conds := []string{"p.api_key_id = $1"}
	args := []any{keyID}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Reference != "" {
		conds = append(conds, "p.reference = "+arg(f.Reference))
	}
	if f.Status != "" {
		cond, ok := apiStatusSQL[f.Status]
		if !ok {
			return nil, false, shop.Errorf(shop.Invalid, "error.bad_form", "status %q", f.Status)
		}
		conds = append(conds, cond)
	}
	if !f.CreatedAfter.IsZero() {
		conds = append(conds, "p.created_at > "+arg(ms(f.CreatedAfter)))
	}
	if f.StartingAfter != "" {
		var created int64
		err := db.q().QueryRowContext(ctx, `SELECT created_at FROM api_payments WHERE id = $1 AND api_key_id = $2`, f.StartingAfter, keyID).Scan(&created)
		if err != nil {
			return nil, false, mapErr(err, "payment to start after")
		}
		c, id := arg(created), arg(f.StartingAfter)
		conds = append(conds, "(p.created_at < "+c+" OR (p.created_at = "+c+" AND p.id < "+id+"))")
	}
	rows, err := db.q().QueryContext(ctx, `SELECT p.id FROM api_payments p JOIN orders o ON o.id = p.order_id WHERE `+
		strings.Join(conds, " AND ")+` ORDER BY p.created_at DESC, p.id DESC LIMIT `+arg(limit+1), args...)
	if err != nil {
		return nil, false, mapErr(err, "payments")
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, false, mapErr(err, "payments")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, mapErr(err, "payments")
	}
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	out := make([]*shop.APIPayment, 0, len(ids))
	for _, id := range ids {
		p, err := db.APIPayment(ctx, keyID, id)
		if err != nil {
			return nil, false, err
		}
		out = append(out, p)
	}
	return out, more, nil
}

// APIEvent is an event as the API lists it.
type APIEvent struct {
	RowID     int64
	ID        string
	Type      string
	PaymentID string
	Body      string // "" until first written
	CreatedAt time.Time
}

// APIEvents lists up to limit of key keyID's events after the event
// after ("" for the first), oldest first, and whether there are more.
func (db *DB) APIEvents(ctx context.Context, keyID int64, after string, limit int) ([]*APIEvent, bool, error) {
	var from int64
	if after != "" {
		if err := db.q().QueryRowContext(ctx, `SELECT id FROM api_events WHERE event_id = $1 AND api_key_id = $2`, after, keyID).Scan(&from); err != nil {
			return nil, false, mapErr(err, "event to start after")
		}
	}
	rows, err := db.q().QueryContext(ctx, `SELECT id, event_id, type, payment_id, body, created_at FROM api_events
		WHERE api_key_id = $1 AND id > $2 ORDER BY id LIMIT $3`, keyID, from, limit+1)
	if err != nil {
		return nil, false, mapErr(err, "events")
	}
	defer rows.Close()
	var out []*APIEvent
	for rows.Next() {
		var e APIEvent
		var created int64
		if err := rows.Scan(&e.RowID, &e.ID, &e.Type, &e.PaymentID, &e.Body, &created); err != nil {
			return nil, false, mapErr(err, "events")
		}
		e.CreatedAt = fromMS(created)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, mapErr(err, "events")
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}
