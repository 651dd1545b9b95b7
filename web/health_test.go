package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// notify posts the bank's notification of token and returns the status
// and body.
func (r *rig) notify(token string) (int, string) {
	r.t.Helper()
	resp, err := r.srv.Client().Post(r.srv.URL+"/funbiz/notify", "application/json",
		strings.NewReader(`{"ShopNo":"`+r.bank.ShopNo+`","PayToken":"`+token+`"}`))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitReady polls /readyz until it answers status with body, for the
// second its write check is cached.
func (r *rig) waitReady(status int, body string) {
	r.t.Helper()
	waitfor.Event(r.t, 10*time.Second, fmt.Sprintf("/readyz %d %q", status, body), func(context.Context) error {
		if p := r.browser().get("/readyz"); p.Status != status || p.Body != body {
			return fmt.Errorf("%d %q", p.Status, p.Body)
		}
		return nil
	})
}

// While the SQLite file is not at its path, the shop records no payment:
// the bank's notification and the card return are refused with 503 and
// never acknowledged, a checkout makes no order, readiness says why, and
// the metrics gauge is 0; liveness stays up. A file moved away and back
// is taken again by the same process; another file put in its place is
// refused until a restart.
func TestDatabaseFileNotInPlace(t *testing.T) {
	r := newRig(t)
	r.db.Log = r.web.log
	b := r.signup("file@example.com")
	form := b.checkoutForm(map[string]int{"bone-matcha": 1})
	form.Set("pay_type", string(shop.PayATM))
	r.waitReady(http.StatusOK, "database: ok\nbank: ok\n")
	path := r.db.Where
	var sent int
	token := func() string { sent++; return fmt.Sprintf("%064x", sent) }
	refused := func(state, say string) {
		t.Helper()
		tok := token()
		if code, body := r.notify(tok); code != http.StatusServiceUnavailable || strings.Contains(body, `"Status":"S"`) {
			t.Errorf("%s: notification answered %d %q, want 503", state, code, body)
		}
		if p := r.bankReturn(tok); p.Status != http.StatusServiceUnavailable {
			t.Errorf("%s: card return answered %d, want 503", state, p.Status)
		}
		if p := b.post("/checkout", form); p.Status == http.StatusSeeOther {
			t.Errorf("%s: checkout made an order: %s", state, p.Location)
		}
		r.waitReady(http.StatusServiceUnavailable, "database: "+say+"\nbank: ok\n")
		if p := r.browser().get("/healthz"); p.Status != http.StatusOK {
			t.Errorf("%s: healthz %d: liveness does not look at the file", state, p.Status)
		}
		if !strings.Contains(scrape(t, r.web.metrics), "\nsinopay_database_file_ok 0\n") {
			t.Errorf("%s: the gauge does not say the file is not the one open", state)
		}
	}
	move := func(from, to string) {
		t.Helper()
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
	}

	move(path, path+".away")
	refused("moved away", "file removed")
	move(path+".away", path)
	r.waitReady(http.StatusOK, "database: ok\nbank: ok\n")
	if code, body := r.notify(token()); code != http.StatusOK || body != `{"Status":"S"}` {
		t.Errorf("moved back: notification answered %d %q", code, body)
	}
	if !strings.Contains(scrape(t, r.web.metrics), "\nsinopay_database_file_ok 1\n") {
		t.Error("moved back: the gauge does not say the file is the one open")
	}

	// A copy of the file, as a restored backup would be: the same data,
	// another file.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	move(path, path+".away")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	refused("replaced", "file replaced")
	move(path+".away", path)
	refused("replaced, then the original put back", "file replaced")

	// Loudly, once per change of state; the callbacks refused meanwhile
	// add nothing at ERROR.
	logs := r.logs.String()
	for _, want := range []string{path + " is gone", path + " is back", path + " was replaced"} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("the log says %q %d times, want once", want, n)
		}
	}
	for _, bad := range []string{"notification not recorded", "card return not recorded"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the log says %q for a refused callback, which the database's line already said", bad)
		}
	}
	var n int
	if err := r.db.SQL.QueryRow(`SELECT COUNT(*) FROM pay_tokens`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d PayTokens recorded (%v), want the one sent while the file was in place", n, err)
	}
	if err := r.db.SQL.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d orders (%v), want none", n, err)
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// A database the shop can read but not write is not ready, though it
// answers pings and the shop stays live. Root writes any file whatever
// its mode, so the files are opened read-only, as SQLite opens them when
// it may not write them.
func TestReadyzReadOnlyDatabase(t *testing.T) {
	r := newRig(t)
	ro, err := sql.Open("sqlite", "file:"+r.db.Where+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	srv, err := New(Config{DB: &storage.DB{SQL: ro, Dialect: storage.SQLite, Where: r.db.Where},
		Pay: r.pay, Jobs: r.pay.Queue(), Recon: r.recon, BaseURL: r.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || body != "database: not writable\nbank: ok\n" {
		t.Fatalf("readyz on a read-only database: %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz on a read-only database: %d", code)
	}
}
