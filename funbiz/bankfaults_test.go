package funbiz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// What a bank, or what stands between us and it, can do wrong. Each case
// must come back as the right sentinel with enough detail to act on.

// asError asserts err is an *Error wrapping sentinel and returns it.
func asError(t *testing.T, err, sentinel error) *Error {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v; want one wrapping %v", err, sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err %T is not an *Error", err)
	}
	return e
}

// iisErrorPage is what a gateway in front of the bank shows instead of JSON.
var iisErrorPage = "<!DOCTYPE html><html><head><title>Runtime Error</title></head><body>" +
	strings.Repeat("<p>伺服器應用程式無法使用 Server Error in '/QPay.WebAPI' Application.</p>", 40) + "</body></html>"

func TestBankAnswersHTMLPage(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, httpAnswer(http.StatusOK, "text/html; charset=utf-8", iisErrorPage))
	_, err := c.OrderQuery(t.Context(), &OrderQueryParams{OrderNo: "A1"})
	e := asError(t, err, ErrMalformedResponse)
	if e.Service != ServiceOrderQuery || !strings.HasPrefix(e.Body, "<!DOCTYPE html>") {
		t.Errorf("error %+v", e)
	}
	// The raw body is kept for diagnostics, but not all of it, and it is
	// cut on a character boundary.
	if len(e.Body) > maxBodyInError+len("…") || len(e.Body) < maxBodyInError-4 || !utf8.ValidString(e.Body) {
		t.Errorf("Body is %d bytes (valid UTF-8: %v), want about %d", len(e.Body), utf8.ValidString(e.Body), maxBodyInError)
	}
	if msg := err.Error(); !strings.Contains(msg, "not a JSON envelope") || !strings.Contains(msg, "Runtime Error") {
		t.Errorf("message %q does not say what arrived", msg)
	}
	// A malformed answer will not improve by asking again.
	if _, orders := b.hits(); orders != 1 {
		t.Errorf("%d /Order calls, want 1", orders)
	}
}

func TestBankAnswersHTTP500(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, httpAnswer(http.StatusInternalServerError, "text/html", iisErrorPage))
	_, err := c.OrderCreate(t.Context(), atmParams("A1", 100))
	e := asError(t, err, ErrTransport)
	if e.HTTPStatus != 500 || e.Service != ServiceOrderCreate || e.Body == "" || len(e.Body) > maxBodyInError+len("…") {
		t.Errorf("error %+v", e)
	}
	if !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("message %q lacks the status", err)
	}
	if errors.Is(err, ErrBankRefused) {
		t.Errorf("an HTML 500 is not a bank refusal")
	}
}

func TestBankTooSlow(t *testing.T) {
	t.Run("context deadline, query", func(t *testing.T) {
		b := newFakeBank(t)
		c := newTestClient(t, b)
		b.nextOrder(3, b.stall)
		ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.OrderQuery(ctx, &OrderQueryParams{OrderNo: "A1"})
		e := asError(t, err, ErrTransport)
		if !errors.Is(err, context.DeadlineExceeded) || e.HTTPStatus != 0 {
			t.Errorf("err = %v (HTTP %d); want a deadline", err, e.HTTPStatus)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v", d)
		}
		// A query is safe to repeat, but not once the caller's deadline passed.
		if _, orders := b.hits(); orders != 1 {
			t.Errorf("%d /Order calls, want 1", orders)
		}
	})
	t.Run("HTTP client timeout, create", func(t *testing.T) {
		b := newFakeBank(t)
		c := newTestClient(t, b, func(cfg *Config) { cfg.HTTPClient.Timeout = 150 * time.Millisecond })
		b.nextOrder(3, b.stall)
		start := time.Now()
		_, err := c.OrderCreate(t.Context(), atmParams("A1", 100))
		asError(t, err, ErrTransport)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v", d)
		}
		if _, orders := b.hits(); orders != 1 {
			t.Errorf("OrderCreate sent %d times after a timeout, want once", orders)
		}
		// The bank did create it: that is why the caller must ask first.
		if _, found, err := c.FindOrder(t.Context(), "A1"); err != nil || !found {
			t.Errorf("FindOrder after the timeout: found %v, err %v", found, err)
		}
	})
	t.Run("context already done", func(t *testing.T) {
		b := newFakeBank(t)
		c := newTestClient(t, b)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.BillQuery(ctx, "20240115")
		asError(t, err, ErrTransport)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled in the chain", err)
		}
		if nonces, orders := b.hits(); nonces+orders != 0 {
			t.Errorf("a cancelled call reached the bank (%d, %d)", nonces, orders)
		}
	})
}

