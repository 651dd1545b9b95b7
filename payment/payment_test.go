package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// rig is a shop's payment side wired to a real sandbox over real HTTP:
// the sandbox's notifications reach a BackendURL that records them with
// the service, exactly as the web handler does.
type rig struct {
	t       *testing.T
	db      *storage.DB
	sb      *sandbox.Sandbox
	bankURL string
	pay     *payment.Service
	clock   *fakeNow
	custID  int64
	notices atomic.Int64
}

type fakeNow struct {
	mu     sync.Mutex
	offset time.Duration
}

func (f *fakeNow) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Now().Add(f.offset)
}

func (f *fakeNow) Advance(d time.Duration) {
	f.mu.Lock()
	f.offset += d
	f.mu.Unlock()
}

type rigOpts struct {
	db        *storage.DB
	bankRetry funbiz.RetryPolicy
	timeout   time.Duration
}

func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	r := &rig{t: t, db: o.db, clock: &fakeNow{}}
	if r.db == nil {
		r.db = storagetest.SQLite(t)
	}
	ctx := context.Background()
	if err := r.db.SeedProducts(ctx, storage.SeedProducts); err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{NotifyInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bankSrv := httptest.NewServer(sb)
	t.Cleanup(func() { bankSrv.Close(); sb.Close() })
	r.sb, r.bankURL = sb, bankSrv.URL

	var pay atomic.Pointer[payment.Service]
	shopSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		funbiz.NotificationHandler(sandbox.DemoShopNo, func(ctx context.Context, n funbiz.Notification) error {
			r.notices.Add(1)
			_, err := pay.Load().RecordCallback(ctx, n, shop.SourceNotify, 0)
			return err
		}).ServeHTTP(w, req)
	}))
	t.Cleanup(shopSrv.Close)

	hc := &http.Client{Timeout: 10 * time.Second}
	if o.timeout > 0 {
		hc.Timeout = o.timeout
	}
	retry := o.bankRetry
	if retry.Attempts == 0 {
		retry = funbiz.RetryPolicy{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}
	}
	bank, err := funbiz.NewClient(funbiz.Config{BaseURL: bankSrv.URL + sandbox.APIPrefix, ShopNo: sandbox.DemoShopNo,
		Hash: sandbox.DemoHash(), HTTPClient: hc, Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := payment.New(r.db, bank, payment.Config{BaseURL: shopSrv.URL, Now: r.clock.Now, PollInterval: 20 * time.Millisecond,
		ReturnWait: 3 * time.Second, SweepEvery: time.Hour}, log)
	if err != nil {
		t.Fatal(err)
	}
	pay.Store(p)
	r.pay = p
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p.Stop(ctx)
	})
	r.custID, err = r.db.CreateCustomer(ctx, fmt.Sprintf("c%d@example.com", time.Now().UnixNano()), "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) checkout(key string, payType shop.PayType, lines ...shop.CartLine) *shop.Order {
	r.t.Helper()
	if len(lines) == 0 {
		lines = []shop.CartLine{{ProductID: 1, Qty: 2}} // 抹茶狗骨頭 ×2 = NT$1,500
	}
	o, err := r.pay.Checkout(context.Background(), r.custID, key, lines, payType, "zh-TW")
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

// control posts to the sandbox's control API.
func (r *rig) control(path string, in any, out any) {
	r.t.Helper()
	body, _ := json.Marshal(in)
	resp, err := http.Post(r.bankURL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var e map[string]any
		json.NewDecoder(resp.Body).Decode(&e)
		r.t.Fatalf("%s: HTTP %d %v", path, resp.StatusCode, e)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *rig) payCard(orderNo, outcome string) string {
	var res struct{ PayToken, Status string }
	r.control("/_sandbox/card/pay", map[string]string{"ShopNo": sandbox.DemoShopNo, "OrderNo": orderNo, "Outcome": outcome}, &res)
	return res.PayToken
}

func (r *rig) waitStatus(no string, want shop.Status) *shop.Order {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, err := r.db.OrderByNo(context.Background(), no)
		if err != nil {
			r.t.Fatal(err)
		}
		if o.Status == want {
			return o
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("order %s is %s, want %s", no, o.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) bankOrders() int {
	var orders []json.RawMessage
	resp, err := http.Get(r.bankURL + "/_sandbox/orders")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&orders); err != nil {
		r.t.Fatal(err)
	}
	return len(orders)
}

func TestATMOrderPaidByNotification(t *testing.T) {
	r := newRig(t, rigOpts{})
	o := r.checkout("k-atm", shop.PayATM)
	if o.Bank.State != shop.BankCreated || len(o.Bank.AtmPayNo) != 14 || o.Amount != 1500 || o.Bank.ExpireDate == "" {
		t.Fatalf("order after checkout: %+v", o)
	}
	r.control("/_sandbox/atm/transfer", map[string]any{"AtmPayNo": o.Bank.AtmPayNo, "Amount": 1500}, nil)
	paid := r.waitStatus(o.No, shop.StatusPaid)
	evs, _ := r.db.Events(context.Background(), paid.ID)
	if len(evs) != 1 || evs[0].Source != shop.SourceNotify || evs[0].Amount != 1500 {
		t.Fatalf("events: %+v", evs)
	}
}

func TestCardReturnDeclineThenPayAgain(t *testing.T) {
	r := newRig(t, rigOpts{})
	o := r.checkout("k-card", shop.PayCard)
	if o.Bank.CardPayURL == "" {
		t.Fatalf("no card page: %+v", o.Bank)
	}
	tok := r.payCard(o.No, "decline")
	delivery, err := r.pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok})
	if err != nil || delivery.ProcessedAt.IsZero() || delivery.OrderNo != o.No {
		t.Fatalf("return: %+v %v", delivery, err)
	}
	r.waitStatus(o.No, shop.StatusFailed)
	tok = r.payCard(o.No, "success")
	if _, err := r.pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok}); err != nil {
		t.Fatal(err)
	}
	paid := r.waitStatus(o.No, shop.StatusPaid)
	// The notifications of both attempts arrive too; nothing changes twice.
	time.Sleep(300 * time.Millisecond)
	evs, _ := r.db.Events(context.Background(), paid.ID)
	if len(evs) != 2 || evs[0].To != shop.StatusFailed || evs[1].To != shop.StatusPaid {
		t.Fatalf("events: %+v", evs)
	}
}

