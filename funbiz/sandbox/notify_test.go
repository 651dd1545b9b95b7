package sandbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// createCard makes a card order by hand with the given BackendURL.
func (r *rig) createCard(orderNo, backend string) {
	r.t.Helper()
	msg := cardMsg(orderNo, `{"AutoBilling":"Y"}`, `,"ReturnURL"`, `,"BackendURL":"`+backend+`","ReturnURL"`)
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", msg); a.Status != "S" {
		r.t.Fatalf("OrderCreate: %s", a.Description)
	}
}

func (r *rig) pay(orderNo string, o sandbox.Outcome) string {
	r.t.Helper()
	res, err := r.sb.PayCard(sandbox.DemoShopNo, orderNo, o, sandbox.Card{Left: "400022", Right: "1111", Exp: "1230"}, "test")
	if err != nil {
		r.t.Fatal(err)
	}
	return res.PayToken
}

func (r *rig) deliveries(orderNo string) []sandbox.DeliveryView {
	return r.sb.Deliveries(sandbox.Filter{OrderNo: orderNo})
}

// A receiver that never acknowledges gets the bank's schedule: at once,
// then every NotifyInterval by the sandbox clock, five tries in all.
func TestNotifyRetrySchedule(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	r.createCard("N1", rc.URL)
	tok := r.pay("N1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	if n := <-rc.got; n.PayToken != tok || n.ShopNo != sandbox.DemoShopNo || n.Header.Get("X-Sinopay-Sandbox") != "true" || !strings.HasPrefix(n.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("notification %+v", n)
	}
	for i := 2; i <= 5; i++ {
		r.sb.Advance(9*time.Minute + 59*time.Second)
		if rc.count() != 0 {
			t.Fatalf("attempt %d came before 10 minutes", i)
		}
		r.sb.Advance(time.Second)
		if rc.count() != 1 {
			t.Fatalf("attempt %d did not come at 10 minutes", i)
		}
		<-rc.got
	}
	r.sb.Advance(24 * time.Hour)
	if rc.count() != 0 {
		t.Fatal("a sixth attempt was made")
	}
	d := r.deliveries("N1")[0]
	if d.State != "gave-up" || d.Failures != 5 || len(d.Attempts) != 5 {
		t.Fatalf("delivery %+v", d)
	}
	a := d.Attempts[0]
	if a.HTTPStatus != 503 || a.OK || !strings.Contains(a.Problem, "HTTP 503") || !strings.Contains(a.Body, "down") {
		t.Fatalf("attempt %+v", a)
	}
	if d.Attempts[1].At != "2026-03-02T10:10:00+08:00" {
		t.Fatalf("second attempt at %s, want 10:10 sandbox time", d.Attempts[1].At)
	}

	// A resend makes a new delivery and sends it at once.
	rc.setAnswer(ack)
	v, err := r.sb.Resend(tok)
	if err != nil || v.State != "delivered" || v.Note != "resend" || len(v.Attempts) != 1 {
		t.Fatalf("resend: %+v %v", v, err)
	}
}

// Only HTTP 200 with a JSON body whose Status is "S" counts; everything
// else is retried and the attempt says what was wrong.
func TestNotifyOnlyStatusSCounts(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		ok      bool
		problem string
	}{
		{"ack", ack, true, ""},
		{"ack with extras", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(` {"Status":"S","Note":"ok"}`)) }, true, ""},
		{"Status F", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"Status":"F"}`)) }, false, `Status "F"`},
		{"plain OK", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`OK`)) }, false, "not a JSON object"},
		{"empty 200", func(w http.ResponseWriter, _ *http.Request) {}, false, "empty body"},
		{"HTML 200", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<html><body>Login</body></html>`))
		}, false, "HTML"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://shop.example/notify/", http.StatusMovedPermanently)
		}, false, "redirect (HTTP 301"},
		{"500 HTML", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(500)
			w.Write([]byte(`<h1>oops</h1>`))
		}, false, "HTTP 500 with an HTML page"},
		{"Status s lower case", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"Status":"s"}`)) }, false, `Status "s"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, sandbox.Options{NotifyAttempts: 2})
			rc := newReceiver(t, c.handler)
			r.createCard("N1", rc.URL)
			r.pay("N1", sandbox.OutcomeSuccess)
			r.sb.RunDue()
			d := r.deliveries("N1")[0]
			a := d.Attempts[0]
			if a.OK != c.ok || !strings.Contains(a.Problem, c.problem) {
				t.Fatalf("attempt %+v", a)
			}
			r.sb.Advance(10 * time.Minute)
			d = r.deliveries("N1")[0]
			want := map[bool]string{true: "delivered", false: "gave-up"}[c.ok]
			if d.State != want || (c.ok && len(d.Attempts) != 1) || (!c.ok && len(d.Attempts) != 2) {
				t.Fatalf("after 10 minutes: %+v", d)
			}
		})
	}
}

