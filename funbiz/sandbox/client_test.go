package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// The funbiz client drives every service over real HTTP; its own checks
// (Sign, ShopNo, APIService, amounts) run on every answer.
func TestClientEveryService(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, ack)
	c := r.client()
	ctx := context.Background()

	// ATM order.
	atm, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo: "A1001", Amount: 500, PayType: funbiz.PayTypeATM, PrdtName: "虛擬帳號訂單", Param1: "p1",
		BackendURL: rc.URL, ATM: &funbiz.ATMParams{ExpireDate: "20260305"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if atm.ATM == nil || len(atm.ATM.AtmPayNo) != 14 || !strings.HasPrefix(atm.ATM.AtmPayNo, "99922") {
		t.Fatalf("ATM answer %+v", atm.ATM)
	}
	if !strings.HasPrefix(atm.TSNo, "NA0249") || len(atm.TSNo) != 14 {
		t.Fatalf("TSNo %q", atm.TSNo)
	}
	if !strings.HasPrefix(atm.ATM.WebAtmURL, r.srv.URL+"/_sandbox/atm/"+atm.ATM.AtmPayNo) {
		t.Fatalf("WebAtmURL %q", atm.ATM.WebAtmURL)
	}
	if atm.Description != "S0000 – 處理成功" || atm.Param1 != "p1" {
		t.Fatalf("answer %+v", atm)
	}

	// Card order, authorise only.
	card, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo: "C1001", Amount: 1200, PayType: funbiz.PayTypeCard, PrdtName: "信用卡訂單",
		ReturnURL: "https://shop.example/return", BackendURL: rc.URL,
		Card: &funbiz.CardParams{AutoBilling: false, ExpMinutes: 15},
	})
	if err != nil {
		t.Fatal(err)
	}
	if card.Card == nil || !strings.HasPrefix(card.Card.CardPayURL, r.srv.URL+"/_sandbox/card/") {
		t.Fatalf("card answer %+v", card.Card)
	}

	// Pay both.
	paid, err := r.sb.Transfer(atm.ATM.AtmPayNo, 500, "", "")
	if err != nil {
		t.Fatal(err)
	}
	auth, err := r.sb.PayCard(sandbox.DemoShopNo, "C1001", sandbox.OutcomeSuccess, sandbox.Card{Left: "400022", Right: "1111", Exp: "1230"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	r.sb.RunDue()
	if rc.count() != 2 {
		t.Fatalf("receiver got %d notifications, want 2", rc.count())
	}

	// OrderPayQuery confirms both.
	conf, err := c.Confirm(ctx, paid.PayToken, funbiz.Expected{OrderNo: "A1001", Amount: 500})
	if err != nil || conf.Outcome != funbiz.OutcomePaid {
		t.Fatalf("Confirm ATM: %+v %v", conf, err)
	}
	if p := conf.Result.Payment; p.APType != funbiz.APTypePayOut || p.PayDate != "202603021000" || p.Param1 != "p1" {
		t.Fatalf("ATM payment %+v", p)
	}
	conf, err = c.Confirm(ctx, auth.PayToken, funbiz.Expected{OrderNo: "C1001", Amount: 1200})
	if err != nil || conf.Outcome != funbiz.OutcomePaid || conf.Result.Payment.LeftCCNo != "400022" {
		t.Fatalf("Confirm card: %+v %v", conf, err)
	}

	// OrderQuery by OrderNo, by PayFlag, by date range.
	info, found, err := c.FindOrder(ctx, "A1001")
	if err != nil || !found || info.PayStatus != funbiz.PayStatusATMPaid || info.ATM == nil || info.ATM.BankNo == "" {
		t.Fatalf("FindOrder: %+v %v %v", info, found, err)
	}
	_, found, err = c.FindOrder(ctx, "NOPE")
	if err != nil || found {
		t.Fatalf("FindOrder of an unknown order: found=%v err=%v", found, err)
	}
	q, err := c.OrderQuery(ctx, &funbiz.OrderQueryParams{OrderDateTimeS: "202603020000", OrderDateTimeE: "202603022359"})
	if err != nil || len(q.Orders) != 2 {
		t.Fatalf("OrderQuery by date: %+v %v", q, err)
	}
	q, err = c.OrderQuery(ctx, &funbiz.OrderQueryParams{PayType: funbiz.PayTypeCard, PayFlag: "N"})
	if err != nil || len(q.Orders) != 1 || q.Orders[0].PayStatus != funbiz.PayStatusCardAuthed {
		t.Fatalf("OrderQuery card not captured: %+v %v", q, err)
	}

	// Uncaptured, then capture part, refund part, refund too much.
	u, err := c.OrderUnCapturedQuery(ctx, "")
	if err != nil || len(u.Orders) != 1 || u.Orders[0].OrderNo != "C1001" {
		t.Fatalf("OrderUnCapturedQuery: %+v %v", u, err)
	}
	m, err := c.Capture(ctx, "C1001", 1000)
	if err != nil || m.Amount != 1000 || m.Command != funbiz.CommandCapture {
		t.Fatalf("Capture: %+v %v", m, err)
	}
	if _, err := c.Refund(ctx, &funbiz.RefundParams{OrderNo: "C1001", Amount: 300, Remark: "破損"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Refund(ctx, &funbiz.RefundParams{OrderNo: "C1001", Amount: 800})
	var fe *funbiz.Error
	if !errors.As(err, &fe) || fe.Code != "E0303" {
		t.Fatalf("refund over the captured amount: %v", err)
	}
	m, err = c.Refund(ctx, &funbiz.RefundParams{OrderNo: "C1001", All: true}) // the rest
	if err != nil || m.Amount != 700 {
		t.Fatalf("refund the rest: %+v %v", m, err)
	}

	// BillQuery: today's collections and refunds.
	bill, err := c.BillQuery(ctx, "20260302")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range bill.Items {
		kinds = append(kinds, it.OrderNo+":"+string(it.TSType))
	}
	if got := strings.Join(kinds, " "); got != "A1001:P C1001:P C1001:R C1001:R" {
		t.Fatalf("bill items %s", got)
	}

	// AllotQuery: nothing settles until tomorrow.
	al, err := c.AllotQuery(ctx, &funbiz.AllotParams{AllotDateS: "20260301", AllotDateE: "20260331"})
	if err != nil || len(al.Allots) != 0 {
		t.Fatalf("AllotQuery today: %+v %v", al, err)
	}
	if err := r.sb.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	al, err = c.AllotQuery(ctx, &funbiz.AllotParams{AllotDateS: "20260301", AllotDateE: "20260331"})
	if err != nil || len(al.Allots) != 2 {
		t.Fatalf("AllotQuery tomorrow: %+v %v", al, err)
	}
	a, cd := al.Allots[0], al.Allots[1]
	// The sandbox sends whole numbers in NT$0.01, the documented form.
	if a.PayType != "A" || a.AllotDate != "20260303" || a.PayAmount.Cents != 50000 || a.PayAmount.Doubtful() || a.FeeAmount.Cents != 1500 || a.AllotAmount.Cents != 50000-1500 {
		t.Fatalf("ATM settlement %+v", a)
	}
	if cd.PayAmount.Cents != 100000 || cd.RefundAmount.Cents != 100000 || cd.FeeAmount.Cents != 2500 || len(cd.Items) != 3 || cd.Items[0].TSNo == "" {
		t.Fatalf("card settlement %+v", cd)
	}
}

// A card order's life: decline, pay again, capture refused on AutoBilling
// Y, cancel refused after capture; AutoBilling N: cancel, then no capture.
func TestClientCardRules(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	c := r.client()
	ctx := context.Background()
	create := func(no string, auto bool) {
		t.Helper()
		_, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: no, Amount: 100, PayType: funbiz.PayTypeCard, PrdtName: "x",
			ReturnURL: "https://shop.example/r", Card: &funbiz.CardParams{AutoBilling: auto}})
		if err != nil {
			t.Fatal(err)
		}
	}
	code := func(err error) string {
		var fe *funbiz.Error
		if errors.As(err, &fe) {
			return fe.Code
		}
		return "no code: " + errText(err)
	}
	create("Y1", true)
	d, err := r.sb.PayCard(sandbox.DemoShopNo, "Y1", sandbox.OutcomeDecline, sandbox.Card{}, "test")
	if err != nil || d.Status != "F" {
		t.Fatalf("decline: %+v %v", d, err)
	}
	conf, err := c.Confirm(ctx, d.PayToken, funbiz.Expected{OrderNo: "Y1", Amount: 100})
	if err != nil || conf.Outcome != funbiz.OutcomeFailed {
		t.Fatalf("declined token: %+v %v", conf, err)
	}
	if _, err := r.sb.PayCard(sandbox.DemoShopNo, "Y1", sandbox.OutcomeSuccess, sandbox.Card{}, "test"); err != nil {
		t.Fatalf("pay after decline: %v", err)
	}
	if _, err := r.sb.PayCard(sandbox.DemoShopNo, "Y1", sandbox.OutcomeSuccess, sandbox.Card{}, "test"); err == nil {
		t.Fatal("a paid order was paid again")
	}
	info, _, _ := c.FindOrder(ctx, "Y1")
	if info.PayStatus != funbiz.PayStatusCardCaptured {
		t.Fatalf("AutoBilling Y pays to %s, want 1C400", info.PayStatus)
	}
	if _, err := c.Capture(ctx, "Y1", 0); code(err) != "E0303" {
		t.Fatalf("capture of a captured order: %v", err)
	}
	if _, err := c.CancelAuthorization(ctx, "Y1", ""); code(err) != "E0303" {
		t.Fatalf("cancel after capture: %v", err)
	}

	create("N1", false)
	if _, err := r.sb.PayCard(sandbox.DemoShopNo, "N1", sandbox.OutcomeSuccess, sandbox.Card{}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CancelAuthorization(ctx, "N1", "客戶取消"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Capture(ctx, "N1", 0); code(err) != "E0303" {
		t.Fatalf("capture after cancel: %v", err)
	}
	if _, err := c.Refund(ctx, &funbiz.RefundParams{OrderNo: "N1", All: true}); code(err) != "E0303" {
		t.Fatalf("refund of a cancelled order: %v", err)
	}
	info, _, _ = c.FindOrder(ctx, "N1")
	if info.PayStatus != funbiz.PayStatusCardCanceled {
		t.Fatalf("cancelled order reads %s", info.PayStatus)
	}

	// The card page expires by the sandbox clock.
	create("E1", true)
	r.sb.Advance(11 * time.Minute)
	info, _, _ = c.FindOrder(ctx, "E1")
	if info.PayStatus != funbiz.PayStatusCardExpired {
		t.Fatalf("expired page reads %s", info.PayStatus)
	}
	if _, err := r.sb.PayCard(sandbox.DemoShopNo, "E1", sandbox.OutcomeSuccess, sandbox.Card{}, "test"); err == nil {
		t.Fatal("paid after the page expired")
	}
}

// A scheduled capture (AutoBilling N with ExpBillingDays) happens by the
// sandbox clock and is notified as CaptureOut.
func TestScheduledCapture(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, ack)
	c := r.client()
	ctx := context.Background()
	_, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: "S1", Amount: 250, PayType: funbiz.PayTypeCard, PrdtName: "x",
		ReturnURL: "https://shop.example/r", BackendURL: rc.URL, Card: &funbiz.CardParams{ExpBillingDays: 2}})
	if err != nil {
		t.Fatal(err)
	}
	r.sb.PayCard(sandbox.DemoShopNo, "S1", sandbox.OutcomeSuccess, sandbox.Card{}, "test")
	r.sb.RunDue()
	<-rc.got
	r.sb.Advance(47 * time.Hour)
	if rc.count() != 0 {
		t.Fatal("captured early")
	}
	r.sb.Advance(time.Hour)
	n := <-rc.got
	res, err := c.OrderPayQuery(ctx, n.PayToken)
	if err != nil || res.Payment.APType != funbiz.APTypeCaptureOut || res.Payment.PayDate != "202603041000" {
		t.Fatalf("capture notification: %+v %v", res, err)
	}
}

