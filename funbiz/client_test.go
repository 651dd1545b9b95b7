package funbiz

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"mime"
	"slices"
	"strings"
	"testing"
)

func atmParams(orderNo string, amount int64) *OrderCreateParams {
	return &OrderCreateParams{
		OrderNo: orderNo, Amount: amount, PayType: PayTypeATM, PrdtName: "抹茶狗骨頭禮盒",
		ReturnURL: "https://shop.example.com/funbiz/return", BackendURL: "https://shop.example.com/funbiz/notify",
		ATM: &ATMParams{ExpireDate: "20240131"},
	}
}

func cardParams(orderNo string, amount int64, autoBilling bool) *OrderCreateParams {
	return &OrderCreateParams{
		OrderNo: orderNo, Amount: amount, PayType: PayTypeCard, PrdtName: "信用卡訂單",
		ReturnURL: "https://shop.example.com/funbiz/return", BackendURL: "https://shop.example.com/funbiz/notify",
		Card: &CardParams{AutoBilling: autoBilling, PayTypeSub: "ONE"},
	}
}

// wantFields checks the decrypted request: exactly these top-level
// members, with these texts (numbers as their literal).
func wantFields(t *testing.T, c *bankCall, want map[string]string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(c.Msg))
	if names := slices.Sorted(maps.Keys(want)); !slices.Equal(got, names) {
		t.Errorf("%s message members\n got %v\nwant %v", c.Env.APIService, got, names)
	}
	for name, v := range want {
		if g := c.str(name); g != v {
			t.Errorf("%s message %s = %q, want %q", c.Env.APIService, name, g, v)
		}
	}
}

// wantTransportHeaders checks what every request must carry (PROTOCOL §1.3).
func wantTransportHeaders(t *testing.T, c *bankCall) {
	t.Helper()
	if got := c.Header.Get("X-KeyID"); got != testKeyID {
		t.Errorf("%s: X-KeyID = %q, want %q", c.Path, got, testKeyID)
	}
	mt, _, err := mime.ParseMediaType(c.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json", c.Path, c.Header.Get("Content-Type"))
	}
	if c.Path == "/Order" {
		if c.Env.Version != "1.0.0" || c.Env.ShopNo != testShopNo {
			t.Errorf("envelope Version %q ShopNo %q", c.Env.Version, c.Env.ShopNo)
		}
		if !c.NonceOK {
			t.Errorf("%s was sent with a nonce the bank did not issue or had seen before", c.Env.APIService)
		}
	}
}

func TestNonceCall(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	n1, err := c.Nonce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n2, err := c.Nonce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(n1) != 108 || n1 == n2 {
		t.Fatalf("nonces %q, %q: want two different 108-character tokens", n1, n2)
	}
	if _, err := base64.StdEncoding.DecodeString(n1); err != nil {
		t.Fatalf("nonce is not base64: %v", err)
	}
	b.mu.Lock()
	call := b.calls[0]
	b.mu.Unlock()
	wantTransportHeaders(t, call)
	if string(call.Body) != `{"ShopNo":"NA0249_001"}` {
		t.Fatalf("/Nonce body = %s", call.Body)
	}
}