// A receiver that cannot be reached is a failed attempt with the error.
func TestNotifyUnreachable(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, ack)
	url := rc.URL
	rc.Close()
	r.createCard("N1", url)
	r.pay("N1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	a := r.deliveries("N1")[0].Attempts[0]
	if a.OK || a.Error == "" || !strings.Contains(a.Problem, "could not be reached") {
		t.Fatalf("attempt %+v", a)
	}
}

// Notification chaos: delay, duplicate, drop, reorder.
func TestNotifyChaos(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, ack)

	r.createCard("D1", rc.URL)
	r.sb.ArmChaos(sandbox.ChaosInput{OrderNo: "D1", Notify: "delay", Delay: "30s"})
	r.pay("D1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	if rc.count() != 0 {
		t.Fatal("delayed notification came at once")
	}
	r.sb.Advance(30 * time.Second)
	if rc.count() != 1 {
		t.Fatal("delayed notification did not come after 30s")
	}
	<-rc.got

	r.createCard("U1", rc.URL)
	r.sb.ArmChaos(sandbox.ChaosInput{OrderNo: "U1", Notify: "duplicate"})
	tok := r.pay("U1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	if a, b := <-rc.got, <-rc.got; a.PayToken != tok || b.PayToken != tok {
		t.Fatal("duplicate did not send the same token twice")
	}

	r.createCard("X1", rc.URL)
	r.sb.ArmChaos(sandbox.ChaosInput{OrderNo: "X1", Notify: "drop"})
	r.pay("X1", sandbox.OutcomeSuccess)
	r.sb.Advance(time.Hour)
	if rc.count() != 0 || r.deliveries("X1")[0].State != "dropped" {
		t.Fatalf("dropped notification: %d received, %+v", rc.count(), r.deliveries("X1"))
	}

	// reorder: an authorisation, then its scheduled capture a day later;
	// the capture's notification arrives first.
	msg := cardMsg("R1", `{"AutoBilling":"N","ExpBillingDays":1}`, `,"ReturnURL"`, `,"BackendURL":"`+rc.URL+`","ReturnURL"`)
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", msg); a.Status != "S" {
		t.Fatalf("OrderCreate: %s", a.Description)
	}
	r.sb.ArmChaos(sandbox.ChaosInput{OrderNo: "R1", Notify: "reorder", Delay: "48h"})
	authorised := r.pay("R1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	if rc.count() != 0 {
		t.Fatal("held notification was sent")
	}
	r.sb.Advance(25 * time.Hour)
	first, second := <-rc.got, <-rc.got
	if first.PayToken == authorised || second.PayToken != authorised {
		t.Fatalf("reorder sent %s then %s; the authorisation was %s", first.PayToken[:8], second.PayToken[:8], authorised[:8])
	}

	// A forced outcome overrides the next attempt, whatever was asked.
	r.createCard("F1", rc.URL)
	r.sb.ArmChaos(sandbox.ChaosInput{OrderNo: "F1", NextOutcome: "decline"})
	res, _ := r.sb.PayCard(sandbox.DemoShopNo, "F1", sandbox.OutcomeSuccess, sandbox.Card{}, "test")
	if res.Status != "F" {
		t.Fatal("forced decline did not apply")
	}
	res, _ = r.sb.PayCard(sandbox.DemoShopNo, "F1", sandbox.OutcomeSuccess, sandbox.Card{}, "test")
	if res.Status != "S" {
		t.Fatal("forced outcome applied twice")
	}
}

// The bank notifies a paid order and a completed scheduled capture, never
// a declined card (PROTOCOL §9.1): the decline's PayToken reaches the shop
// only through the browser's return, and OrderPayQuery still answers it.
func TestDeclineIsNotNotified(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, ack)
	r.createCard("D1", rc.URL)
	for _, o := range []sandbox.Outcome{sandbox.OutcomeDecline, sandbox.OutcomeInsufficient, sandbox.OutcomeExpiredCard} {
		tok := r.pay("D1", o)
		r.sb.RunDue()
		if ds := r.deliveries("D1"); len(ds) != 0 {
			t.Fatalf("a %s was notified: %+v", o, ds)
		}
		res, err := r.client().OrderPayQuery(context.Background(), tok)
		if err != nil || res.Payment.Status != funbiz.StatusFailure {
			t.Fatalf("OrderPayQuery of the %s: %+v %v", o, res, err)
		}
	}
	paid := r.pay("D1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	if got := <-rc.got; got.PayToken != paid || rc.count() != 0 {
		t.Fatalf("the payment was notified as %s (%d more notifications)", got.PayToken, rc.count())
	}
}
