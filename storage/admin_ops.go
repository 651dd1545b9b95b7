package storage

import (
	"context"
	"database/sql"
	"time"

	"github.com/sinopay/sinopay/shop"
)

const opColumns = `id, order_id, request_key, op, amount, reason, admin_id, admin_email, state, bank_ts_no, bank_error, created_at, updated_at, restock`

func scanOp(row interface{ Scan(...any) error }) (*shop.Operation, error) {
	var op shop.Operation
	var kind, state string
	var amount, created, updated int64
	var restock int
	err := row.Scan(&op.ID, &op.OrderID, &op.Key, &kind, &amount, &op.Reason, &op.AdminID, &op.AdminEmail, &state,
		&op.BankTSNo, &op.BankError, &created, &updated, &restock)
	op.Restock = restock != 0
	if err != nil {
		return nil, err
	}
	op.Op, op.Amount, op.State = shop.Op(kind), shop.Money(amount), shop.OpState(state)
	op.CreatedAt, op.UpdatedAt = fromMS(created), fromMS(updated)
	return &op, nil
}

// lockOrder takes the order's row for the rest of tx, so that operations
// on one order are checked and recorded one after the other: on
// PostgreSQL the no-op update holds the row lock until commit; on SQLite
// every write transaction already holds the database's write lock from
// BEGIN (_txlock=immediate). A plain SELECT would let two transactions
// both read "NT$500 left" and both record a NT$500 refund.
func lockOrder(ctx context.Context, tx *sql.Tx, where string, arg any) (*shop.Order, error) {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET updated_at = updated_at WHERE `+where, arg)
	if err != nil {
		return nil, mapErr(err, "lock order")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, shop.Errorf(shop.NotFound, "error.not_found", "no order %v", arg)
	}
	o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, arg))
	return o, mapErr(err, "order")
}

// BeginOp records an operation of the back office on order orderNo, as
// pending, before the bank is asked: in one transaction, with the order's
// row locked, it checks the operation with shop.PlanOp (so a refund can
// never pass what was collected, whatever runs at the same time) and
// inserts it with the amount to ask for. The same (order, op.Key) again
// is the same operation: it is returned with existed true and nothing
// is recorded, so a form sent twice never asks the bank twice. Errors:
// NotFound, and PlanOp's Invalid and Conflict.
func (db *DB) BeginOp(ctx context.Context, orderNo string, op shop.Operation, now time.Time) (rec *shop.Operation, o *shop.Order, existed bool, err error) {
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		o, err = lockOrder(ctx, tx, `order_no = $1`, orderNo)
		if err != nil {
			return err
		}
		prev, err := scanOp(tx.QueryRowContext(ctx, `SELECT `+opColumns+` FROM order_ops WHERE order_id = $1 AND request_key = $2`, o.ID, op.Key))
		if err == nil {
			rec, existed = prev, true
			return nil
		}
		if err != sql.ErrNoRows {
			return mapErr(err, "operation")
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_ops WHERE order_id = $1 AND state IN ('pending', 'unknown')`, o.ID).Scan(&open); err != nil {
			return mapErr(err, "open operations")
		}
		amount, err := shop.PlanOp(o, op.Op, op.Amount, op.Reason, open > 0)
		if err != nil {
			return err
		}
		rec = &op
		rec.OrderID, rec.Amount, rec.State, rec.CreatedAt, rec.UpdatedAt = o.ID, amount, shop.OpPending, now.UTC(), now.UTC()
		restock := 0
		if op.Op == shop.OpRefund && op.Restock {
			restock = 1
		}
		rec.Restock = restock == 1
		err = tx.QueryRowContext(ctx, `INSERT INTO order_ops (order_id, request_key, op, amount, reason, admin_id, admin_email, state, created_at, updated_at, restock)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id`,
			o.ID, op.Key, string(op.Op), int64(amount), op.Reason, op.AdminID, op.AdminEmail, string(shop.OpPending), ms(now), restock).Scan(&rec.ID)
		return mapErr(err, "record operation")
	})
	if err != nil {
		return nil, nil, false, err
	}
	return rec, o, existed, nil
}

// OpOutcome is what the bank made of an operation.
type OpOutcome struct {
	State     shop.OpState // OpDone, OpRefused or OpUnknown
	BankTSNo  string
	BankError string
}

