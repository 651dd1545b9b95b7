package jobqueue

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/sinopay/sinopay/storage"
)

// Schema is the queue's tables in the shop's database, for
// storage.DB.Migrate and Pending, which apply and check them after the
// shop's own.
var Schema storage.Schema = schema{}

type schema struct{}

// lockID serialises the queue's migrations across instances starting at
// once on PostgreSQL; rivermigrate takes no lock of its own.
const lockID = 0x51_70_a7_01

func (schema) Migrate(ctx context.Context, db *storage.DB) error {
	if err := migrate(ctx, db); err != nil {
		return fmt.Errorf("job queue migrations of %s: %w", db.Where, err)
	}
	return nil
}

func migrate(ctx context.Context, db *storage.DB) error {
	m, err := migrator(db)
	if err != nil {
		return err
	}
	if db.Dialect == storage.Postgres {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID)
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

func (schema) Pending(ctx context.Context, db *storage.DB) (bool, error) {
	m, err := migrator(db)
	if err != nil {
		return false, err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		return false, err
	}
	return len(res.Versions) > 0, nil
}

func migrator(db *storage.DB) (*rivermigrate.Migrator[*sql.Tx], error) {
	var d riverdriver.Driver[*sql.Tx]
	if db.Dialect == storage.SQLite {
		d = riversqlite.New(db.SQL)
	} else {
		d = riverdatabasesql.New(db.SQL)
	}
	return rivermigrate.New(d, nil)
}
