package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sinopay/sinopay/shop"
)

const orderColumns = `id, order_no, customer_id, pay_type, amount, status, bank_state, ts_no, atm_pay_no,
	web_atm_url, otp_url, card_pay_url, expire_date, card_expires_at, bank_error, created_at, updated_at,
	capture, captured, captured_at, refunded, replaces, replaced_by,
	ship_name, ship_phone, ship_postal, ship_city, ship_district, ship_street, shipped_at, carrier, tracking_no, stock_held, test_bank, pay_by`

func scanOrder(row interface{ Scan(...any) error }) (*shop.Order, error) {
	var o shop.Order
	var amount, cardExp, created, updated, captured, capturedAt, refunded, shippedAt, payBy int64
	var stockHeld, testBank int
	var payType, status, bankState, capture string
	err := row.Scan(&o.ID, &o.No, &o.CustomerID, &payType, &amount, &status, &bankState, &o.Bank.TSNo, &o.Bank.AtmPayNo,
		&o.Bank.WebAtmURL, &o.Bank.OtpURL, &o.Bank.CardPayURL, &o.Bank.ExpireDate, &cardExp, &o.Bank.Error, &created, &updated,
		&capture, &captured, &capturedAt, &refunded, &o.Replaces, &o.ReplacedBy,
		&o.ShipTo.Name, &o.ShipTo.Phone, &o.ShipTo.PostalCode, &o.ShipTo.City, &o.ShipTo.District, &o.ShipTo.Street,
		&shippedAt, &o.Shipment.Carrier, &o.Shipment.Tracking, &stockHeld, &testBank, &payBy)
	if err != nil {
		return nil, err
	}
	o.PayType, o.Amount, o.Status, o.Bank.State = shop.PayType(payType), shop.Money(amount), shop.Status(status), shop.BankState(bankState)
	o.Bank.CardExpiresAt, o.CreatedAt, o.UpdatedAt = fromMS(cardExp), fromMS(created), fromMS(updated)
	o.Capture, o.Captured, o.CapturedAt, o.Refunded = shop.CaptureMode(capture), shop.Money(captured), fromMS(capturedAt), shop.Money(refunded)
	o.Shipment.At, o.StockHeld, o.TestBank, o.PayBy = fromMS(shippedAt), stockHeld != 0, testBank != 0, fromMS(payBy)
	return &o, nil
}

// CreateOrder stores a new order with its items, waiting and not yet at
// the bank. A second checkout with the same customer and checkout key is a
// Conflict, which is how a double submit is told apart from a new order.
// An empty o.Capture is CaptureAuto.
func (db *DB) CreateOrder(ctx context.Context, o *shop.Order, checkoutKey string, now time.Time) error {
	if o.Capture == "" {
		o.Capture = shop.CaptureAuto
	}
	return db.Tx(ctx, func(sqltx *sql.Tx) error { return db.createOrderIn(ctx, sqltx, o, checkoutKey, now) })
}

