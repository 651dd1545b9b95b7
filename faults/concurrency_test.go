package faults

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// One checkout form submitted 100 times at once (a customer hammering the
// button, a browser retrying): one order in the shop, one at the bank,
// and every submit lands on its page.
func TestParallelSubmits(t *testing.T) {
	t.Parallel()
	for _, kind := range dbKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, kind, nil)
			ctx := context.Background()
			c := w.newCustomer("submit")
			for _, payType := range []string{"A", "C"} {
				form, err := c.CheckoutForm(ctx, w.shop.URL, "q_1=1&q_2=1", payType)
				mustT(t, err)
				start := make(chan struct{})
				var wg sync.WaitGroup
				nos := make([]string, 100)
				errs := make([]error, 100)
				for i := range 100 {
					wg.Go(func() {
						<-start
						nos[i], errs[i] = c.Submit(ctx, w.shop.URL, form)
					})
				}
				close(start)
				wg.Wait()
				seen := map[string]int{}
				for i := range nos {
					if errs[i] != nil {
						t.Errorf("submit %d: %v", i, errs[i])
						continue
					}
					seen[nos[i]]++
				}
				if len(seen) != 1 {
					t.Fatalf("pay type %s: 100 submits made orders %v", payType, seen)
				}
			}
			r := w.converge(10 * time.Second)
			if r.Orders != 2 {
				t.Fatalf("%d orders, want 2", r.Orders)
			}
			t.Logf("100 parallel submits of each of 2 checkout forms: %d shop orders, %d bank orders", r.Orders, r.Orders)
		})
	}
}

// The browser's return and the bank's notification of one payment arrive
// at the same moment, for many payments at once: each order moves to paid
// exactly once, and its delivery is confirmed whichever came first.
func TestReturnAndNotifyTogether(t *testing.T) {
	t.Parallel()
	for _, kind := range dbKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			returnNotifyPairs(t, kind, *racePairs)
		})
	}
}

func returnNotifyPairs(t *testing.T, kind string, pairs int) {
	w := newWorld(t, kind, nil)
	ctx := context.Background()
	const workers = 16
	custs := w.newCustomers("pair", 4)
	// Card orders, paid at the bank with its own notification dropped:
	// the test sends the notification itself, at the same moment as the
	// return.
	tokens := make([]string, pairs)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for k := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= pairs || t.Failed() {
					return
				}
				no, err := w.order(ctx, custs[k%len(custs)], "C")
				if err == nil {
					_, err = w.bank.ArmChaos(ctx, sandbox.ChaosInput{OrderNo: no, Notify: "drop"})
				}
				var p sandbox.PayResult
				if err == nil {
					p, err = w.bank.PayCard(ctx, demoShopNo, no, sandbox.OutcomeSuccess)
				}
				if err != nil {
					t.Errorf("order %d: %v", i, err)
					return
				}
				tokens[i] = p.PayToken
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	prepared := time.Since(start)

	start = time.Now()
	next.Store(0)
	var ackd, returned atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= pairs {
					return
				}
				gate := make(chan struct{})
				var pair sync.WaitGroup
				pair.Go(func() {
					<-gate
					code, body, err := bankCallbacks.Notify(ctx, w.shop.URL, tokens[i])
					if err != nil || code != http.StatusOK || body != shopclient.Ack {
						t.Errorf("notify %d: %d %q %v", i, code, body, err)
						return
					}
					ackd.Add(1)
				})
				pair.Go(func() {
					<-gate
					code, loc, err := callbacks.Return(ctx, w.shop.URL, tokens[i])
					if err != nil || code != http.StatusSeeOther || !(strings.HasPrefix(loc, "/orders/") || strings.HasPrefix(loc, "/payments/")) {
						t.Errorf("return %d: %d %q %v", i, code, loc, err)
						return
					}
					returned.Add(1)
				})
				close(gate)
				pair.Wait()
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	// Every delivery confirmed, then the audit: one transition each.
	settle := time.Now()
	waitfor.Event(t, 60*time.Second, "every delivery confirmed", w.allProcessed)
	settled := time.Since(settle)
	r := w.converge(30 * time.Second)
	if r.Paid != pairs {
		t.Fatalf("%d paid, want %d", r.Paid, pairs)
	}
	var events int
	mustT(t, w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_events`).Scan(&events))
	if events != pairs {
		t.Fatalf("%d payment events for %d payments", events, pairs)
	}
	t.Logf("%d return+notification pairs at once (%d workers) in %s (%.0f pairs/s; setup %s, jobs done %s later): %d acknowledged, %d returned, %d orders paid, %d transitions",
		pairs, workers, sent.Round(time.Millisecond), float64(pairs)/sent.Seconds(), prepared.Round(time.Millisecond), settled.Round(time.Millisecond),
		ackd.Load(), returned.Load(), r.Paid, events)
}