func TestBankAnswersGarbage(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    func(b *fakeBank) answer
		msg  string
	}{
		{"truncated JSON", func(b *fakeBank) answer {
			return func(w http.ResponseWriter, c *bankCall) {
				rec := httptest.NewRecorder()
				b.dispatch(rec, c)
				body := rec.Body.String()
				w.Write([]byte(body[:len(body)/2]))
			}
		}, "not a JSON envelope"},
		{"empty body", func(*fakeBank) answer { return httpAnswer(200, "application/json", "") }, "not a JSON envelope"},
		{"JSON without envelope", func(*fakeBank) answer { return httpAnswer(200, "application/json", `{"Version":"1.0.0"}`) }, "no Nonce or Message"},
		{"Message not hex", func(b *fakeBank) answer {
			return b.tampered(func(env *Envelope) { env.Message = "ZZ" + env.Message[2:] })
		}, "cannot decrypt"},
		{"Message cut short", func(b *fakeBank) answer {
			return b.tampered(func(env *Envelope) { env.Message = env.Message[:len(env.Message)-32] })
		}, ""},
		{"answer for another service", func(b *fakeBank) answer {
			return b.tampered(func(env *Envelope) { env.APIService = ServiceOrderPayQuery })
		}, "APIService"},
		{"amount not in whole NT$", func(b *fakeBank) answer {
			return b.resealed(func(m map[string]any) { m["Amount"] = 12345 })
		}, "not a whole NT$"},
		{"amount not a number", func(b *fakeBank) answer {
			return b.resealed(func(m map[string]any) { m["Amount"] = "十元" })
		}, "expected shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBank(t)
			c := newTestClient(t, b)
			b.nextOrder(1, tc.a(b))
			_, err := c.OrderCreate(t.Context(), atmParams("A1", 100))
			e := asError(t, err, ErrMalformedResponse)
			if e.Service != ServiceOrderCreate || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v", err)
			}
			if _, orders := b.hits(); orders != 1 {
				t.Errorf("%d /Order calls, want 1", orders)
			}
		})
	}
}

func TestBankAnswerWithWrongSign(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, b.tampered(func(env *Envelope) { env.Sign = flip(env.Sign) }))
	_, err := c.OrderCreate(t.Context(), atmParams("A1", 100))
	e := asError(t, err, ErrBadSignature)
	if e.Service != ServiceOrderCreate || !strings.Contains(e.Msg, "Sign") {
		t.Errorf("error %+v", e)
	}
	// The Sign must cover the values: a changed answer under the old Sign
	// is refused too.
	b.nextOrder(1, func(w http.ResponseWriter, c *bankCall) {
		env := b.seal(ServiceOrderCreate, map[string]any{"OrderNo": "A2", "ShopNo": testShopNo, "Amount": 10000, "Status": "S", "PayType": "A"})
		forged := b.seal(ServiceOrderCreate, map[string]any{"OrderNo": "A2", "ShopNo": testShopNo, "Amount": 1, "Status": "S", "PayType": "A"})
		forged.Sign = env.Sign
		fakeWriteJSON(w, forged)
	})
	_, err = c.OrderCreate(t.Context(), atmParams("A2", 100))
	asError(t, err, ErrBadSignature)
	// Lower-case hex of the right Sign is still the right Sign.
	b.nextOrder(1, b.tampered(func(env *Envelope) { env.Sign = strings.ToLower(env.Sign) }))
	if _, err := c.OrderCreate(t.Context(), atmParams("A3", 100)); err != nil {
		t.Errorf("lower-case Sign refused: %v", err)
	}
}