// The client's own retry on a refused nonce works against the sandbox, and
// the chaos modes look to the client as the real failures would.
func TestClientChaos(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	c := r.client()
	ctx := context.Background()
	mk := func(no string) error {
		_, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: no, Amount: 100, PayType: funbiz.PayTypeATM, PrdtName: "x", ATM: &funbiz.ATMParams{ExpireDate: "20260310"}})
		return err
	}
	if err := r.sb.ArmChaos(sandbox.ChaosInput{API: "nonce-expired", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := mk("N1"); err != nil {
		t.Fatalf("one refused nonce should be retried by the client: %v", err)
	}
	r.sb.ArmChaos(sandbox.ChaosInput{API: "nonce-expired", Count: 2})
	if err := mk("N2"); !errors.Is(err, funbiz.ErrNonceExpired) {
		t.Fatalf("two refused nonces: %v", err)
	}
	r.sb.ArmChaos(sandbox.ChaosInput{API: "500"})
	if err := mk("N3"); !errors.Is(err, funbiz.ErrTransport) {
		t.Fatalf("500: %v", err)
	}
	if _, found, _ := c.FindOrder(ctx, "N3"); found {
		t.Fatal("a 500 created the order")
	}
	r.sb.ArmChaos(sandbox.ChaosInput{API: "garbage"})
	if err := mk("N4"); !errors.Is(err, funbiz.ErrMalformedResponse) {
		t.Fatalf("garbage: %v", err)
	}
	// hang: the order is made, the answer never comes; the client gives up.
	r.sb.ArmChaos(sandbox.ChaosInput{API: "hang"})
	hctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := c.OrderCreate(hctx, &funbiz.OrderCreateParams{OrderNo: "N5", Amount: 100, PayType: funbiz.PayTypeATM, PrdtName: "x", ATM: &funbiz.ATMParams{ExpireDate: "20260310"}})
	cancel()
	if !errors.Is(err, funbiz.ErrTransport) {
		t.Fatalf("hang: %v", err)
	}
	if _, found, err := c.FindOrder(ctx, "N5"); !found || err != nil {
		t.Fatalf("after a hang the order must exist (found=%v, %v)", found, err)
	}
}

func errText(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// OrderQuery answers at most 300 orders.
func TestOrderQueryCap(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	c := r.client()
	ctx := context.Background()
	for i := range 301 {
		if _, err := c.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: fmt.Sprintf("Q%03d", i), Amount: 100, PayType: funbiz.PayTypeATM, PrdtName: "x", ATM: &funbiz.ATMParams{ExpireDate: "20260310"}}); err != nil {
			t.Fatal(err)
		}
	}
	q, err := c.OrderQuery(ctx, &funbiz.OrderQueryParams{PayType: funbiz.PayTypeATM})
	if err != nil || len(q.Orders) != funbiz.MaxOrderQueryRows || q.Orders[0].OrderNo != "Q000" {
		t.Fatalf("OrderQuery: %d rows, %v", len(q.Orders), err)
	}
}
