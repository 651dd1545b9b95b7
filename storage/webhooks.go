package storage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// queueWebhook records the event an order's change sends the API key
// that made the order, with a delivery to each of the key's endpoints,
// in the transaction of the change. Orders the API did not make, and
// changes no event is sent for, record nothing.
func queueWebhook(ctx context.Context, tx querier, orderID int64, from, to shop.Status, ev shop.Event, now time.Time) error {
	typ, ok := shop.WebhookFor(from, to, ev)
	if !ok {
		return nil
	}
	var payment string
	var key int64
	err := tx.QueryRowContext(ctx, `SELECT id, api_key_id FROM api_payments WHERE order_id = $1`, orderID).Scan(&payment, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return mapErr(err, "webhook event")
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO api_events (event_id, api_key_id, payment_id, type, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		shop.NewEventID(), key, payment, typ, ms(now)).Scan(&id); err != nil {
		return mapErr(err, "webhook event")
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, payment_id, url, next_at, created_at)
		SELECT $1, id, $2, url, $3, $3 FROM webhook_endpoints WHERE api_key_id = $4`, id, payment, ms(now), key)
	return mapErr(err, "webhook deliveries")
}

const deliveryColumns = `d.id, d.event_id, e.event_id, e.type, e.api_key_id, d.payment_id, d.url, d.status, d.attempts, d.next_at,
	d.last_status, d.last_error, d.response, e.body, d.created_at, d.done_at`

func scanDelivery(row interface{ Scan(...any) error }) (*shop.WebhookDelivery, error) {
	var d shop.WebhookDelivery
	var next, created, done int64
	if err := row.Scan(&d.ID, &d.EventRowID, &d.EventID, &d.Type, &d.KeyID, &d.PaymentID, &d.URL, &d.Status, &d.Attempts, &next,
		&d.LastStatus, &d.LastError, &d.Response, &d.Body, &created, &done); err != nil {
		return nil, err
	}
	d.NextAt, d.CreatedAt, d.DoneAt = fromMS(next), fromMS(created), fromMS(done)
	return &d, nil
}

// TakeDeliveries leases up to n due deliveries for lease: each is not
// taken again before then, unless saved. A delivery waits while an
// earlier one of its payment to its endpoint is queued, so that a
// payment's events reach an endpoint in order.
func (db *DB) TakeDeliveries(ctx context.Context, n int, lease time.Duration, now time.Time) ([]*shop.WebhookDelivery, error) {
	var one int
	err := db.q().QueryRowContext(ctx, `SELECT 1 FROM webhook_deliveries WHERE status = 'queued' AND next_at <= $1 LIMIT 1`, ms(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr(err, "take deliveries")
	}
	pick := `SELECT d.id FROM webhook_deliveries d WHERE d.status = 'queued' AND d.next_at <= $2
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.payment_id = d.payment_id
			AND p.id < d.id AND p.status = 'queued')
		ORDER BY d.id LIMIT $3`
	if db.Dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := db.q().QueryContext(ctx, `UPDATE webhook_deliveries SET next_at = $1, attempts = attempts + 1
		WHERE id IN (`+pick+`) AND status = 'queued' AND next_at <= $2 RETURNING id`, ms(now.Add(lease)), ms(now), n)
	if err != nil {
		return nil, mapErr(err, "take deliveries")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, mapErr(err, "take deliveries")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "take deliveries")
	}
	var out []*shop.WebhookDelivery
	for _, id := range ids {
		d, err := db.Delivery(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Delivery reads one delivery with its event.
func (db *DB) Delivery(ctx context.Context, id int64) (*shop.WebhookDelivery, error) {
	d, err := scanDelivery(db.q().QueryRowContext(ctx, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d JOIN api_events e ON e.id = d.event_id WHERE d.id = $1`, id))
	return d, mapErr(err, "delivery")
}

// SetEventBody writes an event's JSON once: a body written already is
// kept, and returned.
func (db *DB) SetEventBody(ctx context.Context, eventRowID int64, body string) (string, error) {
	if _, err := db.q().ExecContext(ctx, `UPDATE api_events SET body = $1 WHERE id = $2 AND body = ''`, body, eventRowID); err != nil {
		return "", mapErr(err, "event body")
	}
	var kept string
	err := db.q().QueryRowContext(ctx, `SELECT body FROM api_events WHERE id = $1`, eventRowID).Scan(&kept)
	return kept, mapErr(err, "event body")
}

// UnwrittenEvents lists up to n events whose body is not written yet,
// oldest first.
func (db *DB) UnwrittenEvents(ctx context.Context, n int) ([]*APIEvent, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT id, event_id, type, payment_id, created_at FROM api_events
		WHERE body = '' ORDER BY id LIMIT $1`, n)
	if err != nil {
		return nil, mapErr(err, "unwritten events")
	}
	defer rows.Close()
	var out []*APIEvent
	for rows.Next() {
		var e APIEvent
		var created int64
		if err := rows.Scan(&e.RowID, &e.ID, &e.Type, &e.PaymentID, &created); err != nil {
			return nil, mapErr(err, "unwritten events")
		}
		e.CreatedAt = fromMS(created)
		out = append(out, &e)
	}
	return out, mapErr(rows.Err(), "unwritten events")
}

// SaveDelivery stores an attempt's outcome: status delivered or failed
// ends it at now; queued puts it back for next.
func (db *DB) SaveDelivery(ctx context.Context, d *shop.WebhookDelivery, now time.Time) error {
	done := int64(0)
	if d.Status != shop.DeliveryQueued {
		done = ms(now)
	}
	_, err := db.q().ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, next_at = $2, last_status = $3, last_error = $4,
		response = $5, done_at = $6 WHERE id = $7 AND status = 'queued'`,
		d.Status, ms(d.NextAt), d.LastStatus, d.LastError, d.Response, done, d.ID)
	return mapErr(err, "save delivery")
}

// Deliveries lists a key's newest deliveries, newest first.
func (db *DB) Deliveries(ctx context.Context, keyID int64, limit int) ([]*shop.WebhookDelivery, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d JOIN api_events e ON e.id = d.event_id WHERE e.api_key_id = $1 ORDER BY d.id DESC LIMIT $2`, keyID, limit)
	if err != nil {
		return nil, mapErr(err, "deliveries")
	}
	defer rows.Close()
	var out []*shop.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, mapErr(err, "deliveries")
		}
		out = append(out, d)
	}
	return out, mapErr(rows.Err(), "deliveries")
}

// ResendDelivery queues a delivery that ended (delivered or failed) to be
// sent again now; NotFound when there is none of that key.
func (db *DB) ResendDelivery(ctx context.Context, keyID, id int64, now time.Time) error {
	res, err := db.q().ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'queued', next_at = $1, done_at = 0
		WHERE id = $2 AND status <> 'queued' AND event_id IN (SELECT id FROM api_events WHERE api_key_id = $3)`, ms(now), id, keyID)
	if err != nil {
		return mapErr(err, "resend delivery")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shop.Errorf(shop.NotFound, "error.not_found", "delivery %d of key %d, ended", id, keyID)
	}
	return nil
}