// createOrderIn is CreateOrder in the transaction sqltx.
func (db *DB) createOrderIn(ctx context.Context, sqltx *sql.Tx, o *shop.Order, checkoutKey string, now time.Time) error {
	tx := db.inTx(sqltx)
	st := o.ShipTo
	var held int
	testBank := 0
	if o.TestBank {
		testBank = 1
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO orders (order_no, customer_id, checkout_key, pay_type, amount, status, bank_state, created_at, updated_at, capture, replaces,
			ship_name, ship_phone, ship_postal, ship_city, ship_district, ship_street, test_bank, pay_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
		o.No, o.CustomerID, checkoutKey, string(o.PayType), int64(o.Amount), string(shop.StatusWaiting), string(shop.BankCreating), ms(now),
		string(o.Capture), o.Replaces, st.Name, st.Phone, st.PostalCode, st.City, st.District, st.Street, testBank, ms(o.PayBy)).Scan(&o.ID)
	if err != nil {
		return mapErr(err, "create order")
	}
	if o.Replaces == "" {
		if err := holdStock(ctx, tx, o); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET stock_held = 1 WHERE id = $1`, o.ID); err != nil {
			return mapErr(err, "hold stock")
		}
		o.StockHeld = true
	}
	if o.Replaces != "" {
		// Only a waiting order not replaced yet is replaced, once.
		res, err := tx.ExecContext(ctx, `UPDATE orders SET replaced_by = $1, updated_at = $2
			WHERE order_no = $3 AND customer_id = $4 AND status = $5 AND replaced_by = ''`,
			o.No, ms(now), o.Replaces, o.CustomerID, string(shop.StatusWaiting))
		if err != nil {
			return mapErr(err, "replace order")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return shop.Errorf(shop.Conflict, "order.not_replaceable", "order %s is no longer waiting to be paid, or was replaced already", o.Replaces)
		}
		// The replacement holds the items the replaced order held.
		if err := tx.QueryRowContext(ctx, `SELECT stock_held FROM orders WHERE order_no = $1`, o.Replaces).Scan(&held); err != nil {
			return mapErr(err, "replace order")
		}
		for _, q := range []struct {
			held int
			no   string
		}{{0, o.Replaces}, {held, o.No}} {
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET stock_held = $1 WHERE order_no = $2`, q.held, q.no); err != nil {
				return mapErr(err, "replace order")
			}
		}
		o.StockHeld = held == 1
	}
	for i, it := range o.Items {
		_, err := tx.ExecContext(ctx, `INSERT INTO order_items (order_id, line, product_id, name, name_zh, name_en, unit_price, qty)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			o.ID, i+1, it.ProductID, it.Name, it.NameZH, it.NameEN, int64(it.UnitPrice), it.Qty)
		if err != nil {
			return mapErr(err, "create order items")
		}
	}
	o.Status, o.Bank.State, o.CreatedAt, o.UpdatedAt = shop.StatusWaiting, shop.BankCreating, now.UTC(), now.UTC()
	return nil
}

// LastShipTo returns where the customer's latest order with a delivery
// went, to offer it again; the zero ShipTo when there is none.
func (db *DB) LastShipTo(ctx context.Context, customerID int64) (shop.ShipTo, error) {
	var st shop.ShipTo
	err := db.q().QueryRowContext(ctx, `SELECT ship_name, ship_phone, ship_postal, ship_city, ship_district, ship_street
		FROM orders WHERE customer_id = $1 AND ship_name <> '' ORDER BY id DESC LIMIT 1`, customerID).
		Scan(&st.Name, &st.Phone, &st.PostalCode, &st.City, &st.District, &st.Street)
	if errors.Is(err, sql.ErrNoRows) {
		return shop.ShipTo{}, nil
	}
	return st, mapErr(err, "last delivery address")
}

// OrderByCheckoutKey finds the order a checkout key made.
func (db *DB) OrderByCheckoutKey(ctx context.Context, customerID int64, key string) (*shop.Order, error) {
	o, err := scanOrder(db.q().QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE customer_id = $1 AND checkout_key = $2`, customerID, key))
	if err != nil {
		return nil, mapErr(err, "order")
	}
	return o, nil
}

// OrderByNo finds an order by its number.
func (db *DB) OrderByNo(ctx context.Context, no string) (*shop.Order, error) {
	return db.orderWhere(ctx, db.q(), `order_no = $1`, no)
}

// OrderByID finds an order by id.
func (db *DB) OrderByID(ctx context.Context, id int64) (*shop.Order, error) {
	return db.orderWhere(ctx, db.q(), `id = $1`, id)
}

// CustomerOrder finds a customer's order by number. Another customer's
// order is NotFound, exactly as a missing one.
//
// The order is found by its number alone and its customer compared here:
// with both in the WHERE, PostgreSQL's generic plan for the prepared
// statement could walk the customer's index through all of their orders
// (122 pages read per lookup for a customer with 190 orders) instead of
// taking the one row the unique order_no gives.
func (db *DB) CustomerOrder(ctx context.Context, customerID int64, no string) (*shop.Order, error) {
	o, err := db.orderWhere(ctx, db.q(), `order_no = $1`, no)
	if err != nil {
		return nil, err
	}
	if o.CustomerID != customerID {
		return nil, mapErr(sql.ErrNoRows, "order")
	}
	return o, nil
}

