package faults

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// The bank answers OrderPayQuery with 5xx, hangs, or sends garbage. Every
// confirmation gives up within its bound, leaves no goroutine behind, and
// the order stays waiting; once the bank answers, it is paid.
//
// It does not run in parallel with other tests: it counts the goroutines
// of the whole test process.
func TestPayQueryFaults(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		// A bank call that hangs would take far longer than the return
		// may wait (3 s a call, retried once, against 1 s), so the bound
		// below tells the two apart with room for a busy machine's slow
		// recording (the return records the PayToken before it waits).
		r := newRig(t, db, rigConfig{bankTimeout: 3 * time.Second, returnWait: time.Second, insertOnly: true})
		ctx := context.Background()
		o := r.checkout("pq-faults", shop.PayCard)
		res, err := r.sb.PayCard(sandbox.DemoShopNo, o.No, sandbox.OutcomeSuccess, sandbox.Card{Left: "400022", Right: "1111", Exp: "1230"}, "faults")
		mustT(t, err)
		n := funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: res.PayToken}

		// One good call first, so that the connections the client keeps
		// are counted in the baseline.
		warm, err := r.pay.RecordCallback(ctx, funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: "abc123"}, "notify", 0)
		mustT(t, err)
		_, err = r.pay.ConfirmToken(ctx, warm.ID)
		mustT(t, err)
		baseline := goroutines(r)

		for _, mode := range []string{"500", "hang", "garbage"} {
			r.chaos(sandbox.ChaosInput{API: mode, Count: 1000})
			delivery, err := r.pay.RecordCallback(ctx, n, "notify", 0)
			mustT(t, err)

			// A job's confirmation: bounded by its context.
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			start := time.Now()
			_, err = r.pay.ConfirmToken(cctx, delivery.ID)
			took := time.Since(start)
			cancel()
			if !shop.IsCode(err, shop.Unavailable) {
				t.Errorf("%s: ConfirmToken = %v, want Unavailable", mode, err)
			}
			if took > 3*time.Second+500*time.Millisecond {
				t.Errorf("%s: ConfirmToken took %s, bound 3s", mode, took)
			}

			// The browser's return: bounded by ReturnWait, then the waiting
			// page.
			start = time.Now()
			back, err := r.pay.Return(ctx, n)
			took2 := time.Since(start)
			if err != nil || !back.ProcessedAt.IsZero() {
				t.Errorf("%s: Return = %+v, %v; want recorded, unprocessed", mode, back, err)
			}
			if took2 > 3*time.Second {
				t.Errorf("%s: Return took %s, bound 1s (and 2 s for recording on a busy machine)", mode, took2)
			}
			if got, _ := db.OrderByNo(ctx, o.No); got.Status != shop.StatusWaiting {
				t.Fatalf("%s: order became %s while the bank could not say", mode, got.Status)
			}
			r.chaos(sandbox.ChaosInput{Clear: true})
			after, err := settled(r, baseline)
			t.Logf("%s: ConfirmToken gave up after %s, Return after %s; goroutines %d before, %d after",
				mode, took.Round(time.Millisecond), took2.Round(time.Millisecond), baseline, after)
			if err != nil {
				t.Errorf("%s: goroutines left behind: %v\n%s", mode, err, stacks())
			}
		}

		// The bank answers again: the same delivery is confirmed, once.
		delivery, err := r.pay.RecordCallback(ctx, n, "notify", 0)
		mustT(t, err)
		done, err := r.pay.ConfirmToken(ctx, delivery.ID)
		if err != nil || done.OrderNo != o.No {
			t.Fatalf("confirm after the faults: %+v %v", done, err)
		}
		got, _ := db.OrderByNo(ctx, o.No)
		evs, _ := db.Events(ctx, got.ID)
		if got.Status != shop.StatusPaid || len(evs) != 1 {
			t.Fatalf("after the bank answered: %s, %d events", got.Status, len(evs))
		}
		r.converge(5 * time.Second)
	})
}

// chaosRefusal is how the sandbox's list of refusals describes a request
// that met each API fault.
var chaosRefusal = map[string]string{"hang": "(chaos hang)", "500": "HTTP 500 (chaos)", "garbage": "garbage answer (chaos)"}

// goroutines counts this process's goroutines once the transient ones
// (closing connections, finishing handlers) are gone: the lowest count
// seen within a second.
func goroutines(r *rig) int {
	r.bankHC.CloseIdleConnections()
	low := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		r.bankHC.CloseIdleConnections()
		low = min(low, runtime.NumGoroutine())
	}
	return low
}

