package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

func openPostgres(ctx context.Context, target string) (*DB, error) {
	where := redactURL(target)
	db, err := sql.Open("pgx", target)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", where, scrub(err, target))
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: cannot connect: %w", where, scrub(err, target))
	}
	return &DB{SQL: db, Dialect: Postgres, Where: where}, nil
}

// redactURL names a PostgreSQL database by host, port and name, without
// user or password.
func redactURL(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return "postgres://" + u.Host + u.Path
}

// scrub keeps a password out of an error that may quote the URL.
type scrubbed struct{ msg string }

func (s scrubbed) Error() string { return s.msg }

func scrub(err error, target string) error {
	u, perr := url.Parse(target)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	msg := err.Error()
	if ok && pw != "" {
		for _, s := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw)} {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
		return scrubbed{msg}
	}
	return err
}

func postgresLocker() (lock.SessionLocker, error) {
	return lock.NewPostgresSessionLocker()
}

// riverLockID serialises River's migrations across instances starting at
// once; rivermigrate takes no lock of its own.
const riverLockID = 0x51_70_a7_01

func migrateRiverPostgres(ctx context.Context, db *DB) error {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, riverLockID); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverLockID)
	m, err := rivermigrate.New(riverdatabasesql.New(db.SQL), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

func riverPendingPostgres(ctx context.Context, db *DB) (bool, error) {
	m, err := rivermigrate.New(riverdatabasesql.New(db.SQL), nil)
	if err != nil {
		return false, err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		return false, err
	}
	return len(res.Versions) > 0, nil
}

func isUniquePostgres(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func isConnErrPostgres(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P0x: the server is shutting down.
		return len(pe.Code) == 5 && (pe.Code[:2] == "08" || pe.Code[:3] == "57P")
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, sql.ErrConnDone) || pgconn.Timeout(err)
}
