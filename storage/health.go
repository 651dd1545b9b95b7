package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
)

// ProbeWrite writes the one row of the health table in a transaction,
// as readiness needs: it fails when a payment could not be recorded
// either (a read-only or full database, a database recreated without the
// shop's tables, on SQLite a file no longer at its path).
func (db *DB) ProbeWrite(ctx context.Context, now time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health (id, checked_at) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, ms(now))
		return mapErr(err, "write probe")
	})
}

// SchemaVersion returns the version of the shop's schema the database is
// at (0 for a database without it, such as one dropped and created again
// empty) and the version this binary's migrations reach. It only reads:
// unlike goose, it neither creates the version table nor waits for a
// migration's lock.
func (db *DB) SchemaVersion(ctx context.Context) (have, want int64, err error) {
	want, err = db.embeddedVersion()
	if err != nil {
		return 0, 0, err
	}
	err = db.q().QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM `+goose.DefaultTablename).Scan(&have)
	if isNoTable(err) {
		return 0, want, nil
	}
	if err != nil {
		return 0, want, mapErr(err, "reading the schema version")
	}
	return have, want, nil
}

// embeddedVersion is the highest version among the embedded migrations
// of the database's dialect, read from their file names (00003_health.sql).
func (db *DB) embeddedVersion() (int64, error) {
	entries, err := fs.ReadDir(db.migrationsFS(), ".")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return 0, fmt.Errorf("migration %s: not named VERSION_name.sql", e.Name())
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// isNoTable tells an error about a table that does not exist.
func isNoTable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "42P01" // undefined_table
	}
	var se *sqlite.Error
	return errors.As(err, &se) && strings.Contains(se.Error(), "no such table")
}