func TestBankAnswersForAnotherShop(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, b.tampered(func(env *Envelope) { env.ShopNo = "NA0249_002" }))
	_, err := c.OrderQuery(t.Context(), &OrderQueryParams{PayFlag: "Y"})
	e := asError(t, err, ErrMismatch)
	if !strings.Contains(e.Msg, "NA0249_002") {
		t.Errorf("message %q does not name the other shop", e.Msg)
	}

	// An OrderCreate answer about another order or amount is not ours
	// either; the result is returned so the caller can see it.
	b.nextOrder(1, b.resealed(func(m map[string]any) { m["OrderNo"] = "A999" }))
	r, err := c.OrderCreate(t.Context(), atmParams("A2", 100))
	asError(t, err, ErrMismatch)
	if r == nil || r.OrderNo != "A999" {
		t.Errorf("result %+v", r)
	}
	b.nextOrder(1, b.resealed(func(m map[string]any) { m["Amount"] = 1000000 }))
	_, err = c.OrderCreate(t.Context(), atmParams("A3", 100))
	if e := asError(t, err, ErrMismatch); !strings.Contains(e.Msg, "NT$10000") {
		t.Errorf("message %q", e.Msg)
	}
}

func TestBankRefuses(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, b.refusing("E0602 – 收款方式未啟用"))
	_, err := c.OrderCreate(t.Context(), cardParams("C1", 100, true))
	e := asError(t, err, ErrBankRefused)
	if e.Code != "E0602" || e.Status != "F" || e.Description != "E0602 – 收款方式未啟用" || e.Service != ServiceOrderCreate {
		t.Errorf("error %+v", e)
	}
	if !strings.Contains(err.Error(), "E0602 – 收款方式未啟用") {
		t.Errorf("message %q lacks the bank's words", err)
	}
	if errors.Is(err, ErrNonceExpired) || errors.Is(err, ErrTransport) {
		t.Errorf("a refusal is only a refusal: %v", err)
	}

	// A refusal the bank could not encrypt (unknown shop) arrives plain.
	b.nextOrder(1, httpAnswer(200, "application/json", `{"Status":"F","Description":"E0002 – 商店代號錯誤"}`))
	_, err = c.OrderPayQuery(t.Context(), "abc")
	if e := asError(t, err, ErrBankRefused); e.Code != "E0002" {
		t.Errorf("plain refusal %+v", e)
	}
	if _, orders := b.hits(); orders != 2 {
		t.Errorf("refusals were retried: %d /Order calls", orders)
	}
}

func TestNonceExpiredIsRetriedOnceWithANewNonce(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, b.refusing("E0102 – Nonce 已失效"))
	r, err := c.OrderCreate(t.Context(), atmParams("A1", 100))
	if err != nil {
		t.Fatal(err)
	}
	if r.ATM == nil {
		t.Fatalf("result %+v", r)
	}
	calls := b.orderCalls()
	if len(calls) != 2 {
		t.Fatalf("%d /Order calls, want 2", len(calls))
	}
	if calls[0].Env.Nonce == calls[1].Env.Nonce || !calls[1].NonceOK {
		t.Errorf("the retry reused nonce %q", calls[1].Env.Nonce)
	}
	if nonces, _ := b.hits(); nonces != 2 {
		t.Errorf("%d /Nonce calls, want 2", nonces)
	}
}

func TestNonceExpiredTwiceIsAnError(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(5, b.refusing("E0102 – Nonce 已失效"))
	_, err := c.OrderQuery(t.Context(), &OrderQueryParams{OrderNo: "A1"})
	e := asError(t, err, ErrNonceExpired)
	if !errors.Is(err, ErrBankRefused) || e.Code != "E0102" {
		t.Errorf("error %+v", e)
	}
	if _, orders := b.hits(); orders != 2 {
		t.Errorf("%d /Order calls, want exactly 2", orders)
	}
}

