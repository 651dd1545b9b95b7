package storage

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// MakeAdmin gives email the admin role. A new account is created with
// passwordHash; an existing one keeps its password (passwordHash is then
// unused) and is promoted. created reports which happened.
func (db *DB) MakeAdmin(ctx context.Context, email, passwordHash string, now time.Time) (created bool, err error) {
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE customers SET role = $1 WHERE email = $2`, string(shop.RoleAdmin), email)
		if err != nil {
			return mapErr(err, "promote customer")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		if passwordHash == "" {
			return shop.Errorf(shop.Invalid, "", "no account %s, and no password to create it with", email)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO customers (email, password_hash, role, created_at) VALUES ($1, $2, $3, $4)`,
			email, passwordHash, string(shop.RoleAdmin), ms(now))
		if err != nil {
			return mapErr(err, "create admin")
		}
		created = true
		return nil
	})
	return created, err
}

// OrderFilter selects orders for the back office. Zero fields do not
// filter.
type OrderFilter struct {
	// Status is a shop.Status, FilterAwaitingCapture or FilterToShip.
	Status  string
	PayType shop.PayType
	// From and To bound the creation time: From ≤ created < To.
	From, To time.Time
	// Customer is part of the customer's email, any case.
	Customer string
	// OrderNo is the start of an order number.
	OrderNo string
}

// FilterAwaitingCapture selects paid manual-capture card orders that are
// not captured yet.
const FilterAwaitingCapture = "uncaptured"

// AdminOrder is an order with its customer's email, for the back office.
type AdminOrder struct {
	*shop.Order
	CustomerEmail string
}

// likeEscape makes s a literal inside a LIKE pattern (escape character \).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// where builds the filter's SQL over orders o joined with customers c.
func (f OrderFilter) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch {
	case f.Status == FilterAwaitingCapture:
		conds = append(conds, `o.status = 'S' AND o.pay_type = 'C' AND o.capture = 'manual' AND o.captured_at = 0`)
	case f.Status == FilterToShip:
		conds = append(conds, `o.status = 'S' AND o.shipped_at = 0 AND o.ship_name <> ''`)
	case f.Status != "":
		conds = append(conds, "o.status = "+arg(f.Status))
	}
	if f.PayType != "" {
		conds = append(conds, "o.pay_type = "+arg(string(f.PayType)))
	}
	if !f.From.IsZero() {
		conds = append(conds, "o.created_at >= "+arg(ms(f.From)))
	}
	if !f.To.IsZero() {
		conds = append(conds, "o.created_at < "+arg(ms(f.To)))
	}
	if c := strings.ToLower(strings.TrimSpace(f.Customer)); c != "" {
		conds = append(conds, "c.email LIKE "+arg("%"+likeEscape(c)+"%")+` ESCAPE '\'`)
	}
	if n := strings.TrimSpace(f.OrderNo); n != "" {
		conds = append(conds, "o.order_no LIKE "+arg(likeEscape(n)+"%")+` ESCAPE '\'`)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// AdminOrders lists a page of the orders that f selects, newest first,
// and how many it selects in all.
func (db *DB) AdminOrders(ctx context.Context, f OrderFilter, limit, offset int) ([]AdminOrder, int, error) {
	where, args := f.where()
	from := ` FROM orders o JOIN customers c ON c.id = o.customer_id`
	var total int
	if err := db.q().QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&total); err != nil {
		return nil, 0, mapErr(err, "count orders")
	}
	n := len(args)
	cols := "o." + strings.ReplaceAll(strings.Join(strings.Fields(orderColumns), " "), ", ", ", o.")
	q := `SELECT ` + cols + `, c.email` + from + where +
		` ORDER BY o.id DESC LIMIT $` + strconv.Itoa(n+1) + ` OFFSET $` + strconv.Itoa(n+2)
	rows, err := db.q().QueryContext(ctx, q, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, mapErr(err, "orders")
	}
	defer rows.Close()
	var out []AdminOrder
	for rows.Next() {
		var email string
		o, err := scanOrder(scanPlus{rows, &email})
		if err != nil {
			return nil, 0, mapErr(err, "orders")
		}
		out = append(out, AdminOrder{Order: o, CustomerEmail: email})
	}
	return out, total, mapErr(rows.Err(), "orders")
}

// scanPlus scans a row into the destinations asked for, then extra.
type scanPlus struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (s scanPlus) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

// OrderCounts counts the orders in each status, and the paid ones still
// awaiting capture (under FilterAwaitingCapture).
func (db *DB) OrderCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT status, COUNT(*) FROM orders GROUP BY status
		UNION ALL SELECT 'uncaptured', COUNT(*) FROM orders WHERE status = 'S' AND pay_type = 'C' AND capture = 'manual' AND captured_at = 0`)
	if err != nil {
		return nil, mapErr(err, "count orders")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, mapErr(err, "count orders")
		}
		out[k] = n
	}
	return out, mapErr(rows.Err(), "count orders")
}

// PayTokenLog lists a page of the PayToken log, newest first, and the
// number of rows in all. q, when not empty, is an order number or the
// start of a PayToken.
func (db *DB) PayTokenLog(ctx context.Context, q string, limit, offset int) ([]*shop.Delivery, int, error) {
	where, args := "", []any{}
	if q = strings.TrimSpace(q); q != "" {
		where, args = ` WHERE order_no = $1 OR pay_token LIKE $2 ESCAPE '\'`, []any{q, likeEscape(q) + "%"}
	}
	var total int
	if err := db.q().QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens`+where, args...).Scan(&total); err != nil {
		return nil, 0, mapErr(err, "count PayTokens")
	}
	n := len(args)
	list, err := db.deliveries(ctx, "PayTokens", `SELECT `+tokenColumns+` FROM pay_tokens`+where+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// RemoveAdmin takes the admin role from email's account, which stays a
// customer with its password, orders and sessions. removed is false when
// the account was not an admin; an email with no account is NotFound.
func (db *DB) RemoveAdmin(ctx context.Context, email string) (removed bool, err error) {
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		var role string
		if err := tx.QueryRowContext(ctx, `SELECT role FROM customers WHERE email = $1`, email).Scan(&role); err != nil {
			return mapErr(err, "customer")
		}
		if shop.Role(role) != shop.RoleAdmin {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET role = $1 WHERE email = $2`, string(shop.RoleCustomer), email); err != nil {
			return mapErr(err, "remove admin")
		}
		removed = true
		return nil
	})
	return removed, err
}

// Admins lists the accounts with the admin role, by email.
func (db *DB) Admins(ctx context.Context) ([]*shop.Customer, error) {
	rows, err := db.q().QueryContext(ctx, `SELECT id, email, role, created_at FROM customers WHERE role = $1 ORDER BY email`, string(shop.RoleAdmin))
	if err != nil {
		return nil, mapErr(err, "admins")
	}
	defer rows.Close()
	var out []*shop.Customer
	for rows.Next() {
		var c shop.Customer
		var created int64
		if err := rows.Scan(&c.ID, &c.Email, &c.Role, &created); err != nil {
			return nil, mapErr(err, "admins")
		}
		c.CreatedAt = fromMS(created)
		out = append(out, &c)
	}
	return out, mapErr(rows.Err(), "admins")
}
