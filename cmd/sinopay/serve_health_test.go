package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// get fetches base+path and returns the status and body; 0 when it
// could not.
func get(ctx context.Context, base, path string) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds, failing the test with what it last
// said after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	waitfor.Event(t, limit, what, func(context.Context) error {
		if ok, said := cond(); !ok {
			return errors.New(said)
		}
		return nil
	})
}

// waitReadyz waits until /readyz answers status with a body holding want.
func waitReadyz(t *testing.T, ctx context.Context, shopURL string, status int, want string) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("/readyz %d with %q", status, want), func() (bool, string) {
		code, body := get(ctx, shopURL, "/readyz")
		return code == status && strings.Contains(body, want), fmt.Sprintf("%d %q", code, body)
	})
}

// The SQLite database's folder is removed while the shop runs and
// customers pay. The open database would still take every write, into
// files no one will open again; the shop must acknowledge none of the
// bank's notifications (the bank never sends again what was
// acknowledged), say it is not ready, and say so in its log, once. A
// restart on the explicit --db says that it creates a new database, and
// since nothing was acknowledged the bank still has every payment to
// tell it.
func TestServeDatabaseFolderRemoved(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bank := proctest.StartSandbox(t, proctest.SandboxOptions{})
	dir := filepath.Join(t.TempDir(), "data")
	dbPath := filepath.Join(dir, "shop.db")
	shop := proctest.StartShop(t, proctest.ShopOptions{DB: dbPath, Bank: bank})
	created := "creating a new database at " + dbPath
	if !strings.Contains(shop.Output(), created) {
		t.Errorf("an explicit --db with no file there: no %q in the output:\n%s", created, shop.Output())
	}
	buyer, err := proctest.NewCustomer(ctx, shop.URL, "gone@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var orders []string
	for range 3 {
		no, err := buyer.Checkout(ctx, shop.URL, "q_1=1", "C")
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, no)
	}
	waitReadyz(t, ctx, shop.URL, http.StatusOK, "database: ok\nbank: ok\n")

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	// The bank takes the payments and notifies the shop.
	paid := map[string]bool{}
	for _, no := range orders {
		p, err := bank.PayCard(ctx, proctest.DemoShopNo, no, sandbox.OutcomeSuccess)
		if err != nil {
			t.Fatal(err)
		}
		paid[p.PayToken] = true
	}
	// And thirty more notifications, straight.
	notifier := shopclient.NewBank(proctest.DemoShopNo, nil)
	acked := 0
	for i := range 30 {
		code, body, err := notifier.Notify(ctx, shop.URL, fmt.Sprintf("%064x", i+1))
		if err != nil {
			t.Fatal(err)
		}
		if code != http.StatusServiceUnavailable || body == shopclient.Ack {
			acked++
			t.Errorf("notification %d with the database's folder removed: HTTP %d %q, want 503", i+1, code, body)
		}
	}
	waitReadyz(t, ctx, shop.URL, http.StatusServiceUnavailable, "database: file removed\n")
	if code, _ := get(ctx, shop.URL, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d: liveness stays up, so that a supervisor does not restart onto an empty database", code)
	}
	waitFor(t, 30*time.Second, "the bank tried every payment's notification", func() (bool, string) {
		ds, err := bank.Deliveries(ctx, sandbox.Filter{})
		if err != nil {
			return false, err.Error()
		}
		tried := 0
		for _, d := range ds {
			if paid[d.PayToken] && len(d.Attempts) > 0 {
				tried++
			}
		}
		return tried == len(paid), fmt.Sprintf("%d of %d tried", tried, len(paid))
	})
	ds, err := bank.Deliveries(ctx, sandbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		for _, a := range d.Attempts {
			if a.OK || a.HTTPStatus != http.StatusServiceUnavailable {
				acked++
				t.Errorf("%s: the shop answered the bank %d (ok=%v) with its database's folder removed", d.OrderNo, a.HTTPStatus, a.OK)
			}
		}
	}
	if n := strings.Count(shop.Output(), " is gone: refusing payments"); n != 1 {
		t.Errorf("the log says the database is gone %d times, want once:\n%s", n, shop.Output())
	}
	t.Logf("folder removed: %d notifications acknowledged of %d", acked, 30+len(paid))

	if err := shop.Stop(); err != nil {
		t.Fatal(err)
	}
	shop = proctest.StartShop(t, shop.Options)
	if !strings.Contains(shop.Output(), created) {
		t.Errorf("a restart on a removed database does not say it creates a new one:\n%s", shop.Output())
	}
	// Nothing was acknowledged, so the bank sends every payment again
	// (ten minutes later by its clock), and the shop now records it.
	if _, err := bank.Advance(ctx, sandbox.DefaultNotifyInterval); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "every payment's notification acknowledged after the restart", func() (bool, string) {
		ds, err := bank.Deliveries(ctx, sandbox.Filter{})
		if err != nil {
			return false, err.Error()
		}
		done := 0
		for _, d := range ds {
			if paid[d.PayToken] && d.State == "delivered" {
				done++
			}
		}
		return done == len(paid), fmt.Sprintf("%d of %d delivered", done, len(paid))
	})
}