// A bank that refuses the nonce before reading the message (non-200 with a
// bank-shaped body) gets the same single retry.
func TestNonceExpiredInHTTPError(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, httpAnswer(http.StatusBadRequest, "application/json", `{"Status":"F","Description":"E0102 – Nonce 已失效"}`))
	if _, err := c.Capture(t.Context(), "C1", 0); !errors.Is(err, ErrBankRefused) {
		// The fake bank has no order C1: the retry reached it and it refused.
		t.Fatalf("err = %v", err)
	}
	if _, orders := b.hits(); orders != 2 {
		t.Errorf("%d /Order calls, want 2", orders)
	}
}

func TestNonceEndpointFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		h        http.HandlerFunc
		sentinel error
	}{
		{"HTML", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, iisErrorPage) }, ErrMalformedResponse},
		{"no Nonce", func(w http.ResponseWriter, r *http.Request) { fakeWriteJSON(w, map[string]string{}) }, ErrMalformedResponse},
		{"Nonce with blanks", func(w http.ResponseWriter, r *http.Request) { fakeWriteJSON(w, map[string]string{"Nonce": "a b"}) }, ErrMalformedResponse},
		{"refusal", func(w http.ResponseWriter, r *http.Request) {
			fakeWriteJSON(w, map[string]string{"Status": "F", "Description": "E0002 – 商店代號錯誤"})
		}, ErrBankRefused},
		{"unauthorised", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad key", http.StatusUnauthorized) }, ErrTransport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBank(t)
			c := newTestClient(t, b)
			b.nextNonce(5, tc.h)
			_, err := c.OrderQuery(t.Context(), &OrderQueryParams{OrderNo: "A1"})
			if e := asError(t, err, tc.sentinel); e.Service != "Nonce" {
				t.Errorf("Service = %q, want Nonce", e.Service)
			}
			nonces, orders := b.hits()
			if nonces != 1 || orders != 0 {
				t.Errorf("bank hits %d nonce, %d order; want 1, 0", nonces, orders)
			}
		})
	}
}

func TestMissingKeyID(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b, func(cfg *Config) { cfg.KeyID = "" })
	_, err := c.OrderQuery(t.Context(), &OrderQueryParams{OrderNo: "A1"})
	if e := asError(t, err, ErrTransport); e.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("error %+v", e)
	}
	// A 4xx will not change by itself.
	if nonces, _ := b.hits(); nonces != 1 {
		t.Errorf("%d /Nonce calls, want 1", nonces)
	}
}

// A signed answer can still be about something else than what was asked.
func TestAnswerAboutAnotherRequest(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	ctx := t.Context()
	if _, err := c.OrderCreate(ctx, cardParams("C1", 1000, true)); err != nil {
		t.Fatal(err)
	}
	token := b.pay("C1")

	b.nextOrder(1, b.resealed(func(m map[string]any) { m["PayToken"] = strings.Repeat("e", 64) }))
	_, err := c.Confirm(ctx, token, Expected{OrderNo: "C1", Amount: 1000})
	asError(t, err, ErrMismatch)

	b.nextOrder(1, b.resealed(func(m map[string]any) { m["OrderNo"] = "C9" }))
	_, err = c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: 100})
	asError(t, err, ErrMismatch)

	b.nextOrder(1, b.resealed(func(m map[string]any) { m["Command"] = "C" }))
	_, err = c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: 100})
	asError(t, err, ErrMismatch)
}

// A bank-shaped refusal in a non-200 answer says the bank did nothing: it
// is a refusal, final, whatever the HTTP status.
func TestRefusalInHTTPErrorIsFinal(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(5, httpAnswer(http.StatusServiceUnavailable, "application/json", `{"Status":"F","Description":"E9999 – 系統忙碌"}`))
	_, err := c.OrderQuery(t.Context(), &OrderQueryParams{OrderNo: "A1"})
	e := asError(t, err, ErrBankRefused)
	if e.Code != "E9999" || e.HTTPStatus != http.StatusServiceUnavailable || errors.Is(err, ErrTransport) {
		t.Errorf("error %+v", e)
	}
	if _, orders := b.hits(); orders != 1 {
		t.Errorf("%d /Order calls, want 1", orders)
	}
}
