package payment_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
)

func TestATMOrderPaidByNotification(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.Checkout("k-atm", shop.PayATM)
	if o.Bank.State != shop.BankCreated || len(o.Bank.AtmPayNo) != 14 || o.Amount != 1500 || o.Bank.ExpireDate == "" {
		t.Fatalf("order after checkout: %+v", o)
	}
	r.Bank.Transfer(o.Bank.AtmPayNo, 1500)
	paid := r.WaitStatus(o.No, shop.StatusPaid)
	evs, _ := r.DB.Events(context.Background(), paid.ID)
	if len(evs) != 1 || evs[0].Source != shop.SourceNotify || evs[0].Amount != 1500 {
		t.Fatalf("events: %+v", evs)
	}
}

func TestCardReturnDeclineThenPayAgain(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.Checkout("k-card", shop.PayCard)
	if o.Bank.CardPayURL == "" {
		t.Fatalf("no card page: %+v", o.Bank)
	}
	tok := r.Bank.PayCard(o.No, sandbox.OutcomeDecline)
	delivery, err := r.Pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok})
	if err != nil || delivery.ProcessedAt.IsZero() || delivery.OrderNo != o.No {
		t.Fatalf("return: %+v %v", delivery, err)
	}
	r.WaitStatus(o.No, shop.StatusFailed)
	tok = r.Bank.PayCard(o.No, sandbox.OutcomeSuccess)
	if _, err := r.Pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok}); err != nil {
		t.Fatal(err)
	}
	paid := r.WaitStatus(o.No, shop.StatusPaid)
	// The bank notifies the payment, not the decline (PROTOCOL §9.1); the
	// notification is confirmed with the answer of the return before it,
	// and nothing changes twice.
	ds := r.Settled(o.No, 1)
	if ds[0].State != "delivered" || ds[0].PayToken != tok {
		t.Fatalf("notification %+v, want the payment's", ds[0])
	}
	var sources []shop.Source
	for _, got := range r.Processed(tok, 2) {
		sources = append(sources, got.Source)
	}
	if !slices.Contains(sources, shop.SourceNotify) || !slices.Contains(sources, shop.SourceReturn) {
		t.Fatalf("deliveries of %s: %v", tok, sources)
	}
	evs, _ := r.DB.Events(context.Background(), paid.ID)
	if len(evs) != 2 || evs[0].To != shop.StatusFailed || evs[1].To != shop.StatusPaid {
		t.Fatalf("events: %+v", evs)
	}
}

// A declined card whose buyer closes the browser before the return is
// never notified (the bank notifies payments only); the sweep ends the
// order once the bank says its card page expired unpaid.
func TestSilentDeclineEndsBySweep(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.Checkout("k-silent", shop.PayCard)
	r.Bank.PayCard(o.No, sandbox.OutcomeDecline)
	r.Bank.Advance(time.Minute)
	if ds := r.Bank.Deliveries(o.No); len(ds) != 0 {
		t.Fatalf("a decline was notified: %+v", ds)
	}
	// Within its card page's life the bank still waits (1C200): the
	// sweep changes nothing.
	r.Clock.Advance(11 * time.Minute)
	if res, err := r.Pay.Sweep(context.Background()); err != nil || res.Changed != 0 || r.Order(o.No).Status != shop.StatusWaiting {
		t.Fatalf("sweep while the card page lives: %+v %v, order %s", res, err, r.Order(o.No).Status)
	}
	r.Bank.Advance(31 * time.Minute)
	r.Clock.Advance(31 * time.Minute)
	// The sweep that runs when the workers start may reach the order
	// first on a busy machine: then this one finds it expired already.
	res, err := r.Pay.Sweep(context.Background())
	if err != nil || res.Failed != 0 || res.Changed > 1 {
		t.Fatalf("sweep after the card page expired: %+v %v", res, err)
	}
	if got := r.Order(o.No); got.Status != shop.StatusExpired {
		t.Fatalf("status %s, want expired (sweep %+v)", got.Status, res)
	}
}

// Many submits of one checkout form make one order, at the bank too.
func TestCheckoutIsIdempotent(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	var wg sync.WaitGroup
	nos := make(chan string, 30)
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := r.Pay.Checkout(context.Background(), r.Customer(), "same-key", []shop.CartLine{{ProductID: 2, Qty: 1}}, shop.PayCard)
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
	if len(seen) != 1 || r.BankOrders() != 1 {
		t.Fatalf("%d shop orders, %d bank orders", len(seen), r.BankOrders())
	}
}

