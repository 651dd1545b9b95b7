package funbiztest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// A whole card payment: order, pay, notification, confirmation.
func TestCardPayment(t *testing.T) {
	bank := funbiztest.New(t)
	ctx := context.Background()
	got := make(chan funbiz.Notification, 4)
	shop := httptest.NewServer(funbiz.NotificationHandler(bank.ShopNo, func(_ context.Context, n funbiz.Notification) error {
		got <- n
		return nil
	}))
	defer shop.Close()

	c := bank.Client()
	r, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo: "T1", Amount: 990, PayType: funbiz.PayTypeCard, PrdtName: "測試",
		ReturnURL: shop.URL + "/return", BackendURL: shop.URL + "/notify",
		Card: &funbiz.CardParams{AutoBilling: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := bank.PayCard(r.OrderNo, sandbox.OutcomeSuccess)
	n := <-got
	if n.PayToken != tok {
		t.Fatalf("notified %q, paid %q", n.PayToken, tok)
	}
	conf, err := c.Confirm(ctx, n.PayToken, funbiz.Expected{OrderNo: "T1", Amount: 990})
	if err != nil || conf.Outcome != funbiz.OutcomePaid {
		t.Fatalf("Confirm: %+v %v", conf, err)
	}
	if d := bank.Deliveries("T1"); len(d) != 1 || d[0].State != "delivered" {
		t.Fatalf("deliveries %+v", d)
	}
}

// The retry path runs in real time, fast: a receiver that fails twice
// gets the notification on the third try.
func TestFastRetries(t *testing.T) {
	bank := funbiztest.New(t, funbiztest.WithKeyID("test-key"))
	var calls atomic.Int32
	done := make(chan struct{})
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		funbiz.WriteAck(w)
		close(done)
	}))
	defer shop.Close()
	c := bank.Client()
	r, err := c.OrderCreate(context.Background(), &funbiz.OrderCreateParams{
		OrderNo: "T2", Amount: 300, PayType: funbiz.PayTypeATM, PrdtName: "轉帳", BackendURL: shop.URL,
		ATM: &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(time.Now().AddDate(0, 0, 3))},
	})
	if err != nil {
		t.Fatal(err)
	}
	bank.Transfer(r.ATM.AtmPayNo, 300)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("no acknowledged delivery after %d calls", calls.Load())
	}
	bank.Sandbox.RunDue()
	if d := bank.Deliveries("T2")[0]; d.State != "delivered" || len(d.Attempts) != 3 {
		t.Fatalf("delivery %+v", d)
	}
}

// Advance moves the bank's clock: an unpaid card page expires.
func TestAdvance(t *testing.T) {
	bank := funbiztest.New(t, funbiztest.WithClock(sandbox.NewManualClock(time.Date(2026, 5, 1, 9, 0, 0, 0, funbiz.Taipei))))
	c := bank.Client()
	ctx := context.Background()
	if _, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: "T3", Amount: 100, PayType: funbiz.PayTypeCard, PrdtName: "x",
		ReturnURL: "https://shop.example/r", Card: &funbiz.CardParams{AutoBilling: true, ExpMinutes: 5}}); err != nil {
		t.Fatal(err)
	}
	bank.Advance(6 * time.Minute)
	info, _, err := c.FindOrder(ctx, "T3")
	if err != nil || info.PayStatus != funbiz.PayStatusCardExpired {
		t.Fatalf("after 6 minutes: %+v %v", info, err)
	}
}

// Outside a test, Start gives the same bank, and a helper that cannot do
// its work panics instead of failing a test.
func TestStart(t *testing.T) {
	bank := funbiztest.Start()
	defer bank.Close()
	if _, _, err := bank.Client().FindOrder(context.Background(), "S1"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("PostReturn of an unknown PayToken did not panic")
		}
	}()
	bank.PostReturn("0123abcd")
}
