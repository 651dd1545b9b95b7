package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// bankCounter is a proxy between the shop and the bank that counts the
// calls of each service and when each OrderPayQuery went out.
type bankCounter struct {
	srv *httptest.Server

	mu       sync.Mutex
	services map[string]int
	queries  []time.Time
}

func newBankCounter(t *testing.T, bankURL string) *bankCounter {
	t.Helper()
	target, err := url.Parse(bankURL)
	mustT(t, err)
	c := &bankCounter{services: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		// The envelope names its service in clear; the message stays sealed.
		var env struct{ APIService string }
		json.Unmarshal(body, &env)
		name := env.APIService
		if strings.HasSuffix(r.URL.Path, "/Nonce") {
			name = "Nonce"
		}
		c.mu.Lock()
		c.services[name]++
		if name == "OrderPayQuery" {
			c.queries = append(c.queries, time.Now())
		}
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// payQueries counts the OrderPayQuery calls in [from, to).
func (c *bankCounter) payQueries(from, to time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.queries {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// The limit on confirmations the shop under test runs with, set
// explicitly so the bound checked here does not follow the defaults.
const (
	confirmRate  = 20 // per second
	confirmBurst = 40
)

// Forged PayTokens posted by the thousand to both callbacks change no
// order, and turn into at most the rate limit's worth of bank calls; the
// callbacks are answered at once all the same (the notification is
// recorded and acknowledged, or answered 503 once the backlog of unknown
// senders' is full; the return goes to the waiting page).
func TestForgedTokens(t *testing.T) {
	t.Parallel()
	bank := startSandbox(t)
	counter := newBankCounter(t, bank.URL())
	// The shop with a known confirmation limit, calling the bank
	// through the counter.
	w := &world{t: t, bank: bank.ControlClient}
	target := dbTarget(t, "sqlite")
	w.opts = proctest.ShopOptions{Name: "shop (forged)", DB: target,
		Args: []string{"--sandbox-addr", "off"},
		Env: []string{"SINOPAY_SWEEP_EVERY=1m", "SINOPAY_CHECK_AFTER=10m",
			fmt.Sprintf("SINOPAY_CONFIRM_RATE=%d", confirmRate), fmt.Sprintf("SINOPAY_CONFIRM_BURST=%d", confirmBurst),
			"SINOPAY_FUNBIZ_URL=" + counter.srv.URL + "/QPay.WebAPI/api",
			"SINOPAY_SHOP_NO=" + proctest.DemoShopNo, "SINOPAY_HASH=" + proctest.DemoHash}}
	w.start(nil)
	w.opts = w.shop.Options
	w.openDB(target)
	ctx := context.Background()

	// Orders that must not move: one paid, one waiting, of two customers.
	cs := w.newCustomers("victim", 2)
	paid, err := w.order(ctx, cs[0], "C")
	mustT(t, err)
	tok, err := w.pay(ctx, paid)
	mustT(t, err)
	_, _, err = callbacks.Return(ctx, w.shop.URL, tok)
	mustT(t, err)
	waiting, err := w.order(ctx, cs[1], "A")
	mustT(t, err)
	before := w.converge(10 * time.Second)
	// The limiter needs no time to fill up again before the flood: its
	// bucket never holds more than the burst, so the bound below holds
	// whatever the setup left in it (a turn or two, back within
	// 2/confirmRate anyway).
	events := w.eventCount(ctx)

	n := *forgedTokens
	var next, acked, deferred, waited atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 32 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				tok := forgedToken()
				if i%2 == 0 {
					// Acknowledged once recorded, or answered 503 once the
					// backlog of unknown senders' notifications is full.
					code, body, err := callbacks.Notify(ctx, w.shop.URL, tok)
					switch {
					case err == nil && code == http.StatusOK && body == shopclient.Ack:
						acked.Add(1)
					case err == nil && code == http.StatusServiceUnavailable:
						deferred.Add(1)
					default:
						t.Errorf("forged notification: %d %q %v", code, body, err)
						return
					}
					continue
				}
				code, loc, err := callbacks.Return(ctx, w.shop.URL, tok)
				if err != nil || code != http.StatusSeeOther || !strings.HasPrefix(loc, "/payments/") {
					t.Errorf("forged return: %d %q %v", code, loc, err)
					return
				}
				waited.Add(1)
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	// The queue goes on confirming what the flood left after it, still at
	// the limited rate: count the bank's calls until it has confirmed two
	// seconds' worth more (each forged PayToken is one OrderPayQuery).
	done, recorded, err := w.processed(ctx)
	mustT(t, err)
	want := min(done+2*confirmRate, recorded)
	waitfor.Event(t, time.Minute, "the queue confirming after the flood", func(ctx context.Context) error {
		n, _, err := w.processed(ctx)
		if err != nil {
			return err
		}
		if n < want {
			return fmt.Errorf("%d PayTokens of %d confirmed, waiting for %d (%d when the flood ended)", n, recorded, want, done)
		}
		return nil
	})
	end := time.Now()
	elapsed := end.Sub(start)
	calls := counter.payQueries(start, end)
	// Two calls of slack: the counter's clock is not the limiter's.
	limit := confirmBurst + int(confirmRate*elapsed.Seconds()) + 2
	t.Logf("%d forged PayTokens (%d notifications acknowledged, %d answered 503, %d returns sent to the waiting page) in %s (%.0f/s); "+
		"%d OrderPayQuery calls in the %s from the first post, limit %d (burst %d + %d/s)",
		n, acked.Load(), deferred.Load(), waited.Load(), sent.Round(time.Millisecond), float64(n)/sent.Seconds(),
		calls, elapsed.Round(time.Millisecond), limit, confirmBurst, confirmRate)
	if calls > limit {
		t.Errorf("%d bank calls, more than the limit %d", calls, limit)
	}
	if calls == 0 {
		t.Error("no confirmation reached the bank: the limit should let some through")
	}
	// Every second of its own: never more than the burst plus a second's
	// worth.
	for s := start; s.Before(end); s = s.Add(time.Second) {
		if c := counter.payQueries(s, s.Add(time.Second)); c > confirmBurst+confirmRate+2 {
			t.Errorf("%d OrderPayQuery calls in the second from %s", c, s.Sub(start).Round(time.Millisecond))
		}
	}

	after := w.converge(5 * time.Second)
	if after.Orders != before.Orders || after.Paid != before.Paid || w.eventCount(ctx) != events {
		t.Errorf("orders moved: before %+v (%d events), after %+v (%d events)", before, events, after, w.eventCount(ctx))
	}
	for _, no := range []string{paid, waiting} {
		var status string
		mustT(t, w.db.SQL.QueryRowContext(ctx, `SELECT status FROM orders WHERE order_no = $1`, no).Scan(&status))
		if want := map[bool]string{true: "S", false: "W"}[no == paid]; status != want {
			t.Errorf("%s: %s, want %s", no, status, want)
		}
	}
	var outcomes []string
	rows, err := w.db.SQL.QueryContext(ctx, `SELECT DISTINCT outcome FROM pay_tokens WHERE processed_at <> 0 AND pay_token <> $1`, tok)
	mustT(t, err)
	defer rows.Close()
	for rows.Next() {
		var o string
		mustT(t, rows.Scan(&o))
		if !strings.HasPrefix(o, "refused") {
			outcomes = append(outcomes, o)
		}
	}
	if len(outcomes) > 0 {
		t.Errorf("forged tokens confirmed as %q", outcomes)
	}
}

// processed counts the PayTokens the shop has recorded, and those of
// them it has confirmed.
func (w *world) processed(ctx context.Context) (done, recorded int, err error) {
	err = w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE processed_at <> 0), COUNT(*) FROM pay_tokens`).Scan(&done, &recorded)
	return done, recorded, err
}

func forgedToken() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
