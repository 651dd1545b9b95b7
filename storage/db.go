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
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sinopay/sinopay/internal/telemetry"
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
	// Created tells that Open made a new SQLite file: there was none at
	// the path.
	Created bool
	// Log receives what the database notices by itself: its SQLite file
	// gone or replaced (CheckFile). Set it before use; nil discards.
	Log *slog.Logger

	file       *fileWatch // the SQLite file opened; nil for PostgreSQL and :memory:
	groupState            // RecordPayToken's writer on SQLite (record.go)
	stmts      stmtCache  // prepared statements on SQLite (stmt.go)
	// writer is Tx's turn to write on SQLite, taken before BEGIN: one
	// writer at a time is all SQLite allows, and waiting here is first
	// come, first served, where SQLite's busy handler polls with sleeps
	// and lets a late comer in before one that has waited for seconds
	// (100 buyers at once left 17 without an answer after its 10 s).
	// nil on PostgreSQL.
	writer chan struct{}
}

// IsURL reports whether target names a PostgreSQL database (a
// postgres:// URL) rather than a SQLite file.
func IsURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Open opens the database named by target: a file path (SQLite, created
// with its folder if missing) or a postgres:// URL. It checks the
// connection and fails with a message naming the database, never a
// password.
func Open(ctx context.Context, target string) (*DB, error) {
	if IsURL(target) {
		return openPostgres(ctx, target)
	}
	return openSQLite(ctx, strings.TrimPrefix(target, "sqlite:"))
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("database: empty SQLite path")
	}
	created := false
	if path != ":memory:" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			created = true
		}
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
	if created {
		// One connection creates the file; the pool's connections only
		// open it (mode=rw), so that a file removed under a running shop
		// stays gone rather than coming back empty with the next
		// connection the pool opens.
		if err := createSQLite(ctx, "file:"+path+"?"+q.Encode()); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	if path != ":memory:" {
		q.Set("mode", "rw")
	}
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	// As many kept idle as may be open: a connection closed after a busy
	// moment is opened again at the next (its pragmas run again, its
	// prepared statements are lost).
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	d := &DB{SQL: db, Dialect: SQLite, Where: path, Created: created, writer: make(chan struct{}, 1)}
	if path != ":memory:" {
		if d.file, err = watchFile(path); err != nil {
			db.Close()
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	return d, nil
}

// createSQLite makes a new SQLite file with one connection of dsn.
func createSQLite(ctx context.Context, dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

// Close closes the database.
func (db *DB) Close() error {
	db.stopGroup()
	db.closeStmts()
	return db.SQL.Close()
}

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

// Schema is tables that another package keeps in the shop's database
// with migrations of its own: the job queue's. Migrate applies them after
// the shop's, and Pending asks about both, so that one command migrates
// the database and one check tells whether it is behind.
type Schema interface {
	// Migrate applies the schema's migrations. It serialises itself
	// against other instances migrating at the same time.
	Migrate(ctx context.Context, db *DB) error
	// Pending reports whether some of its migrations are not applied.
	Pending(ctx context.Context, db *DB) (bool, error)
}

// Migrate applies the shop's migrations, then each of more, in order
// (sinopay passes the job queue's, jobqueue.Schema).
func (db *DB) Migrate(ctx context.Context, more ...Schema) error {
	p, err := db.goose()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations of %s: %w", db.Where, err)
	}
	for _, m := range more {
		if err := m.Migrate(ctx, db); err != nil {
			return err
		}
	}
	return nil
}

// Fresh reports whether none of the shop's migrations is applied yet: a
// database just made, with no tables of the shop.
func (db *DB) Fresh(ctx context.Context) (bool, error) {
	p, err := db.goose()
	if err != nil {
		return false, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("reading the schema version of %s: %w", db.Where, err)
	}
	return v == 0, nil
}

// Pending reports whether migrations, the shop's or those of more, are
// waiting to be applied.
func (db *DB) Pending(ctx context.Context, more ...Schema) (bool, error) {
	p, err := db.goose()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("reading the schema version of %s: %w", db.Where, err)
	}
	for _, m := range more {
		if pending {
			break
		}
		if pending, err = m.Pending(ctx, db); err != nil {
			return false, err
		}
	}
	return pending, nil
}

// Ping checks that the database answers.
//
// While the SQLite file is not at its path (CheckFile), a ping that needs
// a new connection fails (a connection opens the path), yet the process
// and the file it has open are alive: the liveness check must stay up
// then (README), and readiness says what is wrong. So a failed ping with
// the file away is not a failure here.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		if db.file != nil && db.CheckFile() != nil {
			return nil
		}
		return unavailable(err)
	}
	return nil
}

// Tx runs fn in a transaction and commits it when fn returns nil. On
// SQLite it does not commit into a file that is no longer at its path
// (CheckFile): it rolls back and fails with Unavailable, so that nothing
// is acknowledged into a file that a restart would never open.
//
// Each transaction is a span (db.transaction), a child of ctx's span; it
// records the database system and whether the transaction committed,
// never a statement or its arguments.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	ctx, span := telemetry.Tracer().Start(ctx, "db.transaction", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", db.systemName())))
	defer func() {
		if err != nil {
			span.SetStatus(codes.Error, "rolled back")
		}
		span.SetAttributes(attribute.Bool("db.committed", err == nil))
		span.End()
	}()
	if db.writer != nil {
		select {
		case db.writer <- struct{}{}:
			defer func() { <-db.writer }()
		case <-ctx.Done():
			return unavailable(fmt.Errorf("waiting for the turn to write: %w", ctx.Err()))
		}
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := db.CheckFile(); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err, "commit")
	}
	return nil
}

// systemName is the database's name in OpenTelemetry's terms.
func (db *DB) systemName() string {
	if db.Dialect == SQLite {
		return "sqlite"
	}
	return "postgresql"
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

// MapErr turns a driver error into a shop error, as every method of DB
// does: a unique violation becomes Conflict, no rows NotFound, connection
// trouble Unavailable, anything else Internal; what names the work in the
// message. It is for the packages that keep tables of their own in the
// shop's database (the job queue).
func MapErr(err error, what string) error { return mapErr(err, what) }

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
