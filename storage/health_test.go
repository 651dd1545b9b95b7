package storage_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// A migrated database is at the schema version the binary carries, and
// takes the readiness write.
func TestSchemaVersionAndWriteProbe(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		have, want, err := db.SchemaVersion(ctx)
		if err != nil || have != want || want < 3 {
			t.Fatalf("schema version %d, binary %d, %v; want equal, at least 3 (00003_health)", have, want, err)
		}
		for i := range 2 {
			if err := db.ProbeWrite(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatalf("write probe %d: %v", i, err)
			}
		}
		var rows int
		var at int64
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*), MAX(checked_at) FROM health`).Scan(&rows, &at); err != nil ||
			rows != 1 || at != t0.Add(time.Second).UnixMilli() {
			t.Fatalf("health holds %d rows, last at %d (%v); want one row of the last probe", rows, at, err)
		}
	})
}

// A PostgreSQL database dropped and created again empty still answers
// pings, under the same pool: its schema version is 0 and it takes no
// write, which is how readiness tells it from the shop's database.
func TestPostgresRecreatedEmpty(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	ctx := context.Background()
	db, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
		t.Fatal(err)
	}
	if err := db.ProbeWrite(ctx, t0); err != nil {
		t.Fatal(err)
	}

	recreate(t, dbURL)
	// Connections cut by the drop fail once each before the pool dials
	// the new database.
	var have, want int64
	waitfor.Event(t, 10*time.Second, "the recreated database to answer", func(context.Context) error {
		if err := db.Ping(ctx); err != nil {
			return err
		}
		have, want, err = db.SchemaVersion(ctx)
		return err
	})
	if err != nil || have != 0 || want < 3 {
		t.Fatalf("schema version of the recreated database: %d (binary %d), %v; want 0", have, want, err)
	}
	if err := db.ProbeWrite(ctx, t0); err == nil {
		t.Fatal("the write probe succeeded on a database without the shop's tables")
	}
}

// recreate drops the PostgreSQL database at url, cutting its connections,
// and creates an empty one of the same name.
func recreate(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("pgx", storagetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// A database the shop can read but not write (its files read-only, as
// SQLite opens them when it may not write) fails the write probe, while
// it still answers pings and reads.
func TestWriteProbeReadOnly(t *testing.T) {
	ctx := context.Background()
	rw := storagetest.SQLite(t)
	// Root may write any file whatever its mode, so the read-only file is
	// made the way SQLite makes it when it cannot open one for writing.
	ro, err := sql.Open("sqlite", "file:"+rw.Where+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	db := &storage.DB{SQL: ro, Dialect: storage.SQLite, Where: rw.Where}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if have, want, err := db.SchemaVersion(ctx); err != nil || have != want {
		t.Fatalf("schema version %d, binary %d, %v", have, want, err)
	}
	if err := db.ProbeWrite(ctx, t0); !shop.IsCode(err, shop.Unavailable) {
		t.Fatalf("write probe on a read-only database: %v, want unavailable", err)
	}
}

// logTo is a logger into a buffer, safe for concurrent use.
func logTo() (*slog.Logger, func() string) {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	return slog.New(slog.NewTextHandler(w, nil)), func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// openFile opens a migrated SQLite database at dir/shop.db.
func openFile(t *testing.T, dir string) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(dir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// With its folder removed, an open SQLite database still takes writes,
// into a file that no one will ever open again. CheckFile says so, a
// transaction does not commit, and the log says it once.
func TestSQLiteFileGone(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db := openFile(t, dir)
	log, logs := logTo()
	db.Log = log
	if !db.Created {
		t.Error("a new file is not reported as created")
	}
	customer := newCustomer(t, db, "a@example.com")
	if err := db.CheckFile(); err != nil {
		t.Fatal(err)
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	// The danger itself: a plain write succeeds.
	if _, err := db.SQL.ExecContext(ctx, `UPDATE customers SET email = email WHERE id = $1`, customer); err != nil {
		t.Fatalf("a write after the file went failed (%v): this test no longer shows the danger", err)
	}
	for range 5 {
		if err := db.CheckFile(); !errors.Is(err, storage.ErrFileGone) || !shop.IsCode(err, shop.Unavailable) {
			t.Fatalf("CheckFile with the folder removed: %v", err)
		}
	}
	o := &shop.Order{No: shop.NewOrderNo(t0), CustomerID: customer, PayType: shop.PayATM, Amount: 750,
		Items: []shop.Item{{ProductID: 1, Name: "抹茶狗骨頭", UnitPrice: 750, Qty: 1}}}
	if err := db.CreateOrder(ctx, o, "k", t0); !errors.Is(err, storage.ErrFileGone) {
		t.Fatalf("an order stored into a removed file: %v", err)
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := storage.InsertPayToken(ctx, tx, strings.Repeat("a", 64), "NA0249_001", shop.SourceNotify, t0)
		return err
	}); !errors.Is(err, storage.ErrFileGone) {
		t.Fatalf("a PayToken recorded into a removed file: %v", err)
	}
	if err := db.ProbeWrite(ctx, t0); !errors.Is(err, storage.ErrFileGone) {
		t.Fatalf("write probe: %v", err)
	}
	if n := strings.Count(logs(), "level=ERROR"); n != 1 || !strings.Contains(logs(), filepath.Join(dir, "shop.db")+" is gone") {
		t.Fatalf("%d ERROR lines, want one naming the file:\n%s", n, logs())
	}
}

// A file moved away is gone, and the pool's new connections do not make
// an empty one in its place; moved back, it is the same file again and
// the database takes writes. Another file put in its place (a copy, a
// restored backup) is not the file the database has open, and stays so
// until a restart: connections may have opened it meanwhile.
func TestSQLiteFileMovedAndReplaced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openFile(t, dir)
	log, logs := logTo()
	db.Log = log
	path := filepath.Join(dir, "shop.db")

	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := db.ProbeWrite(ctx, t0); !errors.Is(err, storage.ErrFileGone) {
		t.Fatalf("file moved away: %v", err)
	}
	var conns []*sql.Conn
	for range 8 { // more than the pool keeps idle: some are new
		c, err := db.SQL.Conn(ctx)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file appeared where the database was: %v", err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if err := db.ProbeWrite(ctx, t0); err != nil {
		t.Fatalf("file moved back: %v", err)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.ProbeWrite(ctx, t0); !errors.Is(err, storage.ErrFileReplaced) {
		t.Fatalf("file replaced: %v", err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if err := db.ProbeWrite(ctx, t0); !errors.Is(err, storage.ErrFileReplaced) {
		t.Fatalf("the original put back after a replacement: %v, want still replaced", err)
	}
	out := logs()
	for _, want := range []string{path + " is gone", path + " is back", path + " was replaced"} {
		if strings.Count(out, want) != 1 {
			t.Errorf("the log should say %q once:\n%s", want, out)
		}
	}
}

// A database opened on a file that was there is not reported as
// created, and PostgreSQL never is.
func TestCreatedOnlyForNewFiles(t *testing.T) {
	dir := t.TempDir()
	openFile(t, dir).Close()
	db := openFile(t, dir)
	if db.Created {
		t.Error("an existing file reported as created")
	}
	if err := db.CheckFile(); err != nil {
		t.Error(err)
	}
}
