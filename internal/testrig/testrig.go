// Package testrig is the shop in one test process, on real parts: a real
// database (a fresh SQLite unless the test brings one) with the five
// products, the bank's sandbox over real HTTP, the payment service with
// its job workers, the reconciliation, and the shop's URL, where the
// bank's callbacks arrive. At that URL a recorder takes the bank's
// notifications as the web layer does; web's own tests put the whole web
// server there instead (Serve), since this package cannot import web,
// whose tests use it.
//
//	r := testrig.New(t, testrig.Options{})
//	o := r.Checkout("key", shop.PayATM)
//	r.Bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
//	r.WaitStatus(o.No, shop.StatusPaid)
package testrig

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// Options change a rig. The zero value is the usual rig.
type Options struct {
	// DB is the shop's database, migrated [a fresh SQLite].
	DB *storage.DB
	// Pay edits the payment service's configuration, after the rig has
	// filled in BaseURL, Now (the rig's Clock) and short poll and return
	// waits.
	Pay func(*payment.Config)
	// Bank are the sandbox's options [funbiztest's: notifications resent
	// every 100 ms].
	Bank []funbiztest.Option
	// BankTimeout bounds one call of the shop's bank client [10s].
	BankTimeout time.Duration
	// BankRetry is the bank client's retry policy [2 attempts, 1–5 ms].
	BankRetry funbiz.RetryPolicy
	// BankTransport wraps the bank client's transport, for faults the
	// sandbox cannot make.
	BankTransport func(http.RoundTripper) http.RoundTripper
	// Log receives the lines of the services and of the bank client
	// [warnings and worse, to stderr].
	Log *slog.Logger
}

// Rig is one test's shop. Its helpers fail the test on error.
type Rig struct {
	T  testing.TB
	DB *storage.DB
	// Bank is the sandbox and its HTTP server.
	Bank *funbiztest.Bank
	// BankClient is the shop's client of the bank, and BankHTTP its HTTP
	// client, with a transport of its own, so that a test can cut its
	// connections.
	BankClient *funbiz.Client
	BankHTTP   *http.Client
	Pay        *payment.Service
	Recon      *reconcile.Service
	// Clock is the shop's clock.
	Clock *Clock
	// URL is the shop's base URL, where the bank calls back.
	URL string
	// Server serves URL.
	Server *httptest.Server
	Log    *slog.Logger

	handler atomic.Pointer[http.Handler]
	mu      sync.Mutex
	cust    int64
	admin   *shop.Customer
}

// New builds a rig and starts its job workers; everything stops when the
// test ends.
func New(t testing.TB, o Options) *Rig {
	t.Helper()
	ctx := context.Background()
	r := &Rig{T: t, DB: o.DB, Clock: &Clock{}, Log: o.Log}
	if r.DB == nil {
		r.DB = storagetest.SQLite(t)
	}
	if r.Log == nil {
		r.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if err := r.DB.SeedProducts(ctx, storage.SeedProducts); err != nil {
		t.Fatal(err)
	}
	r.Bank = funbiztest.New(t, o.Bank...)

	// The bank calls back the shop's URL, which the payment service must
	// know before anything can answer there: start the server first, and
	// give it its handler after.
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		(*r.handler.Load()).ServeHTTP(w, req)
	}))
	t.Cleanup(r.Server.Close)
	r.URL = r.Server.URL
	var pay atomic.Pointer[payment.Service]
	r.Serve(funbiz.NotificationHandler(r.Bank.ShopNo, func(ctx context.Context, n funbiz.Notification) error {
		_, err := pay.Load().RecordCallback(ctx, n, shop.SourceNotify, 0)
		return err
	}))

	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	r.BankHTTP = &http.Client{Timeout: 10 * time.Second, Transport: transport}
	if o.BankTimeout > 0 {
		r.BankHTTP.Timeout = o.BankTimeout
	}
	if o.BankTransport != nil {
		r.BankHTTP.Transport = o.BankTransport(transport)
	}
	retry := o.BankRetry
	if retry.Attempts == 0 {
		retry = funbiz.RetryPolicy{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}
	}
	var err error
	r.BankClient, err = funbiz.NewClient(funbiz.Config{BaseURL: r.Bank.URL, ShopNo: r.Bank.ShopNo, Hash: r.Bank.Hash,
		HTTPClient: r.BankHTTP, Retry: retry, Logger: r.Log})
	if err != nil {
		t.Fatal(err)
	}

	pcfg := payment.Config{BaseURL: r.URL, Now: r.Clock.Now, PollInterval: 20 * time.Millisecond,
		ReturnWait: 3 * time.Second, SweepEvery: time.Hour}
	if o.Pay != nil {
		o.Pay(&pcfg)
	}
	r.Recon = reconcile.New(r.DB, r.BankClient, reconcile.Config{Now: pcfg.Now}, r.Log)
	pcfg.OtherJobs = append(pcfg.OtherJobs, r.Recon.Jobs()...)
	if r.Pay, err = payment.New(r.DB, r.BankClient, pcfg, r.Log); err != nil {
		t.Fatal(err)
	}
	pay.Store(r.Pay)
	if err := r.Pay.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Pay.Stop(sctx)
	})
	return r
}