// FinishOp records the bank's answer to an open operation. When the bank
// did it, the same transaction updates the order (its capture, its
// refunded amount) and its timeline, and moves its status through the
// transition table (shop.OpEvent says which event). An operation that is
// no longer open is returned as it is, unchanged: two resolvers of one
// unknown operation apply it once.
func (db *DB) FinishOp(ctx context.Context, opID int64, out OpOutcome, now time.Time) (*shop.Operation, *shop.Order, error) {
	var op *shop.Operation
	var o *shop.Order
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		op, err = scanOp(tx.QueryRowContext(ctx, `SELECT `+opColumns+` FROM order_ops WHERE id = $1`, opID))
		if err != nil {
			return mapErr(err, "operation")
		}
		o, err = lockOrder(ctx, tx, `id = $1`, op.OrderID)
		if err != nil {
			return err
		}
		if !op.State.Open() {
			return nil
		}
		if out.State == shop.OpDone {
			if err := applyOpTx(ctx, tx, o, op, now); err != nil {
				return err
			}
		}
		if out.State == shop.OpUnknown && op.State == shop.OpUnknown && out.BankError == "" {
			out.BankError = op.BankError
		}
		_, err = tx.ExecContext(ctx, `UPDATE order_ops SET state = $1, bank_ts_no = $2, bank_error = $3, updated_at = $4 WHERE id = $5`,
			string(out.State), out.BankTSNo, out.BankError, ms(now), op.ID)
		if err != nil {
			return mapErr(err, "finish operation")
		}
		op.State, op.BankTSNo, op.BankError, op.UpdatedAt = out.State, out.BankTSNo, out.BankError, now.UTC()
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return op, o, nil
}

// applyOpTx makes a done operation show on the order: the capture or the
// refunded amount, one line on the timeline, and the status change the
// transition table gives its event (source "admin", the admin and the
// reason in the note).
func applyOpTx(ctx context.Context, tx *sql.Tx, o *shop.Order, op *shop.Operation, now time.Time) error {
	ev := shop.OpEvent(o, op.Op, op.Amount)
	var err error
	switch op.Op {
	case shop.OpCapture:
		_, err = tx.ExecContext(ctx, `UPDATE orders SET captured = $1, captured_at = $2, updated_at = $2 WHERE id = $3`, int64(op.Amount), ms(now), o.ID)
		o.Captured, o.CapturedAt = op.Amount, now.UTC()
	case shop.OpRefund:
		_, err = tx.ExecContext(ctx, `UPDATE orders SET refunded = refunded + $1, updated_at = $2 WHERE id = $3`, int64(op.Amount), ms(now), o.ID)
		o.Refunded += op.Amount
	}
	if err != nil {
		return mapErr(err, "apply operation")
	}
	meta := EventMeta{Source: shop.SourceAdmin, Amount: op.Amount, Note: op.AdminEmail + ": " + op.Reason}
	if op.Restock && o.StockHeld {
		// The admin said the goods are back: the order's items return to
		// stock, once.
		if err := moveStock(ctx, tx, o, +1); err != nil {
			return err
		}
	}
	changed, err := applyTransitionTx(ctx, tx, o, ev, meta, now)
	if err != nil || changed {
		return err
	}
	// Captures and partial refunds leave the status as it is; they are
	// lines on the timeline all the same.
	return insertEvent(ctx, tx, o.ID, o.Status, o.Status, ev, meta, now)
}

// Ops lists an order's operations, oldest first.
func (db *DB) Ops(ctx context.Context, orderID int64) ([]*shop.Operation, error) {
	return db.ops(ctx, `SELECT `+opColumns+` FROM order_ops WHERE order_id = $1 ORDER BY id`, orderID)
}

// OpByID reads one operation.
func (db *DB) OpByID(ctx context.Context, id int64) (*shop.Operation, error) {
	op, err := scanOp(db.q().QueryRowContext(ctx, `SELECT `+opColumns+` FROM order_ops WHERE id = $1`, id))
	if err != nil {
		return nil, mapErr(err, "operation")
	}
	return op, nil
}

// StaleOps lists operations whose answer is unknown, and pending ones not
// answered since before cutoff (their request died with its process),
// oldest first: the ones to ask the bank about.
func (db *DB) StaleOps(ctx context.Context, cutoff time.Time, limit int) ([]*shop.Operation, error) {
	return db.ops(ctx, `SELECT `+opColumns+` FROM order_ops
		WHERE state = 'unknown' OR (state = 'pending' AND updated_at < $1) ORDER BY id LIMIT $2`, ms(cutoff), limit)
}

func (db *DB) ops(ctx context.Context, q string, args ...any) ([]*shop.Operation, error) {
	rows, err := db.q().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "operations")
	}
	defer rows.Close()
	var out []*shop.Operation
	for rows.Next() {
		op, err := scanOp(rows)
		if err != nil {
			return nil, mapErr(err, "operations")
		}
		out = append(out, op)
	}
	return out, mapErr(rows.Err(), "operations")
}