func TestOrderCreateATM(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	p := atmParams("A202401150001", 1200)
	p.Memo, p.Param1 = "週末出貨", "cust-42"
	r, err := c.OrderCreate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if r.OrderNo != p.OrderNo || r.Amount != 1200 || r.PayType != PayTypeATM || r.Status != "S" || r.TSNo != "NA024900000001" || r.Param1 != "cust-42" {
		t.Errorf("result %+v", r)
	}
	if r.ATM == nil || r.ATM.AtmPayNo != "99922000000001" || !strings.Contains(r.ATM.WebAtmURL, "PayWebATM?TD=NA024900000001") || r.ATM.OtpURL == "" {
		t.Errorf("ATM account %+v", r.ATM)
	}
	if r.Card != nil {
		t.Errorf("ATM order has a card page: %+v", r.Card)
	}
	call := b.lastOrderCall()
	wantTransportHeaders(t, call)
	if call.Env.APIService != ServiceOrderCreate {
		t.Errorf("APIService = %q", call.Env.APIService)
	}
	wantFields(t, call, map[string]string{
		"ShopNo": testShopNo, "OrderNo": "A202401150001", "Amount": "120000", "CurrencyID": "TWD", "PayType": "A",
		"ATMParam": `{"ExpireDate":"20240131"}`, "CardParam": "{}", "PrdtName": "抹茶狗骨頭禮盒", "Memo": "週末出貨",
		"Param1": "cust-42", "ReturnURL": "https://shop.example.com/funbiz/return", "BackendURL": "https://shop.example.com/funbiz/notify",
	})
	if !call.isNumber("Amount") {
		t.Errorf("Amount is sent as %T, want a JSON number", call.Msg["Amount"])
	}
	if nonces, orders := b.hits(); nonces != 1 || orders != 1 {
		t.Errorf("bank hits: %d nonce, %d order; want 1, 1", nonces, orders)
	}
}

func TestOrderCreateCard(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)

	p := cardParams("C202401150001", 880, false)
	p.Card.ExpBillingDays = 3
	r, err := c.OrderCreate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Card == nil || !strings.HasPrefix(r.Card.CardPayURL, "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayCard?TD=") || r.ATM != nil {
		t.Errorf("card result %+v, card %+v", r, r.Card)
	}
	call := b.lastOrderCall()
	wantTransportHeaders(t, call)
	wantFields(t, call, map[string]string{
		"ShopNo": testShopNo, "OrderNo": "C202401150001", "Amount": "88000", "CurrencyID": "TWD", "PayType": "C",
		"ATMParam": "{}", "CardParam": `{"AutoBilling":"N","ExpBillingDays":3,"PayTypeSub":"ONE"}`,
		"PrdtName": "信用卡訂單", "ReturnURL": "https://shop.example.com/funbiz/return", "BackendURL": "https://shop.example.com/funbiz/notify",
	})

	// ExpMinutes 0 is left out so the bank applies its default, and
	// AutoBilling true goes as "Y".
	p = cardParams("C202401150002", 1, true)
	p.Card.ExpMinutes = 30
	if _, err := c.OrderCreate(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if got := b.lastOrderCall().str("CardParam"); got != `{"AutoBilling":"Y","ExpMinutes":30,"PayTypeSub":"ONE"}` {
		t.Errorf("CardParam = %s", got)
	}
	if got := b.lastOrderCall().str("Amount"); got != "100" {
		t.Errorf("NT$1 went out as Amount %s, want 100", got)
	}
}

