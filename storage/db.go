// Package storage keeps the shop's data in SQLite (the embedded default)
// or PostgreSQL, with the same SQL on both and migrations embedded per
// dialect. Errors come back as *shop.Error: NotFound, Conflict (a unique
// key), Unavailable (the database cannot be reached).
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sinopay/sinopay/shop"
)

//go:embed migrations
var migrations embed.FS

// Dialect names a database kind.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database.
type DB struct {
	SQL     *sql.DB
	Dialect Dialect
	// Where names the database for messages: a file path, or a host and
	// database name without the password.
	Where string
}

// Open opens the database named by target: a file path (SQLite, created
// with its folder if missing) or a postgres:// URL. It checks the
// connection and fails with a message naming the database, never a
// password.
func Open(ctx context.Context, target string) (*DB, error) {
	if strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://") {
		return openPostgres(ctx, target)
	}
	return openSQLite(ctx, strings.TrimPrefix(target, "sqlite:"))
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("database: empty SQLite path")
	}
	if path != ":memory:" {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("database %s: %w", path, err)
			}
		}
	}
	// Pragmas are per connection, so they go in the DSN. immediate
	// transactions take the write lock at BEGIN: read-then-write
	// transactions (every status change) then wait on busy_timeout instead
	// of failing with SQLITE_BUSY_SNAPSHOT.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return &DB{SQL: db, Dialect: SQLite, Where: path}, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.SQL.Close() }

func (db *DB) migrationsFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Dialect))
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

func (db *DB) goose() (*goose.Provider, error) {
	d := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.Dialect == Postgres {
		d = goose.DialectPostgres
		locker, err := postgresLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(d, db.SQL, db.migrationsFS(), opts...)
}

// Migrate applies the shop's migrations and the job queue's.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.goose()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations of %s: %w", db.Where, err)
	}
	return db.migrateRiver(ctx)
}

func (db *DB) migrateRiver(ctx context.Context) error {
	var err error
	switch db.Dialect {
	case SQLite:
		var m *rivermigrate.Migrator[*sql.Tx]
		m, err = rivermigrate.New(riversqlite.New(db.SQL), nil)
		if err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	case Postgres:
		err = migrateRiverPostgres(ctx, db)
	}
	if err != nil {
		return fmt.Errorf("job queue migrations of %s: %w", db.Where, err)
	}
	return nil
}

// Pending reports whether migrations are waiting to be applied.
func (db *DB) Pending(ctx context.Context) (bool, error) {
	p, err := db.goose()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("reading the schema version of %s: %w", db.Where, err)
	}
	if pending {
		return true, nil
	}
	return db.riverPending(ctx)
}

func (db *DB) riverPending(ctx context.Context) (bool, error) {
	if db.Dialect != SQLite {
		return riverPendingPostgres(ctx, db)
	}
	m, err := rivermigrate.New(riversqlite.New(db.SQL), nil)
	if err != nil {
		return false, err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		return false, err
	}
	return len(res.Versions) > 0, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Tx runs fn in a transaction and commits it when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err, "commit")
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func unavailable(err error) error {
	return shop.Wrap(shop.Unavailable, "error.unavailable", err, "database unavailable")
}

// mapErr turns driver errors into shop errors: unique violations become
// Conflict, no rows NotFound, connection trouble Unavailable.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var se *shop.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return shop.Wrap(shop.NotFound, "error.not_found", err, "%s: not found", what)
	}
	if isUnique(err) {
		return shop.Wrap(shop.Conflict, "error.conflict", err, "%s: already exists", what)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return shop.Wrap(shop.Unavailable, "error.unavailable", err, "%s: timed out", what)
	}
	if isConnErr(err) {
		return shop.Wrap(shop.Unavailable, "error.unavailable", err, "%s: database unavailable", what)
	}
	return shop.Wrap(shop.Internal, "", err, "%s", what)
}

func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return isUniquePostgres(err)
}

func isConnErr(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return true
		}
		return false
	}
	return isConnErrPostgres(err)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
