package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// Paid orders show 400 in OrderQuery until their settlement (撥款) is due
// the next day (Taiwan time), and 900 from then on, the day AllotQuery
// lists them; a refund after the settlement keeps the order at 900.
func TestSettledOrdersShow900(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewManualClock(start) // 2026-03-02 10:00 Taipei
	r := newRig(t, sandbox.Options{Clock: clock})
	c := r.client()
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("S1")); a.Status != "S" {
		t.Fatal(a.Description)
	}
	r.createCard("S2", "https://shop.example/notify")
	atm := r.sb.Orders(sandbox.Filter{OrderNo: "S1"}, "")[0].AtmPayNo
	if _, err := r.sb.Transfer(atm, 100, "", ""); err != nil {
		t.Fatal(err)
	}
	r.pay("S2", sandbox.OutcomeSuccess)

	status := func(no string) funbiz.PayStatus {
		t.Helper()
		info, found, err := c.FindOrder(ctx, no)
		if err != nil || !found {
			t.Fatalf("OrderQuery %s: %v %v", no, found, err)
		}
		return info.PayStatus
	}
	allots := func() int {
		t.Helper()
		res, err := c.AllotQuery(ctx, &funbiz.AllotParams{AllotDateS: "20260301", AllotDateE: "20260331"})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Allots)
	}
	if s1, s2 := status("S1"), status("S2"); s1 != funbiz.PayStatusATMPaid || s2 != funbiz.PayStatusCardCaptured || allots() != 0 {
		t.Fatalf("on the day of payment: %s %s, %d settlements", s1, s2, allots())
	}
	// One minute before midnight in Taipei: not yet.
	clock.Advance(13*time.Hour + 59*time.Minute)
	if s1 := status("S1"); s1 != funbiz.PayStatusATMPaid {
		t.Fatalf("before the settlement day: %s", s1)
	}
	clock.Advance(time.Minute)
	if s1, s2 := status("S1"), status("S2"); s1 != funbiz.PayStatusATMSettled || s2 != funbiz.PayStatusCardSettled || !s1.Settled() || !s1.Paid() {
		t.Fatalf("on the settlement day: %s %s", s1, s2)
	}
	if n := allots(); n != 2 {
		t.Fatalf("%d settlements on the settlement day, want one per pay type", n)
	}
	if _, err := c.Refund(ctx, &funbiz.RefundParams{OrderNo: "S2", Amount: 40, Remark: "after the settlement"}); err != nil {
		t.Fatal(err)
	}
	if s2 := status("S2"); s2 != funbiz.PayStatusCardSettled {
		t.Fatalf("a refund after the settlement moved the order to %s", s2)
	}
}

// No ATM ceiling: the bank's own sandbox created and paid an ATM order of
// NT$94,403 (PROTOCOL §8.3, §10); neither the client nor the sandbox may
// refuse one.
func TestLargeATMOrder(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, sandbox.Options{})
	c := r.client()
	res, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: "BIG1", Amount: 94403, PayType: funbiz.PayTypeATM,
		PrdtName: "大額訂單", ATM: &funbiz.ATMParams{ExpireDate: "20260310"}})
	if err != nil {
		t.Fatal(err)
	}
	paid, err := r.sb.Transfer(res.ATM.AtmPayNo, 94403, "", "")
	if err != nil {
		t.Fatal(err)
	}
	pay, err := c.OrderPayQuery(ctx, paid.PayToken)
	if err != nil || pay.Payment.Amount != 94403 || pay.Payment.Status != funbiz.StatusSuccess {
		t.Fatalf("OrderPayQuery: %+v %v", pay, err)
	}
}
