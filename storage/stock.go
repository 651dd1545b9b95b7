package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/sinopay/sinopay/shop"
)

// Stock is counted in the transactions that change it: checkout holds an
// order's items (holdStock, in CreateOrder), an order that expires or
// whose authorisation is cancelled gives them back (in its transition),
// and one paid after it expired takes them again (the bank has the
// money: it is never refused, even if that leaves the stock below zero,
// which the back office then shows). orders.stock_held says whether an
// order holds its items, so none is given back twice.

// holdStock takes o's items from the stock of the counted products: a
// counted product with fewer left than the order wants is sold out, and
// nothing is taken (the caller's transaction rolls back). Each UPDATE
// checks and takes at once, so concurrent checkouts never take more
// than there is: on PostgreSQL the row's lock orders them, on SQLite the
// one writer does.
func holdStock(ctx context.Context, tx querier, o *shop.Order) error {
	for _, it := range o.Items {
		res, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock IS NOT NULL AND stock >= $1`,
			int64(it.Qty), it.ProductID)
		if err != nil {
			return mapErr(err, "hold stock")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		// No row: a product not counted (no row is written, nor locked,
		// for it), too few left, or a line whose product is not in the
		// catalogue (nothing to count).
		var left sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT stock FROM products WHERE id = $1`, it.ProductID).Scan(&left)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !left.Valid) {
			continue
		}
		if err != nil {
			return mapErr(err, "hold stock")
		}
		return shop.Errorf(shop.Invalid, "checkout.sold_out", "product %d: %d left, %d wanted", it.ProductID, left.Int64, it.Qty)
	}
	return nil
}

// moveStock gives o's items back to the stock of the counted products
// (sign +1) or takes them without a check (sign -1), and records whether
// o holds them.
func moveStock(ctx context.Context, tx querier, o *shop.Order, sign int64) error {
	// From the order's lines as stored: the caller's o may have been read
	// without them.
	if _, err := tx.ExecContext(ctx, `UPDATE products
		SET stock = stock + $1 * (SELECT SUM(qty) FROM order_items WHERE order_id = $2 AND product_id = products.id)
		WHERE stock IS NOT NULL AND id IN (SELECT product_id FROM order_items WHERE order_id = $2)`, sign, o.ID); err != nil {
		return mapErr(err, "move stock")
	}
	held := 0
	if sign < 0 {
		held = 1
	}
	_, err := tx.ExecContext(ctx, `UPDATE orders SET stock_held = $1 WHERE id = $2`, held, o.ID)
	o.StockHeld = held == 1
	return mapErr(err, "move stock")
}

// stockOnTransition gives back or takes again o's items when its status
// moves from → to on ev.
func stockOnTransition(ctx context.Context, tx querier, o *shop.Order, from, to shop.Status, ev shop.Event) error {
	switch {
	case o.StockHeld && (to == shop.StatusExpired || ev == shop.EventCancelled):
		return moveStock(ctx, tx, o, +1)
	case !o.StockHeld && from == shop.StatusExpired && to == shop.StatusPaid:
		return moveStock(ctx, tx, o, -1)
	}
	return nil
}