// An OrderCreate whose answer never arrives leaves the order unknown; the
// sweep asks the bank, finds it, and never creates a second one.
func TestCreateTimeoutResolvedBySweep(t *testing.T) {
	r := testrig.New(t, testrig.Options{BankTimeout: 300 * time.Millisecond})
	r.Bank.Chaos(sandbox.ChaosInput{API: "hang", Count: 1})
	o := r.Checkout("k-hang", shop.PayATM)
	if o.Bank.State != shop.BankUnknown {
		t.Fatalf("bank state after a timeout = %s", o.Bank.State)
	}
	r.Clock.Advance(11 * time.Minute)
	res, err := r.Pay.Sweep(context.Background())
	if err != nil || res.Checked != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	got, _ := r.DB.OrderByNo(context.Background(), o.No)
	if got.Bank.State != shop.BankCreated || got.Bank.AtmPayNo == "" || r.BankOrders() != 1 {
		t.Fatalf("after sweep: %+v, %d bank orders", got.Bank, r.BankOrders())
	}
}

// An OrderCreate that never reached the bank is created by the sweep once
// the bank confirms it does not have it.
func TestCreateFailureRecreatedBySweep(t *testing.T) {
	r := testrig.New(t, testrig.Options{BankRetry: funbiz.NoRetry})
	r.Bank.Chaos(sandbox.ChaosInput{API: "500", Count: 1})
	o := r.Checkout("k-500", shop.PayCard)
	if o.Bank.State != shop.BankUnknown {
		t.Fatalf("bank state after a 500 = %s", o.Bank.State)
	}
	r.Clock.Advance(11 * time.Minute)
	if _, err := r.Pay.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := r.DB.OrderByNo(context.Background(), o.No)
	if got.Bank.State != shop.BankCreated || got.Bank.CardPayURL == "" || r.BankOrders() != 1 {
		t.Fatalf("after sweep: %+v, %d bank orders", got.Bank, r.BankOrders())
	}
}

// A payment whose notification is lost is found by the sweep.
func TestSweepFindsLostPayment(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.Checkout("k-lost", shop.PayCard)
	r.Bank.Chaos(sandbox.ChaosInput{OrderNo: o.No, Notify: "drop"})
	r.Bank.PayCard(o.No, sandbox.OutcomeSuccess)
	if ds := r.Settled(o.No, 1); ds[0].State != "dropped" {
		t.Fatalf("the notification was not dropped: %+v", ds[0])
	}
	if got := r.Order(o.No); got.Status != shop.StatusWaiting {
		t.Fatalf("status before sweep = %s", got.Status)
	}
	r.Clock.Advance(11 * time.Minute)
	res, err := r.Pay.Sweep(context.Background())
	if err != nil || res.Changed != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	paid := r.WaitStatus(o.No, shop.StatusPaid)
	evs, _ := r.DB.Events(context.Background(), paid.ID)
	if len(evs) != 1 || evs[0].Source != shop.SourceReconcile {
		t.Fatalf("events: %+v", evs)
	}
}

// A forged PayToken changes nothing and is logged as refused.
func TestForgedTokenChangesNothing(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.Checkout("k-forged", shop.PayCard)
	delivery, err := r.Pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: "deadbeef"})
	if err != nil {
		t.Fatal(err)
	}
	if delivery.OrderNo != "" || delivery.Outcome.Kind != shop.OutcomeRefused || delivery.Outcome.Detail == "" {
		t.Fatalf("forged token: %+v", delivery)
	}
	if got, _ := r.DB.OrderByNo(context.Background(), o.No); got.Status != shop.StatusWaiting {
		t.Fatalf("status = %s", got.Status)
	}
	if _, err := r.Pay.RecordCallback(context.Background(), funbiz.Notification{ShopNo: "XX0000_001", PayToken: "ab"}, shop.SourceNotify, 0); !shop.IsCode(err, shop.Invalid) {
		t.Fatalf("other shop: %v", err)
	}
}

// The PayToken of a cheap paid order, posted back as if for an expensive
// one, applies to the cheap order only (the bank says which order it is).
func TestTokenSwapHasNoEffect(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	cheap := r.Checkout("k-cheap", shop.PayCard)
	dear := r.Checkout("k-dear", shop.PayCard, shop.CartLine{ProductID: 2, Qty: 3})
	tok := r.Bank.PayCard(cheap.No, sandbox.OutcomeSuccess)
	delivery, err := r.Pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok})
	if err != nil || delivery.OrderNo != cheap.No {
		t.Fatalf("return: %+v %v", delivery, err)
	}
	if got, _ := r.DB.OrderByNo(context.Background(), dear.No); got.Status != shop.StatusWaiting {
		t.Fatalf("expensive order became %s", got.Status)
	}
}