// CustomerOrderHead is CustomerOrder without the order's lines, for what
// needs only its state (the status URL its pages poll).
func (db *DB) CustomerOrderHead(ctx context.Context, customerID int64, no string) (*shop.Order, error) {
	o, err := scanOrder(db.q().QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE order_no = $1`, no))
	if err != nil {
		return nil, mapErr(err, "order")
	}
	if o.CustomerID != customerID {
		return nil, mapErr(sql.ErrNoRows, "order")
	}
	return o, nil
}

func (db *DB) orderWhere(ctx context.Context, q querier, where string, args ...any) (*shop.Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, args...))
	if err != nil {
		return nil, mapErr(err, "order")
	}
	rows, err := q.QueryContext(ctx, `SELECT product_id, name, name_zh, name_en, unit_price, qty FROM order_items WHERE order_id = $1 ORDER BY line`, o.ID)
	if err != nil {
		return nil, mapErr(err, "order items")
	}
	defer rows.Close()
	for rows.Next() {
		var it shop.Item
		var price int64
		if err := rows.Scan(&it.ProductID, &it.Name, &it.NameZH, &it.NameEN, &price, &it.Qty); err != nil {
			return nil, mapErr(err, "order items")
		}
		it.UnitPrice = shop.Money(price)
		o.Items = append(o.Items, it)
	}
	return o, mapErr(rows.Err(), "order items")
}

// CustomerOrders lists a page of a customer's orders, newest first, and
// the total count.
func (db *DB) CustomerOrders(ctx context.Context, customerID int64, limit, offset int) ([]*shop.Order, int, error) {
	var total int
	if err := db.q().QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE customer_id = $1`, customerID).Scan(&total); err != nil {
		return nil, 0, mapErr(err, "count orders")
	}
	rows, err := db.q().QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE customer_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
		customerID, limit, offset)
	if err != nil {
		return nil, 0, mapErr(err, "orders")
	}
	defer rows.Close()
	var out []*shop.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, 0, mapErr(err, "orders")
		}
		out = append(out, o)
	}
	return out, total, mapErr(rows.Err(), "orders")
}

// SetBank records what the bank said about creating an order.
//
// The first time the bank has the order, its customer's "order received"
// message is queued in the same transaction.
func (db *DB) SetBank(ctx context.Context, orderID int64, b shop.BankOrder, now time.Time) error {
	if b.State == shop.BankCreated {
		return db.Tx(ctx, func(sqltx *sql.Tx) error {
			tx := db.inTx(sqltx)
			if err := setBank(ctx, tx, orderID, b, now); err != nil {
				return err
			}
			return queueOrderMail(ctx, tx, fmt.Sprintf("order-%d-received", orderID), shop.MailOrderReceived, orderID, 0, now)
		})
	}
	return setBank(ctx, db.q(), orderID, b, now)
}

