package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

type errorBody struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

func TestControlClock(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	var c sandbox.ClockView
	if st := r.control("GET", "/_sandbox/clock", nil, &c); st != 200 || c.Wire != "202603021000" {
		t.Fatalf("clock: %d %+v", st, c)
	}
	if st := r.control("POST", "/_sandbox/clock/advance", map[string]string{"By": "1d"}, &c); st != 200 || c.Wire != "202603031000" || c.Offset != "24h0m0s" {
		t.Fatalf("advance 1d: %d %+v", st, c)
	}
	for _, bad := range []any{map[string]string{"By": "-1m"}, map[string]string{"By": "soon"}, map[string]string{}, map[string]string{"Bye": "1m"}, nil} {
		var e errorBody
		if st := r.control("POST", "/_sandbox/clock/advance", bad, &e); st != 400 || e.Error == "" {
			t.Fatalf("advance %v: %d %+v", bad, st, e)
		}
	}
}

func TestControlCardPay(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	r.createCard("C1", "https://shop.example/notify")
	var res sandbox.PayResult
	if st := r.control("POST", "/_sandbox/card/pay", map[string]string{"OrderNo": "C1", "Outcome": "decline"}, &res); st != 200 || res.Status != "F" || len(res.PayToken) != 64 {
		t.Fatalf("decline: %d %+v", st, res)
	}
	if st := r.control("POST", "/_sandbox/card/pay", map[string]string{"ShopNo": "NA0249_001", "OrderNo": "C1", "Outcome": "success"}, &res); st != 200 || res.Status != "S" {
		t.Fatalf("success: %d %+v", st, res)
	}
	var e errorBody
	if st := r.control("POST", "/_sandbox/card/pay", map[string]string{"OrderNo": "C1"}, &e); st != 409 || e.Reason != "paid" {
		t.Fatalf("pay a paid order: %d %+v", st, e)
	}
	if st := r.control("POST", "/_sandbox/card/pay", map[string]string{"OrderNo": "NOPE"}, &e); st != 404 {
		t.Fatalf("unknown order: %d %+v", st, e)
	}
	if st := r.control("POST", "/_sandbox/card/pay", map[string]string{"OrderNo": "C1", "Outcome": "maybe"}, &e); st != 400 {
		t.Fatalf("bad outcome: %d %+v", st, e)
	}
	var orders []sandbox.OrderView
	r.control("GET", "/_sandbox/orders?OrderNo=C1", nil, &orders)
	if len(orders) != 1 || orders[0].PayStatus != "1C400" || len(orders[0].PayTokens) != 2 {
		t.Fatalf("orders %+v", orders)
	}
	var ds []sandbox.DeliveryView
	r.control("GET", "/_sandbox/deliveries?OrderNo=C1", nil, &ds)
	if len(ds) != 1 || ds[0].PayToken != res.PayToken {
		t.Fatalf("deliveries %+v", ds)
	}
}

func (r *rig) createATM(orderNo, expire string) string {
	r.t.Helper()
	a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg(orderNo, "20260310", expire))
	if a.Status != "S" {
		r.t.Fatalf("OrderCreate: %s", a.Description)
	}
	var m struct{ ATMParam struct{ AtmPayNo string } }
	json.Unmarshal(a.Message, &m)
	return m.ATMParam.AtmPayNo
}

// Only the exact amount pays an ATM order; a short or over transfer, or
// one after the expiry day, is refused and changes nothing.
func TestControlTransfer(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	no := r.createATM("A1", "20260302")
	for _, c := range []struct {
		amount int
		reason string
	}{{99, "short"}, {101, "over"}} {
		before := r.state()
		var e errorBody
		if st := r.control("POST", "/_sandbox/atm/transfer", map[string]any{"AtmPayNo": no, "Amount": c.amount}, &e); st != 409 || e.Reason != c.reason || !strings.Contains(e.Error, "NT$100") {
			t.Fatalf("transfer %d: %d %+v", c.amount, st, e)
		}
		if r.state() != before {
			t.Fatal("refused transfer changed the state")
		}
	}
	var res sandbox.PayResult
	if st := r.control("POST", "/_sandbox/atm/transfer", map[string]any{"AtmPayNo": no, "Amount": 100}, &res); st != 200 || res.Status != "S" {
		t.Fatalf("exact transfer: %d %+v", st, res)
	}
	var e errorBody
	if st := r.control("POST", "/_sandbox/atm/transfer", map[string]any{"AtmPayNo": no, "Amount": 100}, &e); st != 409 || e.Reason != "paid" {
		t.Fatalf("second transfer: %d %+v", st, e)
	}
	late := r.createATM("A2", "20260302")
	r.sb.Advance(14 * time.Hour) // 00:00 on the 3rd
	if st := r.control("POST", "/_sandbox/atm/transfer", map[string]any{"AtmPayNo": late, "Amount": "100"}, &e); st != 409 || e.Reason != "expired" {
		t.Fatalf("transfer after expiry: %d %+v", st, e)
	}
	if st := r.control("POST", "/_sandbox/atm/transfer", map[string]any{"AtmPayNo": "99922000000000", "Amount": 1}, &e); st != 404 {
		t.Fatalf("unknown account: %d", st)
	}
}

