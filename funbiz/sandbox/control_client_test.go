package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// The control client pays, lists and breaks things over HTTP, and what it
// reads is what the sandbox itself holds, view for view.
func TestControlClient(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, ack)
	cc := sandbox.NewControlClient(r.srv.URL+"/", r.srv.Client())
	if cc.URL() != r.srv.URL || cc.APIURL() != r.api() {
		t.Fatalf("URL %q, APIURL %q", cc.URL(), cc.APIURL())
	}
	r.createCard("C1", rc.URL)
	atm := r.createATM("A1", "20260310")

	// A chaos rule declines the first attempt whatever is asked.
	armed, err := cc.ArmChaos(ctx, sandbox.ChaosInput{OrderNo: "C1", NextOutcome: "decline"})
	if err != nil || len(armed.NextOutcome) != 1 || armed.NextOutcome[0].OrderNo != "C1" {
		t.Fatalf("ArmChaos: %+v %v", armed, err)
	}
	declined, err := cc.PayCard(ctx, "", "C1", sandbox.OutcomeSuccess)
	if err != nil || declined.Status != "F" || declined.OrderNo != "C1" || len(declined.PayToken) != 64 {
		t.Fatalf("first attempt: %+v %v", declined, err)
	}
	paid, err := cc.PayCard(ctx, sandbox.DemoShopNo, "C1", "")
	if err != nil || paid.Status != "S" || paid.Outcome != string(sandbox.OutcomeSuccess) {
		t.Fatalf("second attempt: %+v %v", paid, err)
	}
	if v, err := cc.Chaos(ctx); err != nil || len(v.NextOutcome) != 0 {
		t.Fatalf("the rule was used up: %+v %v", v, err)
	}
	if _, err := cc.Transfer(ctx, atm, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := cc.Deliveries(ctx, sandbox.Filter{OrderNo: "C1"})
	// One: the decline is not notified, the payment is.
	if err != nil || len(ds) != 1 || ds[0].PayToken != paid.PayToken || ds[0].State != "delivered" || len(ds[0].Attempts) != 1 || !ds[0].Attempts[0].OK {
		t.Fatalf("deliveries of C1: %+v %v", ds, err)
	}
	again, err := cc.Resend(ctx, paid.PayToken)
	if err != nil || again.PayToken != paid.PayToken || again.ID == ds[0].ID {
		t.Fatalf("Resend: %+v %v", again, err)
	}
	o, err := cc.Order(ctx, "", "C1")
	if err != nil || len(o.PayTokens) != 2 || o.PayType != "C" {
		t.Fatalf("Order C1: %+v %v", o, err)
	}

	// Every list is the sandbox's own view, field for field.
	orders, err := cc.Orders(ctx, sandbox.Filter{})
	if err != nil || !reflect.DeepEqual(orders, r.sb.Orders(sandbox.Filter{}, r.srv.URL)) || len(orders) != 2 {
		t.Fatalf("Orders: %v\n got %+v\nwant %+v", err, orders, r.sb.Orders(sandbox.Filter{}, r.srv.URL))
	}
	pays, err := cc.Payments(ctx, sandbox.Filter{})
	if err != nil || !reflect.DeepEqual(pays, r.sb.Payments(sandbox.Filter{})) || len(pays) != 3 {
		t.Fatalf("Payments: %v\n got %+v\nwant %+v", err, pays, r.sb.Payments(sandbox.Filter{}))
	}
	all, err := cc.Deliveries(ctx, sandbox.Filter{ShopNo: sandbox.DemoShopNo})
	if err != nil || !reflect.DeepEqual(all, r.sb.Deliveries(sandbox.Filter{})) || len(all) != 2 {
		t.Fatalf("Deliveries: %v\n got %+v\nwant %+v", err, all, r.sb.Deliveries(sandbox.Filter{}))
	}
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("A1")); a.Status != "F" {
		t.Fatalf("a second order A1: %+v", a)
	}
	refusals, err := cc.Refusals(ctx)
	if err != nil || len(refusals) != 1 || !reflect.DeepEqual(refusals, r.sb.Refusals()) {
		t.Fatalf("Refusals: %+v %v", refusals, err)
	}

	clock, err := cc.Advance(ctx, 24*time.Hour)
	if err != nil || clock.Wire != "202603031000" || clock.Offset != "24h0m0s" {
		t.Fatalf("Advance: %+v %v", clock, err)
	}
	if now, err := cc.Clock(ctx); err != nil || now != clock {
		t.Fatalf("Clock: %+v %v, want %+v", now, err, clock)
	}

	if err := cc.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if orders, err := cc.Orders(ctx, sandbox.Filter{}); err != nil || len(orders) != 0 {
		t.Fatalf("orders after Reset: %+v %v", orders, err)
	}
	if clock, err := cc.Clock(ctx); err != nil || clock.Offset != "0s" {
		t.Fatalf("clock after Reset: %+v %v", clock, err)
	}
}

// A refusal names the endpoint, the HTTP status and the sandbox's words,
// and keeps the sandbox's reason for errors.As.
func TestControlClientErrors(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, sandbox.Options{})
	cc := sandbox.NewControlClient(r.srv.URL, nil)
	atm := r.createATM("A1", "20260310")

	_, err := cc.Transfer(ctx, atm, 99)
	var e *sandbox.Error
	if !errors.As(err, &e) || e.Status != http.StatusConflict || e.Reason != "short" {
		t.Fatalf("short transfer: %v", err)
	}
	for _, want := range []string{"POST /_sandbox/atm/transfer", "HTTP 409", e.Msg, "NT$100"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := cc.PayCard(ctx, "", "NOPE", sandbox.OutcomeSuccess); !errors.As(err, &e) || e.Status != http.StatusNotFound {
		t.Errorf("unknown order: %v", err)
	}
	if _, err := cc.Advance(ctx, -time.Minute); !errors.As(err, &e) || e.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "only moves forward") {
		t.Errorf("going back in time: %v", err)
	}
	if _, err := cc.ArmChaos(ctx, sandbox.ChaosInput{Notify: "lose"}); err == nil || !strings.Contains(err.Error(), "POST /_sandbox/chaos: HTTP 400") {
		t.Errorf("unknown chaos: %v", err)
	}
	if _, err := cc.Order(ctx, "", "NOPE"); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("Order of nothing: %v", err)
	}

	// Something that is not a sandbox: its words are the message.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream is down", http.StatusBadGateway)
	}))
	defer proxy.Close()
	_, err = sandbox.NewControlClient(proxy.URL, nil).Orders(ctx, sandbox.Filter{OrderNo: "A1"})
	if !errors.As(err, &e) || e.Status != http.StatusBadGateway || !strings.Contains(err.Error(), "GET /_sandbox/orders: HTTP 502: upstream is down") {
		t.Errorf("through a broken proxy: %v", err)
	}
	proxy.Close()
	if _, err := sandbox.NewControlClient(proxy.URL, nil).Clock(ctx); err == nil || !strings.Contains(err.Error(), "/_sandbox/clock") {
		t.Errorf("nobody there: %v", err)
	}
}