// Serve puts h at the shop's URL in place of the notification recorder:
// web's tests serve the whole shop there, fault tests a shop that is
// down.
func (r *Rig) Serve(h http.Handler) { r.handler.Store(&h) }

// Customer is the rig's customer, created on first use.
func (r *Rig) Customer() int64 {
	r.T.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cust == 0 {
		id, err := r.DB.CreateCustomer(context.Background(), "buyer@example.com", "x", time.Now())
		if err != nil {
			r.T.Fatal(err)
		}
		r.cust = id
	}
	return r.cust
}

// Admin is the rig's admin of the back office, created on first use.
func (r *Rig) Admin() *shop.Customer {
	r.T.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.admin == nil {
		ctx := context.Background()
		if _, err := r.DB.MakeAdmin(ctx, "boss@example.com", "x", time.Now()); err != nil {
			r.T.Fatal(err)
		}
		a, err := r.DB.CustomerByEmail(ctx, "boss@example.com")
		if err != nil {
			r.T.Fatal(err)
		}
		r.admin = a
	}
	return r.admin
}

// Checkout checks out lines for the rig's customer with checkout key
// key; no lines buy two 抹茶狗骨頭, NT$1,500.
func (r *Rig) Checkout(key string, payType shop.PayType, lines ...shop.CartLine) *shop.Order {
	r.T.Helper()
	if len(lines) == 0 {
		lines = []shop.CartLine{{ProductID: 1, Qty: 2}}
	}
	o, err := r.Pay.Checkout(context.Background(), r.Customer(), key, lines, payType)
	if err != nil {
		r.T.Fatal(err)
	}
	return o
}

// PayCard pays a card order at the bank and confirms the payment through
// the browser's return, and returns the order, paid.
func (r *Rig) PayCard(o *shop.Order) *shop.Order {
	r.T.Helper()
	tok := r.Bank.PayCard(o.No, sandbox.OutcomeSuccess)
	if _, err := r.Pay.Return(context.Background(), funbiz.Notification{ShopNo: r.Bank.ShopNo, PayToken: tok}); err != nil {
		r.T.Fatal(err)
	}
	if o = r.Order(o.No); o.Status != shop.StatusPaid {
		r.T.Fatalf("card order after payment: %+v", o)
	}
	return o
}

// Order reads an order.
func (r *Rig) Order(no string) *shop.Order {
	r.T.Helper()
	o, err := r.DB.OrderByNo(context.Background(), no)
	if err != nil {
		r.T.Fatal(err)
	}
	return o
}

// Wait is how long the rig's helpers wait for background work.
const Wait = 10 * time.Second

// Eventually polls cond until it holds, for work that happens in the
// background (a job, a notification); it fails the test after Wait.
func (r *Rig) Eventually(what string, cond func() bool) {
	r.T.Helper()
	Eventually(r.T, what, cond)
}

// Eventually polls cond until it holds, and fails t after Wait.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", Wait, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitStatus waits until the order is in status want, and returns it.
func (r *Rig) WaitStatus(no string, want shop.Status) *shop.Order {
	r.T.Helper()
	var o *shop.Order
	r.Eventually(fmt.Sprintf("order %s to be %s", no, want), func() bool {
		o = r.Order(no)
		return o.Status == want
	})
	return o
}

// Settled waits until the bank is done with n notifications of the
// order (each delivered, dropped or given up), and returns them, newest
// first. More than n fails the test.
func (r *Rig) Settled(orderNo string, n int) []sandbox.DeliveryView {
	r.T.Helper()
	var ds []sandbox.DeliveryView
	r.Eventually(fmt.Sprintf("%d notifications of %s to be settled", n, orderNo), func() bool {
		ds = r.Bank.Deliveries(orderNo)
		if len(ds) > n {
			r.T.Fatalf("%d notifications of %s, want %d: %+v", len(ds), orderNo, n, ds)
		}
		for _, d := range ds {
			if d.State == "pending" {
				return false
			}
		}
		return len(ds) == n
	})
	return ds
}

// Processed waits until every delivery of the PayToken is confirmed,
// and returns them.
func (r *Rig) Processed(token string, n int) []*shop.Delivery {
	r.T.Helper()
	var ds []*shop.Delivery
	r.Eventually(fmt.Sprintf("%d deliveries of a PayToken to be confirmed", n), func() bool {
		list, _, err := r.DB.PayTokenLog(context.Background(), token, 100, 0)
		if err != nil {
			r.T.Fatal(err)
		}
		ds = ds[:0]
		for _, d := range list {
			if d.Token == token {
				ds = append(ds, d)
			}
		}
		if len(ds) != n {
			return false
		}
		for _, d := range ds {
			if !d.Processed() {
				return false
			}
		}
		return true
	})
	return ds
}

// BankOrders counts the orders the bank has.
func (r *Rig) BankOrders() int {
	return len(r.Bank.Sandbox.Orders(sandbox.Filter{}, r.Bank.ServerURL))
}

// Clock is the shop's clock in a test: the real time, moved forward by
// Advance, so that background work still sees time pass. It is safe for
// concurrent use.
type Clock struct{ ahead atomic.Int64 }

// Now is the real time plus every Advance so far.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ahead.Add(int64(d)) }