// ATM auto-pay, as the bank's sandbox: after the delay, never for an
// OrderNo ending in 9.
func TestATMAutoPay(t *testing.T) {
	r := newRig(t, sandbox.Options{ATMAutoPay: 5 * time.Minute})
	rc := newReceiver(t, ack)
	for _, no := range []string{"A1", "A9"} {
		msg := atmMsg(no, `"PrdtName"`, `"BackendURL":"`+rc.URL+`","PrdtName"`)
		if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", msg); a.Status != "S" {
			t.Fatal(a.Description)
		}
	}
	r.sb.Advance(4 * time.Minute)
	if rc.count() != 0 {
		t.Fatal("paid early")
	}
	r.sb.Advance(time.Minute)
	if rc.count() != 1 {
		t.Fatalf("%d notifications after 5 minutes, want 1", rc.count())
	}
	r.sb.Advance(30 * 24 * time.Hour)
	o1 := r.sb.Orders(sandbox.Filter{OrderNo: "A1"}, "")[0]
	o9 := r.sb.Orders(sandbox.Filter{OrderNo: "A9"}, "")[0]
	// A1 was settled the day after it was paid: 900, not 400.
	if o1.PayStatus != "1A900" || o1.PaidAt != "2026-03-02T10:05:00+08:00" || o9.PayStatus != "1A200" {
		t.Fatalf("A1 %s at %s, A9 %s", o1.PayStatus, o1.PaidAt, o9.PayStatus)
	}
}

func TestControlChaosResetResend(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	var e errorBody
	for _, bad := range []map[string]any{{}, {"API": "explode"}, {"Notify": "lose"}, {"NextOutcome": "meh"}, {"ShopNo": "ZZ", "API": "500"}, {"API": "500", "Count": -1}} {
		if st := r.control("POST", "/_sandbox/chaos", bad, &e); st != 400 || e.Error == "" {
			t.Fatalf("chaos %v: %d %+v", bad, st, e)
		}
	}
	var v sandbox.ChaosView
	if st := r.control("POST", "/_sandbox/chaos", map[string]any{"API": "500", "Count": 3}, &v); st != 200 || v.API == nil || v.API.Count != 3 {
		t.Fatalf("chaos: %d %+v", st, v)
	}
	r.control("POST", "/_sandbox/chaos", map[string]any{"Clear": true}, &v)
	if v.API != nil {
		t.Fatalf("chaos after Clear: %+v", v)
	}
	if st := r.control("POST", "/_sandbox/notify/resend", map[string]string{"PayToken": "ab"}, &e); st != 404 {
		t.Fatalf("resend unknown: %d", st)
	}
	r.createCard("C1", "https://shop.example/n")
	if st := r.control("POST", "/_sandbox/reset", nil, nil); st != 200 {
		t.Fatalf("reset: %d", st)
	}
	var orders []sandbox.OrderView
	if r.control("GET", "/_sandbox/orders", nil, &orders); len(orders) != 0 {
		t.Fatalf("orders after reset: %+v", orders)
	}
}

// The dashboard's forms post to the same endpoints and are sent back.
func TestControlFormRedirectsBack(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		req, _ := http.NewRequest("POST", r.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", r.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// The message goes in the server's keeping, under a cookie's id, not
	// in the URL.
	flashSet := func(resp *http.Response) bool {
		for _, c := range resp.Cookies() {
			if c.Name == "sandbox_flash" && c.Value != "" && c.HttpOnly {
				return true
			}
		}
		return false
	}
	resp := post("/_sandbox/clock/advance", url.Values{"By": {"10m"}, "back": {"/_sandbox/?lang=en"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/_sandbox/?lang=en" || !flashSet(resp) {
		t.Fatalf("form advance: %d %s %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	if resp := post("/_sandbox/run", url.Values{"back": {"/_sandbox/"}}); resp.StatusCode != 303 {
		t.Fatalf("form run: %d", resp.StatusCode)
	}
	resp = post("/_sandbox/clock/advance", url.Values{"By": {"nope"}, "back": {"https://evil.example/"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != "/_sandbox/" || !flashSet(resp) {
		t.Fatalf("form error: %d %s", resp.StatusCode, loc)
	}
	// A cross-site form post is refused.
	req, _ := http.NewRequest("POST", r.srv.URL+"/_sandbox/reset", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, _ = client.Do(req)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site reset: %d", resp.StatusCode)
	}
}