// Many submits of one checkout form make one order, at the bank too.
func TestCheckoutIsIdempotent(t *testing.T) {
	r := newRig(t, rigOpts{})
	var wg sync.WaitGroup
	nos := make(chan string, 30)
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := r.pay.Checkout(context.Background(), r.custID, "same-key", []shop.CartLine{{ProductID: 2, Qty: 1}}, shop.PayCard, "en")
			if err != nil {
				t.Error(err)
				return
			}
			nos <- o.No
		}()
	}
	wg.Wait()
	close(nos)
	seen := map[string]bool{}
	for no := range nos {
		seen[no] = true
	}
	if len(seen) != 1 || r.bankOrders() != 1 {
		t.Fatalf("%d shop orders, %d bank orders", len(seen), r.bankOrders())
	}
}

// An OrderCreate whose answer never arrives leaves the order unknown; the
// sweep asks the bank, finds it, and never creates a second one.
func TestCreateTimeoutResolvedBySweep(t *testing.T) {
	r := newRig(t, rigOpts{timeout: 300 * time.Millisecond})
	r.control("/_sandbox/chaos", map[string]any{"API": "hang", "Count": 1}, nil)
	o := r.checkout("k-hang", shop.PayATM)
	if o.Bank.State != shop.BankUnknown {
		t.Fatalf("bank state after a timeout = %s", o.Bank.State)
	}
	r.clock.Advance(11 * time.Minute)
	res, err := r.pay.Sweep(context.Background())
	if err != nil || res.Checked != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	got, _ := r.db.OrderByNo(context.Background(), o.No)
	if got.Bank.State != shop.BankCreated || got.Bank.AtmPayNo == "" || r.bankOrders() != 1 {
		t.Fatalf("after sweep: %+v, %d bank orders", got.Bank, r.bankOrders())
	}
}

// An OrderCreate that never reached the bank is created by the sweep once
// the bank confirms it does not have it.
func TestCreateFailureRecreatedBySweep(t *testing.T) {
	r := newRig(t, rigOpts{bankRetry: funbiz.NoRetry})
	r.control("/_sandbox/chaos", map[string]any{"API": "500", "Count": 1}, nil)
	o := r.checkout("k-500", shop.PayCard)
	if o.Bank.State != shop.BankUnknown {
		t.Fatalf("bank state after a 500 = %s", o.Bank.State)
	}
	r.clock.Advance(11 * time.Minute)
	if _, err := r.pay.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := r.db.OrderByNo(context.Background(), o.No)
	if got.Bank.State != shop.BankCreated || got.Bank.CardPayURL == "" || r.bankOrders() != 1 {
		t.Fatalf("after sweep: %+v, %d bank orders", got.Bank, r.bankOrders())
	}
}

