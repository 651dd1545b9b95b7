package faults

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// rig is the payment service in this process, against a sandbox behind a
// real HTTP server, on a real database: for faults that a process around
// them would not change. Its loggers write to the scanned log book.
type rig struct {
	*world
	sb     *sandbox.Sandbox
	pay    *payment.Service
	bankHC *http.Client // the bank client's HTTP client
	custID int64
	mu     sync.Mutex
	offset time.Duration // the shop's clock runs this far ahead
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
	ctx := context.Background()
	mustT(t, db.SeedProducts(ctx, storage.SeedProducts))
	sb, err := sandbox.New(sandbox.Options{Logger: logs.logger()})
	mustT(t, err)
	bankSrv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); bankSrv.Close() })
	// Nobody listens for notifications here: the tests confirm by hand.
	shopSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not here", http.StatusServiceUnavailable)
	}))
	t.Cleanup(shopSrv.Close)

	r := &rig{sb: sb}
	r.world = &world{t: t, bank: sandbox.NewControlClient(bankSrv.URL, nil), db: db}
	r.bankHC = &http.Client{Timeout: rc.bankTimeout, Transport: &http.Transport{}}
	t.Cleanup(r.bankHC.CloseIdleConnections)
	bank, err := funbiz.NewClient(funbiz.Config{
		BaseURL: bankSrv.URL + sandbox.APIPrefix, ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(),
		HTTPClient: r.bankHC, Retry: funbiz.RetryPolicy{Attempts: 3, Base: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		Logger: logs.logger(),
	})
	mustT(t, err)
	r.pay, err = payment.New(db, bank, payment.Config{
		BaseURL: shopSrv.URL, Now: r.now, ReturnWait: rc.returnWait, InsertOnly: rc.insertOnly,
		PollInterval: 20 * time.Millisecond, SweepEvery: time.Hour, ConfirmRate: -1,
	}, logs.logger())
	mustT(t, err)
	mustT(t, r.pay.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.pay.Stop(ctx)
	})
	r.custID, err = db.CreateCustomer(ctx, fmt.Sprintf("rig-%d@example.com", time.Now().UnixNano()), "x", time.Now())
	mustT(t, err)
	return r
}

func (r *rig) now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().Add(r.offset)
}

// later moves the shop's clock forward.
func (r *rig) later(d time.Duration) {
	r.mu.Lock()
	r.offset += d
	r.mu.Unlock()
}

func (r *rig) checkout(key string, payType shop.PayType) *shop.Order {
	r.t.Helper()
	o, err := r.pay.Checkout(context.Background(), r.custID, key, []shop.CartLine{{ProductID: 1, Qty: 1}}, payType, "en")
	mustT(r.t, err)
	return o
}

func (r *rig) chaos(rule sandbox.ChaosInput) {
	r.t.Helper()
	mustT(r.t, r.sb.ArmChaos(rule))
}
