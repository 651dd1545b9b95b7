package sandbox_test

import (
	"context"
	"html"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// A mismatch rule makes the bank's signed answers about an order's next
// payment disagree with the order in exactly one field: OrderPayQuery's
// TSResultContent, and OrderQuery about the order from then on. The
// client verifies every Sign; the rest of each answer still describes
// the real payment, the other orders are answered truly, the views show
// the truth beside what is misreported, and the rule strikes once.
func TestMismatchChaos(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		mode, other string
		// check looks at the answers about C1's payment and about C1.
		check func(t *testing.T, pay *funbiz.PayResult, q *funbiz.OrderQueryResult)
		view  sandbox.Misreport
	}{
		{"amount", "", func(t *testing.T, pay *funbiz.PayResult, q *funbiz.OrderQueryResult) {
			if p := pay.Payment; p.Amount != 101 || p.OrderNo != "C1" || p.ShopNo != sandbox.DemoShopNo {
				t.Errorf("OrderPayQuery: %+v, want NT$101 for C1 of %s", p, sandbox.DemoShopNo)
			}
			if len(q.Orders) != 1 || q.Orders[0].Amount != 101 || q.Orders[0].OrderNo != "C1" || q.ShopNo != sandbox.DemoShopNo {
				t.Errorf("OrderQuery: %+v, want C1 at NT$101", q)
			}
		}, sandbox.Misreport{Mode: "amount", Amount: 101}},
		{"shop", "", func(t *testing.T, pay *funbiz.PayResult, q *funbiz.OrderQueryResult) {
			if p := pay.Payment; p.ShopNo != "NA0249_002" || pay.ShopNo != sandbox.DemoShopNo || p.OrderNo != "C1" || p.Amount != 100 {
				t.Errorf("OrderPayQuery: answer's ShopNo %s, payment %+v; want the payment filed under NA0249_002", pay.ShopNo, p)
			}
			if len(q.Orders) != 1 || q.ShopNo != "NA0249_002" || q.Orders[0].OrderNo != "C1" || q.Orders[0].Amount != 100 {
				t.Errorf("OrderQuery: %+v, want C1 answered as NA0249_002's", q)
			}
		}, sandbox.Misreport{Mode: "shop", Other: "NA0249_002"}},
		{"order", "", func(t *testing.T, pay *funbiz.PayResult, q *funbiz.OrderQueryResult) {
			if p := pay.Payment; p.OrderNo != "C0" || p.TSNo != "NA024900000002" || p.Amount != 100 || p.ShopNo != sandbox.DemoShopNo {
				t.Errorf("OrderPayQuery: %+v, want C1's payment (TSNo NA024900000002) named C0", p)
			}
			if len(q.Orders) != 1 || q.Orders[0].OrderNo != "C0" || q.Orders[0].TSNo != "NA024900000002" || !q.Orders[0].PayStatus.Paid() {
				t.Errorf("OrderQuery about C1: %+v, want C1's paid row named C0", q)
			}
		}, sandbox.Misreport{Mode: "order", Other: "C0"}},
		{"order", "K404", func(t *testing.T, pay *funbiz.PayResult, q *funbiz.OrderQueryResult) {
			if p := pay.Payment; p.OrderNo != "K404" || p.TSNo != "NA024900000002" {
				t.Errorf("OrderPayQuery: %+v, want C1's payment named K404", p)
			}
			if len(q.Orders) != 1 || q.Orders[0].OrderNo != "K404" {
				t.Errorf("OrderQuery about C1: %+v, want its row named K404", q)
			}
		}, sandbox.Misreport{Mode: "order", Other: "K404"}},
	} {
		t.Run(c.mode+c.other, func(t *testing.T) {
			r := newRig(t, sandbox.Options{})
			rc := newReceiver(t, ack)
			cl := r.client()
			cc := sandbox.NewControlClient(r.srv.URL, r.srv.Client())
			r.createCard("C0", rc.URL)
			r.createCard("C1", rc.URL)
			armed, err := cc.ArmChaos(ctx, sandbox.ChaosInput{OrderNo: "C1", Mismatch: c.mode, Other: c.other})
			if err != nil || len(armed.Mismatch) != 1 || armed.Mismatch[0] != (sandbox.ChaosRule{ShopNo: sandbox.DemoShopNo, OrderNo: "C1", Mode: c.mode, Other: c.other}) {
				t.Fatalf("ArmChaos: %+v %v", armed, err)
			}
			tok := r.pay("C1", sandbox.OutcomeSuccess)
			if v, _ := cc.Chaos(ctx); len(v.Mismatch) != 0 {
				t.Fatalf("the rule is still armed after the payment: %+v", v.Mismatch)
			}
			// Asked twice, the same wrong answer: it is the bank's record now.
			for range 2 {
				pay, err := cl.OrderPayQuery(ctx, tok)
				if err != nil {
					t.Fatalf("OrderPayQuery: %v", err)
				}
				q, err := cl.OrderQuery(ctx, &funbiz.OrderQueryParams{OrderNo: "C1"})
				if err != nil {
					t.Fatalf("OrderQuery: %v", err)
				}
				c.check(t, pay, q)
			}
			// The other order is answered as it is: unpaid, its own.
			if info, found, err := cl.FindOrder(ctx, "C0"); err != nil || !found || info.PayStatus.Paid() || info.TSNo != "NA024900000001" {
				t.Errorf("C0: %+v %v %v", info, found, err)
			}
			// The views tell the truth, and what the answers say instead.
			pays, _ := cc.Payments(ctx, sandbox.Filter{OrderNo: "C1"})
			o, _ := cc.Order(ctx, "", "C1")
			if len(pays) != 1 || pays[0].OrderNo != "C1" || pays[0].Amount != 100 || pays[0].Misreport == nil || *pays[0].Misreport != c.view {
				t.Errorf("payment view %+v, want the truth and %+v", pays, c.view)
			}
			if o.Amount != 100 || o.Misreport == nil || *o.Misreport != c.view {
				t.Errorf("order view %+v, want the truth and %+v", o, c.view)
			}
			if c0, _ := cc.Order(ctx, "", "C0"); c0.Misreport != nil {
				t.Errorf("C0 is misreported too: %+v", c0.Misreport)
			}
			// The notification is the bank's usual one.
			if n := <-rc.got; n.PayToken != tok || n.ShopNo != sandbox.DemoShopNo {
				t.Errorf("notification %+v", n)
			}
		})
	}
}

