package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/lock"
)

func openPostgres(ctx context.Context, target string) (*DB, error) {
	where := redactURL(target)
	cfg, err := pgx.ParseConfig(target)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", where, scrub(err, target))
	}
	// Without a bound, a dial to a host that drops packets waits for the
	// kernel to give up, minutes; a request that needs the database should
	// fail in seconds instead (the bank hears 503 and sends again).
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	db := stdlib.OpenDB(*cfg)
	// Every open connection may stay idle: under load, a pool that keeps
	// fewer closes and redials connections all the time, and a PostgreSQL
	// connection costs a server process and a round of authentication.
	// Idle ones go after five minutes.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
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
// user, password or parameters. A URL that does not parse is cut by hand,
// so that the message still names the host.
func redactURL(target string) string {
	if u, err := url.Parse(target); err == nil {
		return "postgres://" + u.Host + u.Path
	}
	rest := target[strings.Index(target, "://")+3:]
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	host, path := rest, ""
	if i := strings.Index(rest, "/"); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	return "postgres://" + host + path
}

// scrub keeps a password out of an error that may quote the URL, whether
// the password is in the user part or a password= parameter, and even when
// the URL does not parse.
type scrubbed struct{ msg string }

func (s scrubbed) Error() string { return s.msg }

func scrub(err error, target string) error {
	msg := err.Error()
	for _, pw := range passwords(target) {
		for _, s := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw)} {
			if s != "" {
				msg = strings.ReplaceAll(msg, s, "xxxxx")
			}
		}
	}
	if msg == err.Error() {
		return err
	}
	return scrubbed{msg}
}

// passwords finds the passwords a database URL holds.
func passwords(target string) []string {
	var out []string
	if u, err := url.Parse(target); err == nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw)
		}
		if pw := u.Query().Get("password"); pw != "" {
			out = append(out, pw)
		}
		return out
	}
	rest := target[strings.Index(target, "://")+3:]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
			out = append(out, pw)
			if dec, err := url.PathUnescape(pw); err == nil {
				out = append(out, dec)
			}
		}
	}
	if _, q, ok := strings.Cut(target, "password="); ok {
		pw, _, _ := strings.Cut(q, "&")
		out = append(out, pw)
	}
	return out
}

func postgresLocker() (lock.SessionLocker, error) {
	return lock.NewPostgresSessionLocker()
}

func isUniquePostgres(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isConnErrPostgres tells errors that say the server could not be reached
// or went away (the request may succeed later) from errors in what was
// asked.
func isConnErrPostgres(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 53: insufficient resources (too
		// many connections, out of memory, disk full); 57P0x: the server
		// is shutting down or starting.
		return len(pe.Code) == 5 && (pe.Code[:2] == "08" || pe.Code[:2] == "53" || pe.Code[:3] == "57P")
	}
	// A connection cut under a query ends in EOF or a reset; one cut in the
	// pool is "conn closed", which pgx reports as safe to retry (nothing
	// was sent); database/sql gives up with ErrBadConn after its retries.
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}