// An ATM order past its last day is expired only after the bank says it
// is unpaid.
func TestATMExpiryAsksTheBank(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := r.Checkout("k-exp", shop.PayATM)
	r.Clock.Advance(9 * 24 * time.Hour)
	res, err := r.Pay.ExpireATM(context.Background())
	if err != nil || res.Checked != 1 || res.Failed != 0 {
		t.Fatalf("expire: %+v %v", res, err)
	}
	// The sweep that runs when the workers start may reach the order
	// first on a busy machine; it asks the bank the same way, and the
	// event it records says so.
	got := r.WaitStatus(o.No, shop.StatusExpired)
	evs, err := r.DB.Events(context.Background(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Event != shop.EventExpired || !strings.HasPrefix(evs[0].Note, "unpaid after ") {
		t.Fatalf("events of the expired order: %+v", evs)
	}
}

func TestCheckoutRefusesBadCarts(t *testing.T) {
	// The shop's own ATM limit (SINOPAY_ATM_MAX), set for this test.
	r := testrig.New(t, testrig.Options{Pay: func(c *payment.Config) { c.ATMMax = 30000 }})
	ctx := context.Background()
	for name, c := range map[string]struct {
		lines   []shop.CartLine
		payType shop.PayType
		key     string
	}{
		"empty":                   {nil, shop.PayATM, "k1"},
		"unknown product":         {[]shop.CartLine{{ProductID: 999, Qty: 1}}, shop.PayATM, "k2"},
		"over the shop's ATM max": {[]shop.CartLine{{ProductID: 2, Qty: 7}}, shop.PayATM, "k3"},
		"bad pay type":            {[]shop.CartLine{{ProductID: 1, Qty: 1}}, "X", "k4"},
		"no key":                  {[]shop.CartLine{{ProductID: 1, Qty: 1}}, shop.PayATM, ""},
	} {
		if _, err := r.Pay.Checkout(ctx, r.Customer(), c.key, c.lines, c.payType); !shop.IsCode(err, shop.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r.BankOrders() != 0 {
		t.Fatal("a refused checkout reached the bank")
	}
}

// A database that is gone makes RecordCallback fail, so the notification
// is not acknowledged.
func TestRecordFailsWhenDatabaseIsGone(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	if err := r.Pay.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.DB.Close()
	_, err := r.Pay.RecordCallback(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: "ab12"}, shop.SourceNotify, 0)
	if err == nil {
		t.Fatal("recorded into a closed database")
	}
	var se *shop.Error
	if !errors.As(err, &se) {
		t.Fatalf("error type %T", err)
	}
}

// The bank's own notifications take no turn of the confirmation limit,
// which is there for what anyone can post: a rush of honest payments is
// confirmed at the bank's pace, not the limit's. A return still needs a
// turn, and without one waits for its payment's notification.
func TestBankNotificationsTakeNoTurn(t *testing.T) {
	r := testrig.New(t, testrig.Options{Pay: func(c *payment.Config) { c.ConfirmRate, c.ConfirmBurst = 0.2, 1 }})
	ctx := context.Background()
	var orders []*shop.Order
	for i := range 12 {
		orders = append(orders, r.Checkout(fmt.Sprintf("rush-%d", i), shop.PayATM))
	}
	start := time.Now()
	for _, o := range orders {
		r.Bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
	}
	for _, o := range orders {
		r.WaitStatus(o.No, shop.StatusPaid)
	}
	// At 0.2 a second, twelve turns would take a minute.
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("12 notifications confirmed in %s", took)
	}

	// Card payments returned with no turn left: the waiting page, and
	// their notifications confirm them.
	for i := range 3 {
		o := r.Checkout(fmt.Sprintf("rush-card-%d", i), shop.PayCard)
		tok := r.Bank.PayCard(o.No, sandbox.OutcomeSuccess)
		if _, err := r.Pay.Return(ctx, funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok}); err != nil {
			t.Fatalf("return %d: %v", i, err)
		}
		orders = append(orders, o)
	}
	for _, o := range orders[12:] {
		r.WaitStatus(o.No, shop.StatusPaid)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("12 notifications and 3 returns confirmed in %s", took)
	}
}