// A PostgreSQL database dropped and created again empty under a running
// shop still answers pings, and so stays live; it is not ready, and
// /readyz names the schema version it found.
func TestServeDatabaseRecreatedEmpty(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dbURL := storagetest.PostgresURL(t)
	shop := proctest.StartShop(t, proctest.ShopOptions{DB: dbURL})
	waitReadyz(t, ctx, shop.URL, http.StatusOK, "database: ok\nbank: ok\n")

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
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	waitReadyz(t, ctx, shop.URL, http.StatusServiceUnavailable, "database: schema version 0, this binary needs ")
	code, body, err := shopclient.NewBank(proctest.DemoShopNo, nil).Notify(ctx, shop.URL, strings.Repeat("e", 64))
	if err != nil || code != http.StatusServiceUnavailable || body == shopclient.Ack {
		t.Errorf("a notification into the recreated database: HTTP %d %q %v, want 503", code, body, err)
	}
	if code, _ := get(ctx, shop.URL, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d: the process and its database both answer", code)
	}
}

// Only a database named on purpose (--db or SINOPAY_DATABASE_URL) that is
// not there is announced as new: it is most likely a wrong path. The
// default ./data path is created silently, as on a first run.
func TestServeSaysNewDatabase(t *testing.T) {
	serveCleanEnv(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		db   string // --db
		env  string // SINOPAY_DATABASE_URL
		says bool
	}{
		{"new --db", filepath.Join(dir, "a", "shop.db"), "", true},
		{"existing --db", filepath.Join(dir, "a", "shop.db"), "", false},
		{"new SINOPAY_DATABASE_URL", "", filepath.Join(dir, "b.db"), true},
		{"default", "", "", false},
	}
	for _, c := range cases {
		args := serveArgs(t)
		if c.db != "" {
			args = append(args, "--db", c.db)
		}
		t.Setenv("SINOPAY_DATABASE_URL", c.env)
		stdout, stderr := &syncBuffer{}, &syncBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() { done <- run(ctx, args, nil, stdout, stderr) }()
		waitFor(t, 30*time.Second, c.name+": serve answering", func() (bool, string) {
			select {
			case code := <-done:
				t.Fatalf("%s: serve exited with %d:\n%s%s", c.name, code, stdout.String(), stderr.String())
			default:
			}
			code, _ := get(context.Background(), "http://"+args[2], "/healthz")
			return code == http.StatusOK, stdout.String()
		})
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("%s: serve exited with %d:\n%s", c.name, code, stderr.String())
		}
		if says := strings.Contains(stdout.String(), "creating a new database at "); says != c.says {
			t.Errorf("%s: says it creates a new database: %v, want %v:\n%s", c.name, says, c.says, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join("data", "sinopay.db")); err != nil {
		t.Errorf("the default database was not made: %v", err)
	}
}