// The rule strikes the order's next payment whatever its outcome: a
// declined attempt takes it, and the payment after is told truly (while
// OrderQuery keeps misreporting the order).
func TestMismatchStrikesOnce(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, ack)
	cl := r.client()
	r.createCard("C1", rc.URL)
	if err := r.sb.ArmChaos(sandbox.ChaosInput{OrderNo: "C1", Mismatch: "amount"}); err != nil {
		t.Fatal(err)
	}
	declined := r.pay("C1", sandbox.OutcomeDecline)
	paid := r.pay("C1", sandbox.OutcomeSuccess)
	if p, err := cl.OrderPayQuery(ctx, declined); err != nil || p.Payment.Amount != 101 || p.Payment.Succeeded() {
		t.Fatalf("declined attempt: %+v %v", p, err)
	}
	if p, err := cl.OrderPayQuery(ctx, paid); err != nil || p.Payment.Amount != 100 || !p.Payment.Succeeded() {
		t.Fatalf("payment after: %+v %v", p, err)
	}
	if info, _, err := cl.FindOrder(ctx, "C1"); err != nil || info.Amount != 101 {
		t.Fatalf("OrderQuery: %+v %v", info, err)
	}
	// The dashboard has the rule's form and flags what is misreported.
	status, body := get(t, r.browser(), r.srv.URL+"/_sandbox/?lang=en")
	checkPage(t, body)
	for _, want := range []string{`name="Mismatch"`, `name="Other"`, "Bank answers: another amount NT$101"} {
		if status != 200 || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("dashboard (%d) lacks %q", status, want)
		}
	}
}

// What a rule did is part of the bank's records: after a restart on the
// same database the PayToken is answered as wrongly as before.
func TestMismatchSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	store := newKeptStore()
	r1 := newRig(t, sandbox.Options{Store: store})
	rc := newReceiver(t, ack)
	r1.createCard("C1", rc.URL)
	r1.sb.ArmChaos(sandbox.ChaosInput{OrderNo: "C1", Mismatch: "order", Other: "K2"})
	tok := r1.pay("C1", sandbox.OutcomeSuccess)
	r1.sb.Close()

	r2 := newRig(t, sandbox.Options{Store: store})
	if p, err := r2.client().OrderPayQuery(ctx, tok); err != nil || p.Payment.OrderNo != "K2" {
		t.Fatalf("after a restart: %+v %v", p, err)
	}
	if _, found, err := r2.client().FindOrder(ctx, "C1"); err != nil || found {
		t.Fatalf("OrderQuery about C1 after a restart: found %v, %v", found, err)
	}
}

// A rule that could not be a wrong answer is refused.
func TestMismatchChaosRefused(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	for _, bad := range []map[string]any{
		{"Mismatch": "tsno"},
		{"Mismatch": "amount", "Other": "K2"},
		{"Other": "K2"},
		{"Mismatch": "shop", "Other": sandbox.DemoShopNo},
		{"Mismatch": "shop", "Other": "nope"},
		{"Mismatch": "order", "OrderNo": "C1", "Other": "C1"},
		{"Mismatch": "order", "Other": "K 2"},
	} {
		var e errorBody
		if st := r.control("POST", "/_sandbox/chaos", bad, &e); st != 400 || e.Error == "" {
			t.Errorf("chaos %v: %d %+v", bad, st, e)
		}
	}
	var v sandbox.ChaosView
	if r.control("GET", "/_sandbox/chaos", nil, &v); len(v.Mismatch) != 0 {
		t.Fatalf("a refused rule was armed: %+v", v.Mismatch)
	}
}