func setBank(ctx context.Context, q querier, orderID int64, b shop.BankOrder, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE orders SET bank_state = $1, ts_no = $2, atm_pay_no = $3, web_atm_url = $4, otp_url = $5,
		card_pay_url = $6, expire_date = $7, card_expires_at = $8, bank_error = $9, updated_at = $10 WHERE id = $11`,
		string(b.State), b.TSNo, b.AtmPayNo, b.WebAtmURL, b.OtpURL, b.CardPayURL, b.ExpireDate, ms(b.CardExpiresAt), b.Error, ms(now), orderID)
	return mapErr(err, "set bank order")
}

// ClaimBankCreate moves an order from one bank state to creating, and
// reports whether this caller won: only the winner calls OrderCreate, so
// concurrent sweeps never create one order twice at the bank. It holds
// only while the order is as the caller read it before asking the bank
// (the bank state from, last changed at readAt): a state that went to
// creating and back meanwhile is another sweep's OrderCreate, which may
// have reached the bank after this caller's OrderQuery. (The first
// OrderCreate needs no claim: only the request that inserted the order
// makes it.)
func (db *DB) ClaimBankCreate(ctx context.Context, orderID int64, from shop.BankState, readAt, now time.Time) (bool, error) {
	res, err := db.q().ExecContext(ctx, `UPDATE orders SET bank_state = $1, updated_at = $2 WHERE id = $3 AND bank_state = $4 AND updated_at = $5`,
		string(shop.BankCreating), ms(now), orderID, string(from), ms(readAt))
	if err != nil {
		return false, mapErr(err, "claim order")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// EventMeta says where a payment event came from.
type EventMeta struct {
	Source   shop.Source
	PayToken string
	Amount   shop.Money
	Note     string
	// BankAt is when the bank says the money moved (its PayDate), for
	// a payment; zero when it did not say.
	BankAt time.Time
}

// ApplyEvent moves an order through the transition table, and records one
// payment event when the status changes. Concurrent callers with the same
// event see exactly one change: the update only matches the status it was
// computed from, and a loser re-reads and finds nothing left to do.
func (db *DB) ApplyEvent(ctx context.Context, orderID int64, ev shop.Event, meta EventMeta, now time.Time) (changed bool, order *shop.Order, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		err = db.Tx(ctx, func(sqltx *sql.Tx) error {
			tx := db.inTx(sqltx)
			o, err := db.orderWhere(ctx, tx, `id = $1`, orderID)
			if err != nil {
				return err
			}
			order = o
			changed, err = db.applyEventTx(ctx, tx, o, ev, meta, now)
			return err
		})
		if err != errRaced {
			return changed, order, err
		}
	}
	return false, order, shop.Errorf(shop.Conflict, "", "order %d kept changing", orderID)
}

var errRaced = shop.Errorf(shop.Conflict, "", "order changed meanwhile")

// applyEventTx moves o (as read in tx) through the transition table and
// records the event, when it moves. It fails with errRaced when the row
// changed since it was read.
func (db *DB) applyEventTx(ctx context.Context, tx querier, o *shop.Order, ev shop.Event, meta EventMeta, now time.Time) (bool, error) {
	if ev == shop.EventPaid {
		if other, err := db.paidPartner(ctx, tx, o); err != nil {
			return false, err
		} else if other != "" {
			// The buyer's money moved twice for one purchase: a person
			// refunds one (the README says how), the shop pays neither.
			ev = shop.EventMismatch
			meta.Note = strings.TrimPrefix(meta.Note+"; ", "; ") + "paid twice: order " + other + " of the same purchase is paid already"
		}
	}
	return applyTransitionTx(ctx, tx, o, ev, meta, now)
}

// applyTransitionTx is applyEventTx without the look at the order of the
// same purchase, for the events that are not payments.
func applyTransitionTx(ctx context.Context, tx querier, o *shop.Order, ev shop.Event, meta EventMeta, now time.Time) (bool, error) {
	to, move, err := shop.Next(o.Status, ev)
	if err != nil || !move {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
		string(to), ms(now), o.ID, string(o.Status))
	if err != nil {
		return false, mapErr(err, "update order status")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, errRaced
	}
	if err := insertEvent(ctx, tx, o.ID, o.Status, to, ev, meta, now); err != nil {
		return false, err
	}
	if err := stockOnTransition(ctx, tx, o, o.Status, to, ev); err != nil {
		return false, err
	}
	o.Status, o.UpdatedAt = to, now.UTC()
	return true, nil
}

// paidPartner returns the number of the order o replaced or was replaced
// by, when that order is paid already (or on review: its money may have
// moved); "" otherwise. On PostgreSQL it locks both rows, in the order of
// their ids, so that payments of the two at once see each other.
func (db *DB) paidPartner(ctx context.Context, tx querier, o *shop.Order) (string, error) {
	other := o.ReplacedBy
	if other == "" {
		other = o.Replaces
	}
	if other == "" {
		return "", nil
	}
	q := `SELECT order_no, status FROM orders WHERE order_no IN ($1, $2) ORDER BY id`
	if db.Dialect == Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, q, o.No, other)
	if err != nil {
		return "", mapErr(err, "order of the same purchase")
	}
	defer rows.Close()
	paid := ""
	for rows.Next() {
		var no, status string
		if err := rows.Scan(&no, &status); err != nil {
			return "", mapErr(err, "order of the same purchase")
		}
		if no == other && (shop.Status(status) == shop.StatusPaid || shop.Status(status) == shop.StatusReview) {
			paid = no
		}
	}
	return paid, mapErr(rows.Err(), "order of the same purchase")
}

// insertEvent adds one line to an order's timeline.
// An event the customer hears of (mailFor) queues its message in the same
// transaction, keyed by the event's id: one message per event; one of an
// API payment (shop.WebhookFor) queues its webhook event.
func insertEvent(ctx context.Context, tx querier, orderID int64, from, to shop.Status, ev shop.Event, meta EventMeta, now time.Time) error {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO payment_events (order_id, from_status, to_status, event, source, pay_token, amount, note, at, bank_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		orderID, string(from), string(to), string(ev), string(meta.Source), meta.PayToken, int64(meta.Amount), meta.Note, ms(now), ms(meta.BankAt)).Scan(&id)
	if err != nil {
		return mapErr(err, "insert payment event")
	}
	if err := queueWebhook(ctx, tx, orderID, from, to, ev, now); err != nil {
		return err
	}
	kind, amount, ok := mailFor(from, to, ev, meta)
	if !ok {
		return nil
	}
	return queueOrderMail(ctx, tx, fmt.Sprintf("event-%d", id), kind, orderID, amount, now)
}

// mailFor says which message, if any, an order's event sends its
// customer, and the amount it names (0: the order's).
func mailFor(from, to shop.Status, ev shop.Event, meta EventMeta) (shop.MailKind, shop.Money, bool) {
	switch {
	case ev == shop.EventPaid && to == shop.StatusPaid && from != shop.StatusPaid:
		return shop.MailPaid, 0, true
	case ev == shop.EventFailed && to == shop.StatusFailed:
		return shop.MailFailed, 0, true
	case ev == shop.EventExpired && to == shop.StatusExpired:
		return shop.MailExpired, 0, true
	case ev == shop.EventRefunded && to == shop.StatusRefunded:
		return shop.MailRefunded, 0, true
	case ev == shop.EventPartRefunded && meta.Amount > 0:
		return shop.MailRefunded, meta.Amount, true
	case ev == shop.EventShipped:
		return shop.MailShipped, 0, true
	}
	return "", 0, false
}

// Events lists an order's payment events, oldest first.
func (db *DB) Events(ctx context.Context, orderID int64) ([]shop.PaymentEvent, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT id, order_id, from_status, to_status, event, source, pay_token, amount, note, at
		FROM payment_events WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, mapErr(err, "events")
	}
	defer rows.Close()
	var out []shop.PaymentEvent
	for rows.Next() {
		var e shop.PaymentEvent
		var from, to, ev string
		var amount, at int64
		if err := rows.Scan(&e.ID, &e.OrderID, &from, &to, &ev, &e.Source, &e.PayToken, &amount, &e.Note, &at); err != nil {
			return nil, mapErr(err, "events")
		}
		e.From, e.To, e.Event, e.Amount, e.At = shop.Status(from), shop.Status(to), shop.Event(ev), shop.Money(amount), fromMS(at)
		out = append(out, e)
	}
	return out, mapErr(rows.Err(), "events")
}

// OrdersToCheck lists orders whose payment state the bank may know better
// than we do: waiting or failed, not looked at since cutoff, at most
// limit, least recently looked at first. Orders whose creation at the bank
// is unknown, or was never answered (a crash mid-call), come too.
func (db *DB) OrdersToCheck(ctx context.Context, cutoff time.Time, limit int) ([]*shop.Order, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE status IN ('W', 'F') AND bank_state IN ('created', 'unknown', 'creating') AND updated_at < $1
		ORDER BY updated_at, id LIMIT $2`, ms(cutoff), limit)
	if err != nil {
		return nil, mapErr(err, "orders to check")
	}
	defer rows.Close()
	var out []*shop.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, mapErr(err, "orders to check")
		}
		out = append(out, o)
	}
	return out, mapErr(rows.Err(), "orders to check")
}

// TouchOrder marks an order as looked at, so a sweep with a limit moves on
// to others next time.
func (db *DB) TouchOrder(ctx context.Context, orderID int64, now time.Time) error {
	_, err := db.q().ExecContext(ctx, `UPDATE orders SET updated_at = $1 WHERE id = $2`, ms(now), orderID)
	return mapErr(err, "touch order")
}

// ExpiredATMOrders lists waiting ATM orders whose last day to pay is
// before today (yyyyMMdd, Taiwan time).
func (db *DB) ExpiredATMOrders(ctx context.Context, today string, limit int) ([]*shop.Order, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE pay_type = 'A' AND status = 'W' AND bank_state = 'created' AND expire_date <> '' AND expire_date < $1
		ORDER BY id LIMIT $2`, today, limit)
	if err != nil {
		return nil, mapErr(err, "expired ATM orders")
	}
	defer rows.Close()
	var out []*shop.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, mapErr(err, "expired ATM orders")
		}
		out = append(out, o)
	}
	return out, mapErr(rows.Err(), "expired ATM orders")
}
