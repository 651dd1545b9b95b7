package faults

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// rig is the payment service in this process (testrig's), against a
// sandbox behind a real HTTP server, on a real database: for faults that
// a process around them would not change. Its loggers write to the
// scanned log book.
type rig struct {
	*world
	shop   *testrig.Rig
	sb     *sandbox.Sandbox
	pay    *payment.Service
	bankHC *http.Client // the bank client's HTTP client
	custID int64
}

type rigConfig struct {
	bankTimeout time.Duration // a whole bank call [2s]
	returnWait  time.Duration // [2s]
	insertOnly  bool          // enqueue jobs, run none
}

func newRig(t *testing.T, db *storage.DB, rc rigConfig) *rig {
	t.Helper()
	if rc.bankTimeout == 0 {
		rc.bankTimeout = 2 * time.Second
	}
	if rc.returnWait == 0 {
		rc.returnWait = 2 * time.Second
	}
	tr := testrig.New(t, testrig.Options{
		DB: db, Log: logs.logger(), BankTimeout: rc.bankTimeout,
		BankRetry: funbiz.RetryPolicy{Attempts: 3, Base: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		Bank: []funbiztest.Option{
			funbiztest.WithNotify(sandbox.DefaultNotifyInterval, sandbox.DefaultNotifyAttempts),
			funbiztest.WithOptions(func(o *sandbox.Options) { o.Logger = logs.logger() }),
		},
		Pay: func(c *payment.Config) { c.ReturnWait, c.InsertOnly, c.ConfirmRate = rc.returnWait, rc.insertOnly, -1 },
	})
	// Nobody listens for notifications here: the tests confirm by hand.
	tr.Serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not here", http.StatusServiceUnavailable)
	}))
	r := &rig{shop: tr, sb: tr.Bank.Sandbox, pay: tr.Pay, bankHC: tr.BankHTTP, custID: tr.Customer()}
	r.world = &world{t: t, bank: sandbox.NewControlClient(tr.Bank.ServerURL, nil), db: db}
	return r
}

// later moves the shop's clock forward.
func (r *rig) later(d time.Duration) { r.shop.Clock.Advance(d) }

func (r *rig) checkout(key string, payType shop.PayType) *shop.Order {
	r.t.Helper()
	o, err := r.pay.Checkout(context.Background(), r.custID, key, []shop.CartLine{{ProductID: 1, Qty: 1}}, payType)
	mustT(r.t, err)
	return o
}

func (r *rig) chaos(rule sandbox.ChaosInput) {
	r.t.Helper()
	mustT(r.t, r.sb.ArmChaos(rule))
}
