package storage

import (
	"context"
	"database/sql"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// MarkShipped records that a paid order's goods left with carrier under
// tracking, with a line in its timeline and the customer's message, in
// one transaction. An order that is not paid, or is shipped already, is
// a Conflict (admin.ship.not_shippable) and changes nothing.
func (db *DB) MarkShipped(ctx context.Context, orderID int64, carrier, tracking, by string, now time.Time) error {
	return db.Tx(ctx, func(sqltx *sql.Tx) error {
		tx := db.inTx(sqltx)
		res, err := tx.ExecContext(ctx, `UPDATE orders SET shipped_at = $1, carrier = $2, tracking_no = $3, updated_at = $1
			WHERE id = $4 AND status = 'S' AND shipped_at = 0`, ms(now), carrier, tracking, orderID)
		if err != nil {
			return mapErr(err, "mark shipped")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return shop.Errorf(shop.Conflict, "admin.ship.not_shippable", "order %d is not paid, or is shipped already", orderID)
		}
		return insertEvent(ctx, tx, orderID, shop.StatusPaid, shop.StatusPaid, shop.EventShipped,
			EventMeta{Source: shop.SourceAdmin, Note: carrier + " " + tracking + " (" + by + ")"}, now)
	})
}

// UnmarkShipped takes back a shipment marked by mistake, with a line in
// the order's timeline; an order not marked shipped is a Conflict
// (admin.ship.not_shipped).
func (db *DB) UnmarkShipped(ctx context.Context, orderID int64, by string, now time.Time) error {
	return db.Tx(ctx, func(sqltx *sql.Tx) error {
		tx := db.inTx(sqltx)
		var status, carrier, tracking string
		err := tx.QueryRowContext(ctx, `SELECT status, carrier, tracking_no FROM orders WHERE id = $1 AND shipped_at <> 0`, orderID).
			Scan(&status, &carrier, &tracking)
		if err == sql.ErrNoRows {
			return shop.Errorf(shop.Conflict, "admin.ship.not_shipped", "order %d is not marked shipped", orderID)
		}
		if err != nil {
			return mapErr(err, "unmark shipped")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET shipped_at = 0, carrier = '', tracking_no = '', updated_at = $1 WHERE id = $2`,
			ms(now), orderID); err != nil {
			return mapErr(err, "unmark shipped")
		}
		st := shop.Status(status)
		return insertEvent(ctx, tx, orderID, st, st, shop.EventUnshipped,
			EventMeta{Source: shop.SourceAdmin, Note: carrier + " " + tracking + " (" + by + ")"}, now)
	})
}

// FilterToShip selects paid orders with a delivery address that have not
// been shipped.
const FilterToShip = "to_ship"
