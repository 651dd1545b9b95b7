package funbiz_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// These tests run against the sandbox over real HTTP, through the public
// API only.

// orders is a caller's own orders, as an OrderLookup reads them.
type orders struct {
	mu      sync.Mutex
	amounts map[string]int64
	applied map[string][]funbiz.Outcome
	fail    error
}

func newOrders() *orders {
	return &orders{amounts: map[string]int64{}, applied: map[string][]funbiz.Outcome{}}
}

func (o *orders) lookup(_ context.Context, no string) (funbiz.Expected, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return funbiz.Expected{}, o.fail
	}
	a, ok := o.amounts[no]
	if !ok {
		return funbiz.Expected{}, fmt.Errorf("order %s: %w", no, funbiz.ErrUnknownOrder)
	}
	return funbiz.Expected{OrderNo: no, Amount: a}, nil
}

func (o *orders) apply(_ context.Context, c *funbiz.Confirmation) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.applied[c.OrderNo] = append(o.applied[c.OrderNo], c.Outcome)
	return "/orders/" + c.OrderNo, nil
}

func (o *orders) outcomes(no string) []funbiz.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]funbiz.Outcome(nil), o.applied[no]...)
}

func cardOrder(t *testing.T, c *funbiz.Client, no string, amount int64, returnURL string) {
	t.Helper()
	if _, err := c.OrderCreate(t.Context(), &funbiz.OrderCreateParams{
		OrderNo: no, Amount: amount, PayType: funbiz.PayTypeCard, PrdtName: "狗床",
		ReturnURL: returnURL, Card: &funbiz.CardParams{AutoBilling: true},
	}); err != nil {
		t.Fatal(err)
	}
}

func TestConfirmToken(t *testing.T) {
	bank := funbiztest.New(t)
	c := bank.Client()
	ctx := t.Context()
	own := newOrders()
	own.amounts["C1"], own.amounts["C2"], own.amounts["C3"] = 500, 300, 800
	cardOrder(t, c, "C1", 500, "https://shop.example/return")
	cardOrder(t, c, "C2", 300, "https://shop.example/return")
	cardOrder(t, c, "C3", 800, "https://shop.example/return")
	cardOrder(t, c, "X1", 100, "https://shop.example/return") // at the bank, not in our books

	paid := bank.PayCard("C1", sandbox.OutcomeSuccess)
	declined := bank.PayCard("C2", sandbox.OutcomeDecline)
	bank.PayCard("C3", sandbox.OutcomeSuccess)
	own.amounts["C3"] = 900 // our books disagree with the bank's
	c3 := bank.Sandbox.Payments(sandbox.Filter{OrderNo: "C3"})[0].PayToken
	stranger := bank.PayCard("X1", sandbox.OutcomeSuccess)

	for _, tc := range []struct {
		token, order string
		want         funbiz.Outcome
	}{{paid, "C1", funbiz.OutcomePaid}, {declined, "C2", funbiz.OutcomeFailed}, {c3, "C3", funbiz.OutcomeMismatch}} {
		conf, err := c.ConfirmToken(ctx, tc.token, own.lookup)
		if err != nil || conf.Outcome != tc.want || conf.OrderNo != tc.order {
			t.Errorf("%s: %+v %v, want %s", tc.order, conf, err, tc.want)
		}
	}

	// The bank names an order the lookup does not have: never booked, and
	// asking again will not change it.
	_, err := c.ConfirmToken(ctx, stranger, own.lookup)
	if !errors.Is(err, funbiz.ErrMismatch) || !errors.Is(err, funbiz.ErrUnknownOrder) || funbiz.Temporary(err) {
		t.Errorf("order the lookup lacks: %v (temporary %v)", err, funbiz.Temporary(err))
	}

	// A forged token: the bank's refusal says so, and it is final.
	_, err = c.ConfirmToken(ctx, strings.Repeat("ab", 32), own.lookup)
	if !errors.Is(err, funbiz.ErrUnknownToken) || !errors.Is(err, funbiz.ErrBankRefused) || funbiz.Temporary(err) {
		t.Errorf("forged token: %v (temporary %v)", err, funbiz.Temporary(err))
	}

	// The lookup fails: unknown yet, worth asking again.
	down := errors.New("database is down")
	own.fail = down
	_, err = c.ConfirmToken(ctx, paid, own.lookup)
	if !errors.Is(err, down) || !funbiz.Temporary(err) || errors.Is(err, funbiz.ErrMismatch) {
		t.Errorf("lookup failure: %v (temporary %v)", err, funbiz.Temporary(err))
	}
}