// settled waits until this process is back to at most baseline
// goroutines: those of a confirmation that gave up (its connection, its
// timer) may take a moment to end, on a busy machine more than a moment;
// one left behind never ends. It returns the last count.
func settled(r *rig, baseline int) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var n int
	err := waitfor.Until(ctx, 50*time.Millisecond, func(context.Context) error {
		r.bankHC.CloseIdleConnections()
		if n = runtime.NumGoroutine(); n > baseline {
			return fmt.Errorf("%d goroutines, %d more than before the faults", n, n-baseline)
		}
		return nil
	})
	return n, err
}

func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// OrderCreate times out (the bank made the order, the answer was lost),
// or fails (the bank made nothing): however many sweeps run at once, every
// shop order ends up as exactly one bank order.
func TestCreateTimeoutOneBankOrder(t *testing.T) {
	t.Parallel()
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := newRig(t, db, rigConfig{bankTimeout: 300 * time.Millisecond, insertOnly: true})
		ctx := context.Background()
		var orders []*shop.Order
		taken := func(mode string) int {
			n := 0
			for _, ref := range r.sb.Refusals() {
				if strings.Contains(ref.Description, chaosRefusal[mode]) {
					n++
				}
			}
			return n
		}
		for i, mode := range []string{"hang", "hang", "hang", "500", "500", "garbage", "garbage"} {
			payType := shop.PayATM
			if i%2 == 1 {
				payType = shop.PayCard
			}
			// The shop gives up on the bank after 300 ms. On a busy machine
			// its OrderCreate may reach the bank after that, or never (it
			// gave up while still asking for a Nonce), so a rule armed for
			// one order can be taken by an earlier order's late request,
			// and this order goes through. Such an order is kept (it must
			// end as one bank order like any other) and the fault is armed
			// again for a new one, a few times at most.
			for attempt := 1; ; attempt++ {
				before := taken(mode)
				r.chaos(sandbox.ChaosInput{API: mode, Count: 1})
				o := r.checkout(fmt.Sprintf("create-%d-%d", i, attempt), payType)
				orders = append(orders, o)
				failed := o.Bank.State == shop.BankUnknown
				if failed && mode == "hang" {
					// The hang that matters is the one where the bank made
					// the order and only the answer was lost: wait a while
					// for the bank to take the rule.
					ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					err := waitfor.Until(ctx, 20*time.Millisecond, func(context.Context) error {
						if taken(mode) == before {
							return errors.New("the hang rule is not taken")
						}
						return nil
					})
					cancel()
					failed = err == nil
				}
				if failed {
					break
				}
				t.Logf("%s, attempt %d: order %s did not meet the armed fault (bank state %s); the bank's refusals %d, orders %d",
					mode, attempt, o.No, o.Bank.State, len(r.sb.Refusals()), len(r.sb.Orders(sandbox.Filter{}, "")))
				r.chaos(sandbox.ChaosInput{Clear: true})
				if attempt == 5 {
					t.Fatalf("%s: no order of %d met the armed fault", mode, attempt)
				}
			}
		}
		r.chaos(sandbox.ChaosInput{Clear: true})
		r.later(11 * time.Minute)
		// Four sweeps at once, three times over.
		for range 3 {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if _, err := r.pay.Sweep(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			r.later(11 * time.Minute)
		}
		// On a busy machine a sweep's own calls can outlast the short
		// bank timeout this rig needs for the hangs: sweep on, one at a
		// time, until every order is resolved (never by a second order).
		waitfor.Event(t, 2*time.Minute, "every order resolved by the sweeps", func(ctx context.Context) error {
			var open []string
			for _, o := range orders {
				got, err := db.OrderByNo(ctx, o.No)
				if err != nil {
					return err
				}
				if got.Bank.State != shop.BankCreated || (got.Bank.AtmPayNo == "" && got.Bank.CardPayURL == "") {
					open = append(open, fmt.Sprintf("%s %+v", o.No, got.Bank))
				}
			}
			if len(open) == 0 {
				return nil
			}
			if _, err := r.pay.Sweep(ctx); err != nil {
				t.Logf("sweep: %v", err)
			}
			r.later(11 * time.Minute)
			return fmt.Errorf("%d not resolved: %s", len(open), strings.Join(open, "; "))
		})
		for _, ref := range r.sb.Refusals() {
			if strings.Contains(ref.Description, sandbox.CodeDuplicateOrder.Code) {
				t.Errorf("a second OrderCreate for one order: %s", ref.Description)
			}
		}
		res := r.converge(5 * time.Second)
		if res.Orders != len(orders) {
			t.Fatalf("%d orders audited, want %d", res.Orders, len(orders))
		}
		t.Logf("%d orders whose OrderCreate timed out or failed (or met none); 12 sweeps, 4 at a time: %d bank orders, one each", len(orders), res.Orders)
	})
}
