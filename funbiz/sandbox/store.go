package sandbox

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	_ "modernc.org/sqlite" // pure-Go driver: the binary stays CGO-free
)

// store keeps a durable copy of the state. The sandbox works in memory and
// writes every changed record through to the store in the same critical
// section that changed it, so the database always holds the latest state
// and a restart picks up exactly where the last run stopped: pending
// deliveries go out, the clock offset holds. Nonces, refusals and chaos
// rules are left out on purpose: they are short-lived by nature.
type store interface {
	load() (*snapshot, error)
	save(w *writeSet) error
	reset() error
	close() error
}

type snapshot struct {
	orders     []*order
	payments   []*payment
	deliveries []*delivery
	offset     time.Duration
}

// writeSet is what one change touched.
type writeSet struct {
	orders     []*order
	payments   []*payment
	deliveries []*delivery
	offset     *time.Duration
}

// memStore keeps nothing: the in-memory state is all there is.
type memStore struct{}

func (memStore) load() (*snapshot, error) { return &snapshot{}, nil }
func (memStore) save(*writeSet) error     { return nil }
func (memStore) reset() error             { return nil }
func (memStore) close() error             { return nil }

// sqliteStore writes each record as a JSON document keyed by its identity.
// The sandbox never queries the database, it only reloads it, so
// documents keep the schema to four tables that never need migrating when
// a field is added.
type sqliteStore struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS orders (shop_no TEXT NOT NULL, order_no TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (shop_no, order_no));
CREATE TABLE IF NOT EXISTS payments (pay_token TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`

// openSQLite opens (creating if needed) the database at path. The pragmas
// are in the DSN because they are per connection (see ECOSYSTEM.md).
func openSQLite(path string) (*sqliteStore, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sandbox: opening %s: %w", path, err)
	}
	// Writes happen one at a time under the sandbox lock anyway; one
	// connection avoids any lock contention inside SQLite.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sandbox: preparing database %s: %w", path, err)
	}
	return &sqliteStore{db: db}, nil
}

func (st *sqliteStore) load() (*snapshot, error) {
	snap := &snapshot{}
	if err := loadDocs(st.db, "SELECT doc FROM orders", &snap.orders); err != nil {
		return nil, err
	}
	if err := loadDocs(st.db, "SELECT doc FROM payments", &snap.payments); err != nil {
		return nil, err
	}
	if err := loadDocs(st.db, "SELECT doc FROM deliveries ORDER BY id", &snap.deliveries); err != nil {
		return nil, err
	}
	var off string
	err := st.db.QueryRow("SELECT value FROM meta WHERE key = 'clock_offset'").Scan(&off)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("sandbox: loading clock offset: %w", err)
	default:
		n, err := strconv.ParseInt(off, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sandbox: clock offset %q in the database is not a number", off)
		}
		snap.offset = time.Duration(n)
	}
	return snap, nil
}

func loadDocs[T any](db *sql.DB, query string, out *[]*T) error {
	rows, err := db.Query(query)
	if err != nil {
		return fmt.Errorf("sandbox: loading state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return fmt.Errorf("sandbox: loading state: %w", err)
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return fmt.Errorf("sandbox: a stored record is unreadable: %w", err)
		}
		*out = append(*out, v)
	}
	return rows.Err()
}

func (st *sqliteStore) save(w *writeSet) error {
	tx, err := st.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, o := range w.orders {
		if err := upsert(tx, "INSERT INTO orders (shop_no, order_no, doc) VALUES ($1, $2, $3) ON CONFLICT (shop_no, order_no) DO UPDATE SET doc = excluded.doc", o, o.ShopNo, o.OrderNo); err != nil {
			return err
		}
	}
	for _, p := range w.payments {
		if err := upsert(tx, "INSERT INTO payments (pay_token, doc) VALUES ($1, $2) ON CONFLICT (pay_token) DO UPDATE SET doc = excluded.doc", p, p.PayToken); err != nil {
			return err
		}
	}
	for _, d := range w.deliveries {
		if err := upsert(tx, "INSERT INTO deliveries (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc", d, d.ID); err != nil {
			return err
		}
	}
	if w.offset != nil {
		if _, err := tx.Exec("INSERT INTO meta (key, value) VALUES ('clock_offset', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", strconv.FormatInt(int64(*w.offset), 10)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// upsert writes doc as JSON after the key arguments.
func upsert(tx *sql.Tx, query string, doc any, keys ...any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = tx.Exec(query, append(keys, string(b))...)
	return err
}

func (st *sqliteStore) reset() error {
	_, err := st.db.Exec("DELETE FROM orders; DELETE FROM payments; DELETE FROM deliveries; DELETE FROM meta;")
	return err
}

func (st *sqliteStore) close() error { return st.db.Close() }
