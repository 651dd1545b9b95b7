package storage

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite's driver parses every statement it is given, every time: on the
// hot paths (a notification, a checkout, an order page) that parsing cost
// more than the work. q() runs a statement through a prepared one instead,
// kept per statement text and prepared on each connection once (database/
// sql keeps a prepared statement per connection, and a transaction reuses
// its connection's). PostgreSQL's driver caches its statements itself, so
// there q() is the pool.

// maxStmts bounds the cache: the shop's statements are a fixed set, and a
// statement past the bound is run without one.
const maxStmts = 256

type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// q is what runs a statement outside a transaction.
func (db *DB) q() querier {
	if db.Dialect != SQLite {
		return db.SQL
	}
	return cached{db: db}
}

// inTx is what runs a statement in tx.
func (db *DB) inTx(tx *sql.Tx) querier {
	if db.Dialect != SQLite {
		return tx
	}
	return cached{db: db, tx: tx}
}

// stmt is the prepared statement of query, or nil when it cannot be had.
func (db *DB) stmt(ctx context.Context, query string) *sql.Stmt {
	s, known := db.cachedStmt(query)
	if known {
		return s
	}
	return db.prepare(ctx, query)
}

// cachedStmt is the statement of query in the cache; known is false when
// it is not there and may be prepared.
func (db *DB) cachedStmt(query string) (s *sql.Stmt, known bool) {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[query]
	return s, ok || len(c.m) >= maxStmts
}

// prepare prepares query on the pool, keeps it in the cache and returns
// it; nil when it cannot be prepared.
func (db *DB) prepare(ctx context.Context, query string) *sql.Stmt {
	s, err := db.SQL.PrepareContext(ctx, query)
	if err != nil {
		// Run unprepared: the statement's own error, if any, comes then.
		return nil
	}
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		s.Close()
		return prev
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = s
	return s
}

// closeStmts closes the cached statements.
func (db *DB) closeStmts() {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// cached runs statements through the cache, in tx when it is set.
type cached struct {
	db *DB
	tx *sql.Tx
}

func (c cached) prepared(ctx context.Context, query string) *sql.Stmt {
	if c.tx == nil {
		return c.db.stmt(ctx, query)
	}
	s, known := c.db.cachedStmt(query)
	if !known {
		// Preparing on the pool would wait for a second connection while
		// the transaction holds one (and on SQLite the write lock): with
		// every connection of the pool in a transaction waiting for that
		// lock, none would come. It is prepared aside, for the next time;
		// this time it runs unprepared.
		go c.db.prepare(context.Background(), query)
		return nil
	}
	if s == nil {
		return nil
	}
	// On the transaction's own connection, where it is prepared once.
	return c.tx.StmtContext(ctx, s)
}

func (c cached) plain() querier {
	if c.tx != nil {
		return c.tx
	}
	return c.db.SQL
}

func (c cached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := c.prepared(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.plain().ExecContext(ctx, query, args...)
}

func (c cached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := c.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return c.plain().QueryContext(ctx, query, args...)
}

func (c cached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := c.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return c.plain().QueryRowContext(ctx, query, args...)
}