// A bank that does not answer leaves the verdict unknown, and says it may
// pass.
func TestConfirmTokenBankDown(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	c, err := funbiz.NewClient(funbiz.Config{BaseURL: gone.URL + sandbox.APIPrefix, ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(), Retry: funbiz.NoRetry})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ConfirmToken(t.Context(), strings.Repeat("ab", 32), newOrders().lookup)
	if !errors.Is(err, funbiz.ErrTransport) || !funbiz.Temporary(err) || errors.Is(err, funbiz.ErrUnknownToken) {
		t.Fatalf("bank down: %v (temporary %v)", err, funbiz.Temporary(err))
	}
}

// The refusal sentinels belong to their service: the sandbox's "not
// found" code on a refund is not an unknown PayToken, and a repeated
// OrderNo is ErrDuplicateOrder.
func TestRefusalKinds(t *testing.T) {
	bank := funbiztest.New(t)
	c := bank.Client()
	_, err := c.Refund(t.Context(), &funbiz.RefundParams{OrderNo: "NOPE", All: true})
	if !errors.Is(err, funbiz.ErrBankRefused) || errors.Is(err, funbiz.ErrUnknownToken) || funbiz.Temporary(err) {
		t.Errorf("refund of an unknown order: %v", err)
	}
	cardOrder(t, c, "D1", 100, "https://shop.example/return")
	_, err = c.OrderCreate(t.Context(), &funbiz.OrderCreateParams{
		OrderNo: "D1", Amount: 100, PayType: funbiz.PayTypeCard, PrdtName: "狗床",
		ReturnURL: "https://shop.example/return", Card: &funbiz.CardParams{AutoBilling: true},
	})
	if !errors.Is(err, funbiz.ErrDuplicateOrder) || !errors.Is(err, funbiz.ErrBankRefused) || funbiz.Temporary(err) {
		t.Errorf("repeated OrderNo: %v", err)
	}
}

