package payment_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// A notification of an unknown sender waits in the other lane: a
// PayToken recorded before costs no row, the backlog is bounded, the
// forged ones are refused by the bank and a real one pays its order, on
// both databases.
func TestOtherLane(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		// The backlog is counted afresh at each notification, so that the
		// paid one below is no longer counted once it is confirmed.
		r := testrig.New(t, testrig.Options{DB: db, Pay: func(c *payment.Config) { c.OtherBacklog, c.BacklogRecount = 3, time.Nanosecond }})
		// The bank's own notifications never arrive: the only word of the
		// payment below is the unknown sender's.
		r.Serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
		o := r.Checkout("k-other", shop.PayATM)
		tok := r.Bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))

		rows := func() int {
			var n int
			if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		note := func(token string) error {
			return r.Pay.RecordOther(ctx, funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: token})
		}
		if err := note(tok); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if err := note(tok); err != nil {
				t.Fatalf("repeat %d: %v", i, err)
			}
		}
		if n := rows(); n != 1 {
			t.Fatalf("%d rows after six deliveries of one PayToken, want 1", n)
		}
		r.WaitStatus(o.No, shop.StatusPaid)
		if d := r.Processed(tok, 1)[0]; d.Lane != shop.LaneOther || d.Outcome.Kind != shop.OutcomePaid {
			t.Fatalf("delivery %+v", d)
		}

		// The workers stopped, forged ones fill the backlog of 3.
		if err := r.Pay.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"forged-1", "forged-2", "forged-3"} {
			if err := note(f); err != nil {
				t.Fatal(err)
			}
		}
		err := note("forged-4")
		if !errors.Is(err, payment.ErrBacklogFull) || !shop.IsCode(err, shop.Unavailable) {
			t.Fatalf("fourth forged: %v, want the backlog full", err)
		}
		if err := note("forged-2"); err != nil {
			t.Fatalf("a recorded PayToken when the backlog is full: %v", err)
		}
		if n := rows(); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
		// Working again, the bank refuses them all.
		if err := r.Pay.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"forged-1", "forged-2", "forged-3"} {
			got := r.Processed(f, 1)
			if got[0].Outcome.Kind != shop.OutcomeRefused {
				t.Errorf("%s: %+v", f, got[0].Outcome)
			}
		}
		if n, err := db.OtherBacklog(ctx); err != nil || n != 0 {
			t.Errorf("backlog %d %v after the workers", n, err)
		}
	})
}
