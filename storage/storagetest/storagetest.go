// Package storagetest opens throwaway databases for tests: a fresh SQLite
// file, and, when PostgreSQL is reachable, a fresh PostgreSQL database,
// both with the shop's tables and the job queue's.
// With CI set, an unreachable PostgreSQL fails the test instead of
// skipping it.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/storage"
)

// AdminURL is the PostgreSQL server tests create their databases on;
// SINOPAY_TEST_POSTGRES overrides it.
func AdminURL() string {
	if u := os.Getenv("SINOPAY_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// SQLite opens a migrated SQLite database in the test's temp folder.
func SQLite(t testing.TB) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
		t.Fatal(err)
	}
	return db
}

// Postgres opens a migrated, freshly created PostgreSQL database that is
// dropped after the test. Without a server it skips, unless CI is set.
func Postgres(t testing.TB) *storage.DB {
	t.Helper()
	url := PostgresURL(t)
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL creates an empty database and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL is required in CI but unreachable at %s: %v", AdminURL(), err)
		}
		t.Skipf("PostgreSQL unreachable (%v); set CI=1 to make this a failure", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "sinopay_t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", AdminURL())
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Each runs fn once per database kind, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *storage.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
