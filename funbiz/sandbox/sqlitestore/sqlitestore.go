// Package sqlitestore keeps a sandbox's state in a SQLite file, so that a
// restarted sandbox picks up where it stopped (sandbox.Options.Store).
// It is the only part of the sandbox that needs a database driver: the
// sandbox itself and funbiztest stay free of one.
package sqlitestore

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	_ "modernc.org/sqlite" // pure-Go driver: the binary stays CGO-free

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// Store is a sandbox.Store in one SQLite file. Each record is the
// sandbox's JSON document keyed by its identity; the sandbox never queries
// the database, only reloads it, so four tables that never need migrating
// hold everything. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	// The upserts Save runs, prepared once: the driver parses a statement
	// given as text every time, and a purchase saves three or four times.
	upsertOrder, upsertPayment, upsertDelivery, upsertClock *sql.Stmt
}

var _ sandbox.Store = (*Store)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS orders (shop_no TEXT NOT NULL, order_no TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (shop_no, order_no));
CREATE TABLE IF NOT EXISTS payments (pay_token TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`

// Open opens (creating if needed) the state file at path.
func Open(path string) (*Store, error) {
	q := url.Values{}
	// The pragmas are in the DSN because they are per connection.
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w", path, err)
	}
	// Writes happen one at a time under the sandbox's lock anyway; one
	// connection avoids any lock contention inside SQLite.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sandbox state %s: %w", path, err)
	}
	st := &Store{db: db}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&st.upsertOrder, "INSERT INTO orders (shop_no, order_no, doc) VALUES ($1, $2, $3) ON CONFLICT (shop_no, order_no) DO UPDATE SET doc = excluded.doc"},
		{&st.upsertPayment, "INSERT INTO payments (pay_token, doc) VALUES ($1, $2) ON CONFLICT (pay_token) DO UPDATE SET doc = excluded.doc"},
		{&st.upsertDelivery, "INSERT INTO deliveries (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"},
		{&st.upsertClock, "INSERT INTO meta (key, value) VALUES ('clock_offset', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
	} {
		if *p.stmt, err = db.Prepare(p.query); err != nil {
			db.Close()
			return nil, fmt.Errorf("sandbox state %s: %w", path, err)
		}
	}
	return st, nil
}

// Load reads everything saved.
func (st *Store) Load() (sandbox.Snapshot, error) {
	var snap sandbox.Snapshot
	err := each(st.db, "SELECT shop_no, order_no, doc FROM orders", func(rows *sql.Rows) error {
		var r sandbox.OrderRecord
		err := rows.Scan(&r.ShopNo, &r.OrderNo, &r.Doc)
		snap.Orders = append(snap.Orders, r)
		return err
	})
	if err == nil {
		err = each(st.db, "SELECT pay_token, doc FROM payments", func(rows *sql.Rows) error {
			var r sandbox.PaymentRecord
			err := rows.Scan(&r.PayToken, &r.Doc)
			snap.Payments = append(snap.Payments, r)
			return err
		})
	}
	if err == nil {
		err = each(st.db, "SELECT id, doc FROM deliveries ORDER BY id", func(rows *sql.Rows) error {
			var r sandbox.DeliveryRecord
			err := rows.Scan(&r.ID, &r.Doc)
			snap.Deliveries = append(snap.Deliveries, r)
			return err
		})
	}
	if err != nil {
		return snap, fmt.Errorf("loading state: %w", err)
	}
	var off string
	err = st.db.QueryRow("SELECT value FROM meta WHERE key = 'clock_offset'").Scan(&off)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return snap, fmt.Errorf("loading the clock offset: %w", err)
	default:
		n, err := strconv.ParseInt(off, 10, 64)
		if err != nil {
			return snap, fmt.Errorf("the clock offset %q in the database is not a number", off)
		}
		snap.ClockOffset = time.Duration(n)
	}
	return snap, nil
}

func each(db *sql.DB, query string, scan func(*sql.Rows) error) error {
	rows, err := db.Query(query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Save writes the changed records in one transaction.
func (st *Store) Save(c sandbox.Changes) error {
	tx, err := st.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, o := range c.Orders {
		if _, err := tx.Stmt(st.upsertOrder).Exec(o.ShopNo, o.OrderNo, string(o.Doc)); err != nil {
			return err
		}
	}
	for _, p := range c.Payments {
		if _, err := tx.Stmt(st.upsertPayment).Exec(p.PayToken, string(p.Doc)); err != nil {
			return err
		}
	}
	for _, d := range c.Deliveries {
		if _, err := tx.Stmt(st.upsertDelivery).Exec(d.ID, string(d.Doc)); err != nil {
			return err
		}
	}
	if c.ClockOffset != nil {
		if _, err := tx.Stmt(st.upsertClock).Exec(strconv.FormatInt(int64(*c.ClockOffset), 10)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Reset deletes everything.
func (st *Store) Reset() error {
	_, err := st.db.Exec("DELETE FROM orders; DELETE FROM payments; DELETE FROM deliveries; DELETE FROM meta;")
	return err
}

// Close closes the database.
func (st *Store) Close() error { return st.db.Close() }