func TestTemporary(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"no answer", &funbiz.Error{Msg: "request failed", Err: funbiz.ErrTransport}, true},
		{"HTTP 503", &funbiz.Error{HTTPStatus: 503, Err: funbiz.ErrTransport}, true},
		{"HTTP 429", &funbiz.Error{HTTPStatus: 429, Err: funbiz.ErrTransport}, true},
		{"HTTP 404", &funbiz.Error{HTTPStatus: 404, Err: funbiz.ErrTransport}, false},
		{"HTTP 403", fmt.Errorf("confirming: %w", &funbiz.Error{HTTPStatus: 403, Err: funbiz.ErrTransport}), false},
		{"garbled answer", &funbiz.Error{Err: funbiz.ErrMalformedResponse}, true},
		{"bad Sign", &funbiz.Error{Err: funbiz.ErrBadSignature}, true},
		{"expired nonce", &funbiz.Error{Status: funbiz.StatusFailure, Code: "E0102", Err: funbiz.ErrNonceExpired}, true},
		{"refused", &funbiz.Error{Status: funbiz.StatusFailure, Code: "E0999", Err: funbiz.ErrBankRefused}, false},
		{"unknown token", &funbiz.Error{Status: funbiz.StatusFailure, Code: "E0302", Err: funbiz.ErrUnknownToken}, false},
		{"invalid", &funbiz.Error{Field: "OrderNo", Err: funbiz.ErrInvalid}, false},
		{"mismatch", &funbiz.Error{Err: funbiz.ErrMismatch}, false},
		{"deadline", context.DeadlineExceeded, true},
		{"someone else's", errors.New("disk full"), true},
	} {
		if got := funbiz.Temporary(tc.err); got != tc.want {
			t.Errorf("%s: Temporary(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// The return page confirms with the bank and applies the verdict to the
// order the bank names, whatever page the token was posted to.
func TestReturnHandler(t *testing.T) {
	bank := funbiztest.New(t)
	c := bank.Client()
	own := newOrders()
	var unconfirmed sync.Map
	h := &funbiz.ReturnHandler{
		Client: c, Lookup: own.lookup, Apply: own.apply,
		Unconfirmed: func(_ context.Context, n funbiz.Notification, err error) string {
			unconfirmed.Store(n.PayToken, err)
			if funbiz.Temporary(err) {
				return "/payments/pending"
			}
			return "/payments/unconfirmed"
		},
	}
	shop := httptest.NewServer(h)
	defer shop.Close()

	own.amounts["CHEAP"], own.amounts["DEAR"] = 100, 9000
	cardOrder(t, c, "CHEAP", 100, shop.URL+"/return/CHEAP")
	cardOrder(t, c, "DEAR", 9000, shop.URL+"/return/DEAR")
	tok := bank.PayCard("CHEAP", sandbox.OutcomeSuccess)

	resp := bank.PostReturn(tok)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/orders/CHEAP" {
		t.Fatalf("return: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The cheap order's token posted to the dear order's page.
	resp = bank.PostReturnTo(shop.URL+"/return/DEAR", tok)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/orders/CHEAP" {
		t.Fatalf("cheap token on the dear page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := own.outcomes("DEAR"); len(got) != 0 {
		t.Fatalf("the dear order was touched: %v", got)
	}
	if got := own.outcomes("CHEAP"); len(got) != 2 || got[0] != funbiz.OutcomePaid || got[1] != funbiz.OutcomePaid {
		t.Fatalf("cheap order's verdicts %v", got)
	}

	// A forged token: no verdict, the browser goes to the page for it.
	forged := strings.Repeat("cd", 32)
	resp = bank.PostReturnTo(shop.URL+"/return/DEAR", forged)
	if v, _ := unconfirmed.Load(forged); resp.Header.Get("Location") != "/payments/unconfirmed" || !errors.Is(v.(error), funbiz.ErrUnknownToken) {
		t.Fatalf("forged: %d %s, %v", resp.StatusCode, resp.Header.Get("Location"), v)
	}

	// Another shop's form is refused before the bank is asked.
	form := strings.NewReader("ShopNo=NB0001_001&PayToken=" + tok)
	r, err := http.Post(shop.URL+"/return/DEAR", "application/x-www-form-urlencoded", form)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("another shop's return: %d", r.StatusCode)
	}
}

// A bank slower than Wait: the browser is not kept waiting, and the
// verdict is left for later.
func TestReturnHandlerWait(t *testing.T) {
	bank := funbiztest.New(t)
	c := bank.Client()
	own := newOrders()
	own.amounts["S1"] = 100
	release := make(chan struct{})
	slow := func(ctx context.Context, no string) (funbiz.Expected, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return funbiz.Expected{}, ctx.Err()
		}
		return own.lookup(ctx, no)
	}
	shop := httptest.NewServer(&funbiz.ReturnHandler{Client: c, Lookup: slow, Apply: own.apply, Wait: 200 * time.Millisecond})
	defer shop.Close()
	defer close(release)
	cardOrder(t, c, "S1", 100, shop.URL+"/return")
	tok := bank.PayCard("S1", sandbox.OutcomeSuccess)

	began := time.Now()
	resp := bank.PostReturn(tok)
	if resp.StatusCode != http.StatusServiceUnavailable || time.Since(began) > 10*time.Second {
		t.Fatalf("slow bank: %d after %s", resp.StatusCode, time.Since(began))
	}
	if got := own.outcomes("S1"); len(got) != 0 {
		t.Fatalf("applied without a verdict: %v", got)
	}
}

// An ATM order's account says where and until when to pay: the end of
// ExpireDate in Taiwan, and the sandbox takes a transfer until then.
func TestATMDeadline(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, funbiz.Taipei)
	bank := funbiztest.New(t, funbiztest.WithClock(sandbox.NewManualClock(now)))
	c := bank.Client()
	r, err := c.OrderCreate(t.Context(), &funbiz.OrderCreateParams{
		OrderNo: "A1", Amount: 1200, PayType: funbiz.PayTypeATM, PrdtName: "禮盒",
		ATM: &funbiz.ATMParams{ExpireDate: "20260117"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 1, 17, 23, 59, 59, 999999999, funbiz.Taipei)
	if r.ATM.ExpireDate != "20260117" || !r.ATM.Deadline().Equal(want) {
		t.Fatalf("account %+v, deadline %s", r.ATM, r.ATM.Deadline())
	}
	if got := r.ATM.Deadline().UTC().Format(time.DateTime); got != "2026-01-17 15:59:59" {
		t.Fatalf("deadline in UTC %s", got)
	}
	late, err := c.OrderCreate(t.Context(), &funbiz.OrderCreateParams{
		OrderNo: "A2", Amount: 1200, PayType: funbiz.PayTypeATM, PrdtName: "禮盒",
		ATM: &funbiz.ATMParams{ExpireDate: "20260117"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A minute before the deadline a transfer is taken; a minute after, not.
	bank.Advance(want.Sub(now) - time.Minute)
	bank.Transfer(r.ATM.AtmPayNo, 1200)
	bank.Advance(2 * time.Minute)
	if _, err := bank.Sandbox.Transfer(late.ATM.AtmPayNo, 1200, "", ""); err == nil {
		t.Fatal("a transfer after the deadline was taken")
	}
	if _, err := funbiz.EndOfDay("2026-01-17"); err == nil {
		t.Fatal("EndOfDay took a date that is not yyyyMMdd")
	}
	if d := (&funbiz.ATMAccount{}).Deadline(); !d.IsZero() {
		t.Fatalf("deadline without a date: %s", d)
	}
}