// A payment whose notification is lost is found by the sweep.
func TestSweepFindsLostPayment(t *testing.T) {
	r := newRig(t, rigOpts{})
	o := r.checkout("k-lost", shop.PayCard)
	r.control("/_sandbox/chaos", map[string]any{"OrderNo": o.No, "Notify": "drop"}, nil)
	r.payCard(o.No, "success")
	time.Sleep(200 * time.Millisecond)
	if got, _ := r.db.OrderByNo(context.Background(), o.No); got.Status != shop.StatusWaiting {
		t.Fatalf("status before sweep = %s", got.Status)
	}
	r.clock.Advance(11 * time.Minute)
	res, err := r.pay.Sweep(context.Background())
	if err != nil || res.Changed != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	paid := r.waitStatus(o.No, shop.StatusPaid)
	evs, _ := r.db.Events(context.Background(), paid.ID)
	if len(evs) != 1 || evs[0].Source != shop.SourceReconcile {
		t.Fatalf("events: %+v", evs)
	}
}

// A forged PayToken changes nothing and is logged as refused.
func TestForgedTokenChangesNothing(t *testing.T) {
	r := newRig(t, rigOpts{})
	o := r.checkout("k-forged", shop.PayCard)
	delivery, err := r.pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: "deadbeef"})
	if err != nil {
		t.Fatal(err)
	}
	if delivery.OrderNo != "" || delivery.Outcome.Kind != shop.OutcomeRefused || delivery.Outcome.Detail == "" {
		t.Fatalf("forged token: %+v", delivery)
	}
	if got, _ := r.db.OrderByNo(context.Background(), o.No); got.Status != shop.StatusWaiting {
		t.Fatalf("status = %s", got.Status)
	}
	if _, err := r.pay.RecordCallback(context.Background(), funbiz.Notification{ShopNo: "XX0000_001", PayToken: "ab"}, shop.SourceNotify, 0); !shop.IsCode(err, shop.Invalid) {
		t.Fatalf("other shop: %v", err)
	}
}

// The PayToken of a cheap paid order, posted back as if for an expensive
// one, applies to the cheap order only (the bank says which order it is).
func TestTokenSwapHasNoEffect(t *testing.T) {
	r := newRig(t, rigOpts{})
	cheap := r.checkout("k-cheap", shop.PayCard)
	dear := r.checkout("k-dear", shop.PayCard, shop.CartLine{ProductID: 2, Qty: 3})
	tok := r.payCard(cheap.No, "success")
	delivery, err := r.pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok})
	if err != nil || delivery.OrderNo != cheap.No {
		t.Fatalf("return: %+v %v", delivery, err)
	}
	if got, _ := r.db.OrderByNo(context.Background(), dear.No); got.Status != shop.StatusWaiting {
		t.Fatalf("expensive order became %s", got.Status)
	}
}

// An ATM order past its last day is expired only after the bank says it
// is unpaid.
func TestATMExpiryAsksTheBank(t *testing.T) {
	r := newRig(t, rigOpts{})
	o := r.checkout("k-exp", shop.PayATM)
	r.clock.Advance(9 * 24 * time.Hour)
	res, err := r.pay.ExpireATM(context.Background())
	if err != nil || res.Changed != 1 {
		t.Fatalf("expire: %+v %v", res, err)
	}
	r.waitStatus(o.No, shop.StatusExpired)
}

func TestCheckoutRefusesBadCarts(t *testing.T) {
	r := newRig(t, rigOpts{})
	ctx := context.Background()
	for name, c := range map[string]struct {
		lines   []shop.CartLine
		payType shop.PayType
		key     string
	}{
		"empty":           {nil, shop.PayATM, "k1"},
		"unknown product": {[]shop.CartLine{{ProductID: 999, Qty: 1}}, shop.PayATM, "k2"},
		"over ATM limit":  {[]shop.CartLine{{ProductID: 2, Qty: 7}}, shop.PayATM, "k3"},
		"bad pay type":    {[]shop.CartLine{{ProductID: 1, Qty: 1}}, "X", "k4"},
		"no key":          {[]shop.CartLine{{ProductID: 1, Qty: 1}}, shop.PayATM, ""},
	} {
		if _, err := r.pay.Checkout(ctx, r.custID, c.key, c.lines, c.payType, "en"); !shop.IsCode(err, shop.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r.bankOrders() != 0 {
		t.Fatal("a refused checkout reached the bank")
	}
}

// A database that is gone makes RecordCallback fail, so the notification
// is not acknowledged.
func TestRecordFailsWhenDatabaseIsGone(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.db.Close()
	_, err := r.pay.RecordCallback(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: "ab12"}, shop.SourceNotify, 0)
	if err == nil {
		t.Fatal("recorded into a closed database")
	}
	var se *shop.Error
	if !errors.As(err, &se) {
		t.Fatalf("error type %T", err)
	}
}
