package faults

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// The shop under a flood of forged notifications, posted from 127.0.0.1
// by as many connections as this machine serves fastest, confirms real
// payments within seconds all the same: ATM transfers, whose
// notifications come from the bank's address (the sandbox's, 127.0.0.2,
// in SINOPAY_NOTIFY_FROM), and card payments, confirmed on the browser's
// return. Meanwhile the bank is asked no more than the confirmation
// limit allows, and the forged PayTokens leave at most the bounded
// backlog of rows, not one per post.
func TestNotifyFlood(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) { notifyFlood(t, kind) })
	}
}

// Settings of the shop under the flood, explicit so that the bounds
// checked here do not follow the defaults.
const (
	floodRate    = 50   // confirmations' bank calls per second
	floodBurst   = 100  // and at once
	floodBacklog = 1000 // forged notifications waiting at most
	floodReal    = 20   // real payments, half ATM, half card
	floodClients = 32   // connections posting forged notifications
	// floodGoal is the bound on the real payments' confirmation time
	// (the 99th percentile, which of 20 is the slowest).
	floodGoal = 5 * time.Second
)

func notifyFlood(t *testing.T, kind string) {
	bank := startSandbox(t)
	counter := newBankCounter(t, bank.URL())
	w := &world{t: t, bank: bank.ControlClient}
	target := dbTarget(t, kind)
	w.opts = proctest.ShopOptions{Name: "shop (flood, " + kind + ")", DB: target,
		Args: []string{"--sandbox-addr", "off"},
		Env: []string{"SINOPAY_SWEEP_EVERY=1h", "SINOPAY_CHECK_AFTER=1h",
			fmt.Sprintf("SINOPAY_CONFIRM_RATE=%d", floodRate), fmt.Sprintf("SINOPAY_CONFIRM_BURST=%d", floodBurst),
			fmt.Sprintf("SINOPAY_NOTIFY_BACKLOG=%d", floodBacklog),
			"SINOPAY_NOTIFY_FROM=" + bank.NotifyFrom,
			"SINOPAY_FUNBIZ_URL=" + counter.srv.URL + "/QPay.WebAPI/api",
			"SINOPAY_SHOP_NO=" + proctest.DemoShopNo, "SINOPAY_HASH=" + proctest.DemoHash}}
	w.start(nil)
	w.opts = w.shop.Options
	w.openDB(target)
	ctx := context.Background()
	buyers := w.newCustomers("flood", floodReal)

	// The flood: forged notifications from 127.0.0.1, until the real
	// payments are all confirmed.
	floodCtx, stopFlood := context.WithCancel(ctx)
	var acked, deferred, sent atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range floodClients {
		wg.Go(func() {
			for floodCtx.Err() == nil {
				code, body, err := callbacks.Notify(floodCtx, w.shop.URL, forgedToken())
				switch {
				case floodCtx.Err() != nil:
					return
				case err != nil:
					t.Errorf("forged notification: %v", err)
					return
				case code == http.StatusOK && body == shopclient.Ack:
					acked.Add(1)
				case code == http.StatusServiceUnavailable:
					deferred.Add(1)
				default:
					t.Errorf("forged notification: %d %q", code, body)
					return
				}
				sent.Add(1)
			}
		})
	}
	defer func() { stopFlood(); wg.Wait() }()
	// Let the forged notifications fill the backlog before the first real
	// payment: the bank's must not wait behind them.
	waitfor.Event(t, time.Minute, "the forged notifications filling the backlog", func(ctx context.Context) error {
		if n := deferred.Load(); n == 0 {
			return fmt.Errorf("%d acknowledged, none deferred yet", acked.Load())
		}
		return nil
	})
	filled := time.Since(start)

	// The real payments, one after another so that each meets the flood
	// alone: an ATM transfer, then a card payment and its return.
	took := make([]time.Duration, 0, floodReal)
	var slowest string
	for i, c := range buyers {
		payType := map[bool]string{true: "A", false: "C"}[i%2 == 0]
		no, err := w.order(ctx, c, payType)
		mustT(t, err)
		paidAt := time.Now()
		tok, err := w.pay(ctx, no)
		mustT(t, err)
		if payType == "C" {
			// The browser comes back from the card page, in the flood.
			if _, _, err := callbacks.Return(ctx, w.shop.URL, tok); err != nil {
				t.Fatal(err)
			}
		}
		waitfor.Event(t, time.Minute, "order "+no+" paid under the flood", func(ctx context.Context) error {
			var status string
			if err := w.db.SQL.QueryRowContext(ctx, `SELECT status FROM orders WHERE order_no = $1`, no).Scan(&status); err != nil {
				return err
			}
			if status != "S" {
				return fmt.Errorf("status %s", status)
			}
			return nil
		})
		d := time.Since(paidAt)
		if len(took) == 0 || d > slices.Max(took) {
			slowest = fmt.Sprintf("%s (%s)", no, map[string]string{"A": "ATM", "C": "card"}[payType])
		}
		took = append(took, d)
	}
	stopFlood()
	wg.Wait()
	end := time.Now()
	elapsed := end.Sub(start)

	slices.Sort(took)
	p50, p99 := took[len(took)/2], took[len(took)-1] // of 20, the 99th percentile is the slowest
	calls := counter.payQueries(start, end)
	limit := floodBurst + int(floodRate*elapsed.Seconds()) + 2
	var rows, waiting int
	mustT(t, w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE processed_at = 0) FROM pay_tokens WHERE lane = 1`).Scan(&rows, &waiting))
	t.Logf("flood (%s): %d forged notifications in %s (%.0f/s from %d connections; backlog full after %s): "+
		"%d acknowledged, %d answered 503; %d rows kept for them (%d waiting)",
		kind, sent.Load(), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds(), floodClients,
		filled.Round(time.Millisecond), acked.Load(), deferred.Load(), rows, waiting)
	t.Logf("flood (%s): %d real payments confirmed in p50 %s, p99 %s (slowest %s; goal %s); %d OrderPayQuery calls in %s, limit %d",
		kind, len(took), p50.Round(time.Millisecond), p99.Round(time.Millisecond), slowest, floodGoal,
		calls, elapsed.Round(time.Millisecond), limit)
	if p99 > floodGoal {
		t.Errorf("real payments confirmed in p99 %s under the flood, more than %s: %v", p99, floodGoal, took)
	}
	if calls > limit {
		t.Errorf("%d bank calls, more than the limit %d", calls, limit)
	}
	// What the flood leaves: the backlog's bound (plus what other
	// requests in flight counted before it filled) and what was
	// confirmed meanwhile, never a row per forged notification.
	if most := floodBacklog + floodClients + calls; rows > most {
		t.Errorf("%d rows for %d forged notifications, more than the backlog %d + %d in flight + %d confirmed",
			rows, sent.Load(), floodBacklog, floodClients, calls)
	}
	if waiting > floodBacklog+floodClients {
		t.Errorf("%d forged notifications waiting, more than the backlog %d", waiting, floodBacklog)
	}
	if deferred.Load() == 0 || acked.Load() < floodBacklog/2 {
		t.Errorf("the flood was not one: %d acknowledged, %d deferred", acked.Load(), deferred.Load())
	}
	// No forged PayToken paid anything.
	var paid int
	mustT(t, w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE status = 'S'`).Scan(&paid))
	if paid != floodReal {
		t.Errorf("%d orders paid, want the %d real ones", paid, floodReal)
	}
	var forgedPaid int
	mustT(t, w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens WHERE lane = 1 AND processed_at <> 0 AND outcome NOT LIKE 'refused%'`).Scan(&forgedPaid))
	if forgedPaid > 0 {
		t.Errorf("%d forged PayTokens confirmed as something the bank knew", forgedPaid)
	}
}