func TestOrderQueryAndFindOrder(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	ctx := t.Context()
	for _, p := range []*OrderCreateParams{atmParams("A1", 100), atmParams("A2", 200), cardParams("C1", 300, true)} {
		if _, err := c.OrderCreate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	b.pay("A2")

	o, found, err := c.FindOrder(ctx, "A2")
	if err != nil || !found {
		t.Fatalf("FindOrder A2: found %v, err %v", found, err)
	}
	if o.Amount != 200 || o.PayStatus != PayStatusATMPaid || !o.PayStatus.Paid() || o.PayDate != fakeDate ||
		o.ATM == nil || o.ATM.AtmPayNo == "" || o.ATM.BankNo != "807" || o.ExpireDate != "202401312359" {
		t.Errorf("A2 = %+v, ATM %+v", o, o.ATM)
	}
	call := b.lastOrderCall()
	wantTransportHeaders(t, call)
	wantFields(t, call, map[string]string{"ShopNo": testShopNo, "OrderNo": "A2"})

	if _, found, err := c.FindOrder(ctx, "NOPE"); err != nil || found {
		t.Fatalf("FindOrder of an unknown order: found %v, err %v", found, err)
	}

	r, err := c.OrderQuery(ctx, &OrderQueryParams{PayType: PayTypeATM, PayFlag: "N",
		OrderDateTimeS: "202401010000", OrderDateTimeE: "202401312359"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Orders) != 1 || r.Orders[0].OrderNo != "A1" || r.Orders[0].PayStatus.Paid() || r.Status != "S" || r.Date != fakeDate {
		t.Errorf("unpaid ATM orders = %+v", r)
	}
	wantFields(t, b.lastOrderCall(), map[string]string{"ShopNo": testShopNo, "PayType": "A", "PayFlag": "N",
		"OrderDateTimeS": "202401010000", "OrderDateTimeE": "202401312359"})

	r, err = c.OrderQuery(ctx, &OrderQueryParams{PayDateTimeS: "202401150000", PayDateTimeE: "202401152359"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Orders) != 3 {
		t.Errorf("all orders: %d rows", len(r.Orders))
	}
	if card := r.Orders[2]; card.PayType != PayTypeCard || card.Card == nil || card.Card.CardPayURL == "" || card.Amount != 300 {
		t.Errorf("card row %+v", card)
	}
}

func TestOrderPayQuery(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	ctx := t.Context()
	if _, err := c.OrderCreate(ctx, cardParams("C7", 1500, true)); err != nil {
		t.Fatal(err)
	}
	token := b.pay("C7")
	r, err := c.OrderPayQuery(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Payment
	if r.PayToken != token || r.ShopNo != testShopNo || r.Status != "S" ||
		p.APType != APTypePayOut || p.OrderNo != "C7" || p.Amount != 1500 || p.Status != "S" || !p.Succeeded() ||
		p.PayType != PayTypeCard || p.LeftCCNo != "400361" || p.RightCCNo != "7729" || p.PayDate != fakeDate {
		t.Errorf("pay result %+v", r)
	}
	call := b.lastOrderCall()
	wantTransportHeaders(t, call)
	wantFields(t, call, map[string]string{"ShopNo": testShopNo, "PayToken": token})

	// The bank's own example (PROTOCOL §8.3): TSResultContent.Amount is a
	// string of cents.
	b.addToken("8ab3058e0c9", map[string]any{"APType": "PayOut", "TSNo": "NA024900000479", "OrderNo": "A202110235940",
		"ShopNo": testShopNo, "PayType": "A", "Amount": "9440300", "Status": "S", "Description": "", "PayDate": "202110022130"})
	r, err = c.OrderPayQuery(ctx, "8ab3058e0c9")
	if err != nil {
		t.Fatal(err)
	}
	if r.Payment.Amount != 94403 || r.Payment.TSNo != "NA024900000479" {
		t.Errorf("sandbox example read as %+v", r.Payment)
	}

	_, err = c.OrderPayQuery(ctx, "ffff")
	var e *Error
	if !errors.Is(err, ErrBankRefused) || !errors.As(err, &e) || e.Code != "E0301" || e.Service != ServiceOrderPayQuery {
		t.Errorf("unknown token: %v", err)
	}
}

func TestOrderMaintain(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	ctx := t.Context()
	for _, no := range []string{"C1", "C2", "C3"} {
		if _, err := c.OrderCreate(ctx, cardParams(no, 1000, false)); err != nil {
			t.Fatal(err)
		}
		b.pay(no)
	}

	u, err := c.OrderUnCapturedQuery(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Orders) != 3 || u.Orders[0].PayStatus != PayStatusCardAuthed || u.Orders[0].Card.AuthCode != "A12345" {
		t.Fatalf("uncaptured = %+v", u)
	}
	wantFields(t, b.lastOrderCall(), map[string]string{"ShopNo": testShopNo})
	if u, err = c.OrderUnCapturedQuery(ctx, "C2"); err != nil || len(u.Orders) != 1 || u.Orders[0].OrderNo != "C2" {
		t.Fatalf("uncaptured C2 = %+v, %v", u, err)
	}
	wantFields(t, b.lastOrderCall(), map[string]string{"ShopNo": testShopNo, "OrderNo": "C2"})

	// Capture of the whole authorisation: no Amount on the wire.
	m, err := c.Capture(ctx, "C1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Command != CommandCapture || m.Amount != 1000 || m.OrderNo != "C1" || m.TSNo == "" || m.Date != fakeDate {
		t.Errorf("capture = %+v", m)
	}
	call := b.lastOrderCall()
	wantTransportHeaders(t, call)
	wantFields(t, call, map[string]string{"ShopNo": testShopNo, "OrderNo": "C1", "Command": "P"})

	// A partial capture is sent ×100.
	if m, err = c.Capture(ctx, "C3", 600); err != nil || m.Amount != 600 {
		t.Fatalf("partial capture = %+v, %v", m, err)
	}
	wantFields(t, b.lastOrderCall(), map[string]string{"ShopNo": testShopNo, "OrderNo": "C3", "Command": "P", "Amount": "60000"})

	if m, err = c.CancelAuthorization(ctx, "C2", "客戶取消"); err != nil || m.Command != CommandCancel {
		t.Fatalf("cancel = %+v, %v", m, err)
	}
	wantFields(t, b.lastOrderCall(), map[string]string{"ShopNo": testShopNo, "OrderNo": "C2", "Command": "C", "Remark": "客戶取消"})

	if m, err = c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: 300, Remark: "顧客退貨"}); err != nil || m.Amount != 300 || m.Command != CommandRefund {
		t.Fatalf("refund = %+v, %v", m, err)
	}
	call = b.lastOrderCall()
	wantFields(t, call, map[string]string{"ShopNo": testShopNo, "OrderNo": "C1", "Command": "R", "Amount": "30000", "Remark": "顧客退貨"})
	if !call.isNumber("Amount") {
		t.Errorf("refund Amount sent as %T", call.Msg["Amount"])
	}

	// Refund of the rest with OrderMaintain itself.
	if m, err = c.OrderMaintain(ctx, &OrderMaintainParams{OrderNo: "C1", Command: CommandRefund}); err != nil || m.Amount != 700 {
		t.Fatalf("refund rest = %+v, %v", m, err)
	}

	if u, err = c.OrderUnCapturedQuery(ctx, ""); err != nil || len(u.Orders) != 0 {
		t.Fatalf("after capture and cancel, uncaptured = %+v, %v", u, err)
	}

	// The bank refuses a refund of a cancelled authorisation.
	_, err = c.Refund(ctx, &RefundParams{OrderNo: "C2", All: true})
	var e *Error
	if !errors.Is(err, ErrBankRefused) || !errors.As(err, &e) || e.Code != "E0402" || e.Service != ServiceOrderMaintain {
		t.Fatalf("refund of a cancelled order: %v", err)
	}
}

func TestBillAndAllotQuery(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	ctx := t.Context()
	p := atmParams("A1", 1234)
	p.Param1 = "cust-7"
	for _, p := range []*OrderCreateParams{p, cardParams("C1", 1000, true), atmParams("A9", 50)} {
		if _, err := c.OrderCreate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	b.pay("A1")
	b.pay("C1")
	if _, err := c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: 250}); err != nil {
		t.Fatal(err)
	}

	bill, err := c.BillQuery(ctx, "20240115")
	if err != nil {
		t.Fatal(err)
	}
	wantFields(t, b.lastOrderCall(), map[string]string{"ShopNo": testShopNo, "BillDate": "20240115"})
	want := []BillItem{
		{TSNo: "NA024900000001", OrderNo: "A1", TSType: "P", TSDate: fakeDate, PayDate: fakeDate, PayType: PayTypeATM, Amount: 1234, Param1: "cust-7"},
		{TSNo: "NA024900000002", OrderNo: "C1", TSType: "P", TSDate: fakeDate, PayDate: fakeDate, PayType: PayTypeCard, Amount: 1000},
		{TSNo: "NA024900000002", OrderNo: "C1", TSType: "R", TSDate: fakeDate, PayDate: fakeDate, PayType: PayTypeCard, Amount: 250},
	}
	if bill.BillDate != "20240115" || !slices.Equal(bill.Items, want) {
		t.Errorf("bill = %+v\nwant items %+v", bill, want)
	}

	allot, err := c.AllotQuery(ctx, &AllotParams{AllotDateS: "20240101", AllotDateE: "20240116", PayType: PayTypeATM})
	if err != nil {
		t.Fatal(err)
	}
	wantFields(t, b.lastOrderCall(), map[string]string{"ShopNo": testShopNo, "AllotDateS": "20240101", "AllotDateE": "20240116", "PayType": "A"})
	if len(allot.Allots) != 1 {
		t.Fatalf("allot = %+v", allot)
	}
	a := allot.Allots[0]
	// 2.75% of NT$1234 is NT$33.935: the fee keeps its cents.
	if a.AllotDate != "20240116" || a.PayAmount.Cents != 123400 || a.FeeAmount.Cents != 3393 || a.AllotAmount.Cents != 123400-3393 ||
		a.PayAmount.Doubtful() || len(a.Items) != 1 || a.Items[0].OrderNo != "A1" || a.Items[0].Amount.Cents != 123400 || a.Items[0].Fee.Cents != 3393 {
		t.Errorf("settlement %+v", a)
	}
	if allot, err = c.AllotQuery(ctx, &AllotParams{AllotDateS: "20240101", AllotDateE: "20240116"}); err != nil || len(allot.Allots[0].Items) != 2 {
		t.Fatalf("allot of all pay types = %+v, %v", allot, err)
	}
	if _, ok := b.lastOrderCall().get("PayType"); ok {
		t.Errorf("an empty PayType filter went on the wire")
	}
}

func TestConfirmAgainstBank(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	ctx := t.Context()
	for _, p := range []*OrderCreateParams{cardParams("C1", 990, true), cardParams("C2", 990, true), cardParams("C3", 10, true)} {
		if _, err := c.OrderCreate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	paid := b.pay("C1")
	declined := b.failPayment("C2")
	other := b.pay("C3")

	for _, tc := range []struct {
		name  string
		token string
		want  Expected
		out   Outcome
	}{
		{"paid", paid, Expected{OrderNo: "C1", Amount: 990}, OutcomePaid},
		{"declined", declined, Expected{OrderNo: "C2", Amount: 990}, OutcomeFailed},
		{"another order's token", other, Expected{OrderNo: "C1", Amount: 990}, OutcomeMismatch},
		{"another amount", paid, Expected{OrderNo: "C1", Amount: 99}, OutcomeMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := c.Confirm(ctx, tc.token, tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if conf.Outcome != tc.out || conf.Result == nil || conf.Result.PayToken != tc.token {
				t.Fatalf("outcome %v (%s), want %v", conf.Outcome, conf.Reason, tc.out)
			}
			if tc.out != OutcomePaid && conf.Reason == "" {
				t.Fatalf("%v without a reason", conf.Outcome)
			}
		})
	}

	// A token the bank does not know leaves the verdict unknown.
	if _, err := c.Confirm(ctx, strings.Repeat("0", 64), Expected{OrderNo: "C1", Amount: 990}); !errors.Is(err, ErrBankRefused) {
		t.Fatalf("unknown token: %v", err)
	}
	// A malformed token never reaches the bank.
	_, before := b.hits()
	if _, err := c.Confirm(ctx, "not a token", Expected{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("malformed token: %v", err)
	}
	if _, after := b.hits(); after != before {
		t.Fatal("a malformed token was sent to the bank")
	}
}

// A client is shared by request handlers: concurrent calls must each use
// their own nonce and get their own answer.
func TestConcurrentCalls(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			no := "A" + strings.Repeat("0", 3) + string(rune('A'+i))
			r, err := c.OrderCreate(context.Background(), atmParams(no, int64(100+i)))
			if err == nil && (r.OrderNo != no || r.Amount != int64(100+i)) {
				err = errors.New("answer for another call: " + r.OrderNo)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for _, call := range b.orderCalls() {
		if !call.NonceOK {
			t.Errorf("%s reused a nonce", call.str("OrderNo"))
		}
	}
}
