package multi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// TestDatabaseGoesAway cuts the shop off its database while it runs: the
// bank's notification must be refused with an error (so that the bank
// sends it again), never acknowledged, and the health check must say so;
// when the database is back, the same process takes notifications again
// and confirms them, without a restart.
func TestDatabaseGoesAway(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	px, viaProxy := storagetest.NewPostgresProxy(t, dbURL)
	s := proctest.StartShop(t, proctest.ShopOptions{DB: viaProxy})

	cust, err := proctest.NewCustomer(ctx, s.URL, "outage@example.com")
	if err != nil {
		t.Fatal(err)
	}
	no, err := cust.Checkout(ctx, s.URL, "q_1=1", "C")
	if err != nil {
		t.Fatal(err)
	}

	px.Cut()
	// The bank takes the payment and tries to tell the shop, which cannot
	// record it.
	p, err := s.Sandbox.PayCard(ctx, sandbox.DemoShopNo, no, sandbox.OutcomeSuccess)
	if err != nil {
		t.Fatal(err)
	}
	const bound = 10 * time.Second
	for _, who := range []string{"the bank again", "a retry at once"} {
		start := time.Now()
		code, body, err := callbacks.Notify(ctx, s.URL, p.PayToken)
		took := time.Since(start)
		if err != nil || code != http.StatusServiceUnavailable || body == shopclient.Ack || took > bound {
			t.Fatalf("notification from %s with the database gone: HTTP %d %q %v after %s; want 503 within %s",
				who, code, body, err, took.Round(time.Millisecond), bound)
		}
	}
	if code := healthz(ctx, s.URL); code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz with the database gone: HTTP %d, want 503", code)
	}
	ds, err := s.Sandbox.Deliveries(ctx, sandbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		for _, a := range d.Attempts {
			if a.OK {
				t.Fatalf("the bank's notification was acknowledged with the database gone: %+v", a)
			}
		}
	}

	px.Restore(t)
	var acked time.Duration
	restored := time.Now()
	waitfor.Event(t, 30*time.Second, "the notification acknowledged again", func(ctx context.Context) error {
		code, body, err := callbacks.Notify(ctx, s.URL, p.PayToken)
		if err != nil || code != http.StatusOK || body != shopclient.Ack {
			return fmt.Errorf("HTTP %d %q %v", code, body, err)
		}
		acked = time.Since(restored)
		return nil
	})
	if code := healthz(ctx, s.URL); code != http.StatusOK {
		t.Fatalf("/healthz with the database back: HTTP %d", code)
	}
	if _, exited := s.ExitCode(); exited {
		t.Fatal("the shop exited")
	}

	db, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitfor.Event(t, 30*time.Second, "the payment confirmed", func(ctx context.Context) error {
		o, err := db.OrderByNo(ctx, no)
		if err != nil {
			return err
		}
		tokens, err := db.PayTokens(ctx, no, 10)
		if err != nil {
			return err
		}
		if o.Status != shop.StatusPaid || len(tokens) != 1 || tokens[0].Token != p.PayToken {
			return fmt.Errorf("order %s, %d PayTokens", o.Status, len(tokens))
		}
		return nil
	})
	t.Logf("notifications refused while the database was away; acknowledged %s after it came back", acked.Round(time.Millisecond))
}

func healthz(ctx context.Context, base string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
