package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// The shop runs in the test process behind a real HTTP server, and the
// bank is the sandbox (funbiztest), which notifies the shop over HTTP as
// the bank does.

type testShop struct {
	*httptest.Server
	bank *funbiztest.Bank
}

func newTestShop(t *testing.T) *testShop {
	t.Helper()
	bank := funbiztest.New(t)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	shop := NewShop(bank.Client(), srv.URL, slog.New(slog.DiscardHandler))
	h = shop.Handler()
	go shop.Work(t.Context())
	return &testShop{Server: srv, bank: bank}
}

// post sends JSON and decodes the answer into out; it returns the status.
func (s *testShop) post(t *testing.T, path string, in, out any) int {
	t.Helper()
	body, _ := json.Marshal(in)
	resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (s *testShop) order(t *testing.T, no string) Order {
	t.Helper()
	resp, err := http.Get(s.URL + "/orders/" + no)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var o Order
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /orders/%s: %d %v", no, resp.StatusCode, err)
	}
	return o
}

// waitStatus waits, 10 s at most, until the order has the status.
func (s *testShop) waitStatus(t *testing.T, no string, want Status) {
	t.Helper()
	waitfor.Event(t, 10*time.Second, fmt.Sprintf("order %s %s", no, want), func(context.Context) error {
		if o := s.order(t, no); o.Status != want {
			return fmt.Errorf("order is %s", o.Status)
		}
		return nil
	})
}

func TestATMOrder(t *testing.T) {
	s := newTestShop(t)
	var o Order
	if code := s.post(t, "/orders", orderRequest{Pay: "atm", Amount: 1200, Name: "抹茶狗骨頭"}, &o); code != http.StatusCreated {
		t.Fatalf("POST /orders: %d", code)
	}
	if o.ATM == nil || o.ATM.BankCode != "807" || len(o.ATM.Account) != 14 || o.Status != StatusWaiting {
		t.Fatalf("ATM order %+v", o)
	}
	if h, m, _ := o.ATM.Deadline.In(funbiz.Taipei).Clock(); h != 23 || m != 59 {
		t.Fatalf("deadline %s is not the end of a day in Taiwan", o.ATM.Deadline)
	}
	// The buyer transfers; the bank notifies the shop, whose worker
	// confirms with the bank.
	s.bank.Transfer(o.ATM.Account, 1200)
	s.waitStatus(t, o.OrderNo, StatusPaid)
	if d := s.bank.Deliveries(o.OrderNo); len(d) != 1 || d[0].State != "delivered" {
		t.Fatalf("notifications %+v", d)
	}
}

func TestCardOrderWithReturn(t *testing.T) {
	s := newTestShop(t)
	var o Order
	if code := s.post(t, "/orders", orderRequest{Pay: "card", Amount: 880, Name: "狗狗雨衣"}, &o); code != http.StatusCreated || !strings.HasPrefix(o.CardPayURL, s.bank.ServerURL) {
		t.Fatalf("POST /orders: %d %+v", code, o)
	}

	// Declined first: the return says so, and the buyer tries again.
	tok := s.bank.PayCard(o.OrderNo, sandbox.OutcomeDecline)
	resp := s.bank.PostReturn(tok)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/orders/"+o.OrderNo {
		t.Fatalf("return of a decline: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := s.order(t, o.OrderNo).Status; got != StatusDeclined {
		t.Fatalf("after a decline: %s", got)
	}

	tok = s.bank.PayCard(o.OrderNo, sandbox.OutcomeSuccess)
	resp = s.bank.PostReturn(tok)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/orders/"+o.OrderNo {
		t.Fatalf("return: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := s.order(t, o.OrderNo).Status; got != StatusPaid {
		t.Fatalf("after the return: %s", got)
	}

	// Anyone can post a return: a forged token changes nothing.
	resp = s.bank.PostReturnTo(s.URL+"/funbiz/return", strings.Repeat("0", 64))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/payments/unconfirmed" {
		t.Fatalf("forged return: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Anyone can post a notification. The shop records it and acknowledges
// it, and its worker asks the bank, which knows no such token.
func TestForgedNotification(t *testing.T) {
	s := newTestShop(t)
	resp, err := http.Post(s.URL+"/funbiz/notify", "application/json",
		strings.NewReader(`{"ShopNo":"`+s.bank.ShopNo+`","PayToken":"`+strings.Repeat("f", 64)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"Status":"S"}` {
		t.Fatalf("notification: %d %s", resp.StatusCode, body)
	}
	waitfor.Event(t, 10*time.Second, "the worker asking the bank about the token", func(context.Context) error {
		if len(s.bank.Sandbox.Refusals()) == 0 {
			return errors.New("the bank refused nothing yet")
		}
		return nil
	})
	if r := s.bank.Sandbox.Refusals()[0]; r.APIService != funbiz.ServiceOrderPayQuery || !strings.HasPrefix(r.Description, "E0302") {
		t.Fatalf("the bank refused %+v", r)
	}
}

func TestRefund(t *testing.T) {
	s := newTestShop(t)
	var o Order
	s.post(t, "/orders", orderRequest{Pay: "card", Amount: 1500, Name: "狗窩"}, &o)
	s.bank.PostReturn(s.bank.PayCard(o.OrderNo, sandbox.OutcomeSuccess))

	var r Order
	if code := s.post(t, "/orders/"+o.OrderNo+"/refund", refundRequest{Amount: 500}, &r); code != http.StatusOK || r.Refunded != 500 || r.Status != StatusPaid {
		t.Fatalf("partial refund: %d %+v", code, r)
	}
	if code := s.post(t, "/orders/"+o.OrderNo+"/refund", refundRequest{}, nil); code != http.StatusBadRequest {
		t.Fatalf("refund without an amount: %d", code)
	}
	var e map[string]string
	if code := s.post(t, "/orders/"+o.OrderNo+"/refund", refundRequest{Amount: 5000}, &e); code != http.StatusConflict || !strings.Contains(e["Error"], "E0303") {
		t.Fatalf("refund over what is left: %d %v", code, e)
	}
	if code := s.post(t, "/orders/"+o.OrderNo+"/refund", refundRequest{All: true}, &r); code != http.StatusOK || r.Refunded != 1500 || r.Status != StatusRefunded {
		t.Fatalf("refund of the rest: %d %+v", code, r)
	}
}
