package funbiz

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// Retry policy: what may be repeated is repeated, what moves money is not.

// readOnlyCalls are the queries; each must work against the fake bank's
// default answers.
var readOnlyCalls = []struct {
	name string
	call func(ctx context.Context, c *Client) error
}{
	{"OrderQuery", func(ctx context.Context, c *Client) error {
		_, err := c.OrderQuery(ctx, &OrderQueryParams{PayType: PayTypeATM})
		return err
	}},
	{"FindOrder", func(ctx context.Context, c *Client) error { _, _, err := c.FindOrder(ctx, "A1"); return err }},
	{"OrderPayQuery", func(ctx context.Context, c *Client) error {
		// The fake bank refuses unknown tokens; that refusal proves the
		// query got through.
		_, err := c.OrderPayQuery(ctx, "abc123")
		if errors.Is(err, ErrBankRefused) {
			return nil
		}
		return err
	}},
	{"OrderUnCapturedQuery", func(ctx context.Context, c *Client) error { _, err := c.OrderUnCapturedQuery(ctx, ""); return err }},
	{"BillQuery", func(ctx context.Context, c *Client) error { _, err := c.BillQuery(ctx, "20240115"); return err }},
	{"AllotQuery", func(ctx context.Context, c *Client) error {
		_, err := c.AllotQuery(ctx, &AllotParams{AllotDateS: "20240101", AllotDateE: "20240131"})
		return err
	}},
}

// moneyCalls are the calls that change money at the bank. The fake bank has
// a paid card order C1 when they run.
var moneyCalls = []struct {
	name string
	call func(ctx context.Context, c *Client) error
}{
	{"OrderCreate", func(ctx context.Context, c *Client) error {
		_, err := c.OrderCreate(ctx, atmParams("A2", 100))
		return err
	}},
	{"Capture", func(ctx context.Context, c *Client) error { _, err := c.Capture(ctx, "C1", 0); return err }},
	{"CancelAuthorization", func(ctx context.Context, c *Client) error {
		_, err := c.CancelAuthorization(ctx, "C1", "")
		return err
	}},
	{"Refund", func(ctx context.Context, c *Client) error {
		_, err := c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: 10})
		return err
	}},
	{"OrderMaintain", func(ctx context.Context, c *Client) error {
		_, err := c.OrderMaintain(ctx, &OrderMaintainParams{OrderNo: "C1", Command: CommandCapture})
		return err
	}},
}

var transportFaults = []struct {
	name string
	a    func(b *fakeBank) answer
}{
	{"500", func(*fakeBank) answer { return httpAnswer(500, "text/plain", "Internal Server Error") }},
	{"503", func(*fakeBank) answer { return httpAnswer(503, "text/html", "<h1>Service Unavailable</h1>") }},
	{"429", func(*fakeBank) answer { return httpAnswer(429, "text/plain", "slow down") }},
	{"hang-up", func(*fakeBank) answer { return hangUp }},
}

func TestQueriesAreRetried(t *testing.T) {
	for _, q := range readOnlyCalls {
		for _, f := range transportFaults {
			t.Run(q.name+"/"+f.name, func(t *testing.T) {
				b := newFakeBank(t)
				c := newTestClient(t, b)
				b.nextOrder(2, f.a(b))
				if err := q.call(t.Context(), c); err != nil {
					t.Fatalf("after two faults and a good answer: %v", err)
				}
				calls := b.orderCalls()
				if len(calls) != 3 {
					t.Fatalf("%d /Order calls, want 3", len(calls))
				}
				// Every try takes a fresh nonce.
				if calls[0].Env.Nonce == calls[1].Env.Nonce || calls[1].Env.Nonce == calls[2].Env.Nonce {
					t.Errorf("a retry reused its nonce")
				}
			})
		}
	}
}

func TestQueriesGiveUpAfterAttempts(t *testing.T) {
	for _, attempts := range []int{1, 3, 5} {
		b := newFakeBank(t)
		c := newTestClient(t, b, func(cfg *Config) { cfg.Retry.Attempts = attempts })
		b.nextOrder(10, httpAnswer(502, "text/plain", "Bad Gateway"))
		_, err := c.BillQuery(t.Context(), "20240115")
		if e := asError(t, err, ErrTransport); e.HTTPStatus != 502 {
			t.Errorf("HTTPStatus = %d", e.HTTPStatus)
		}
		if _, orders := b.hits(); orders != attempts {
			t.Errorf("Attempts %d: %d /Order calls", attempts, orders)
		}
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, code := range []int{400, 403, 404} {
		b := newFakeBank(t)
		c := newTestClient(t, b)
		b.nextOrder(10, httpAnswer(code, "text/plain", "no"))
		_, err := c.OrderQuery(t.Context(), &OrderQueryParams{OrderNo: "A1"})
		if e := asError(t, err, ErrTransport); e.HTTPStatus != code {
			t.Errorf("HTTPStatus = %d, want %d", e.HTTPStatus, code)
		}
		if _, orders := b.hits(); orders != 1 {
			t.Errorf("HTTP %d: %d /Order calls, want 1", code, orders)
		}
	}
}

func TestMutationsAreSentOnce(t *testing.T) {
	faults := append(transportFaults[:len(transportFaults):len(transportFaults)],
		struct {
			name string
			a    func(b *fakeBank) answer
		}{"timeout", func(b *fakeBank) answer { return b.stall }})
	for _, m := range moneyCalls {
		for _, f := range faults {
			t.Run(m.name+"/"+f.name, func(t *testing.T) {
				b := newFakeBank(t)
				c := newTestClient(t, b, func(cfg *Config) { cfg.HTTPClient.Timeout = 2 * time.Second })
				if _, err := c.OrderCreate(t.Context(), cardParams("C1", 100, false)); err != nil {
					t.Fatal(err)
				}
				b.pay("C1")
				_, before := b.hits()
				b.nextOrder(5, f.a(b))
				ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
				defer cancel()
				err := m.call(ctx, c)
				asError(t, err, ErrTransport)
				if _, after := b.hits(); after-before != 1 {
					t.Errorf("sent %d times, want once", after-before)
				}
			})
		}
	}
}

func TestNonceCallIsRetried(t *testing.T) {
	for _, f := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", 503) }},
		{"hang-up", func(w http.ResponseWriter, r *http.Request) { hangUp(w, nil) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			b := newFakeBank(t)
			c := newTestClient(t, b)
			b.nextNonce(2, f.h)
			// Even before a call that is never repeated: a nonce changes nothing.
			if _, err := c.OrderCreate(t.Context(), atmParams("A1", 100)); err != nil {
				t.Fatal(err)
			}
			if nonces, orders := b.hits(); nonces != 3 || orders != 1 {
				t.Errorf("bank hits %d nonce, %d order; want 3, 1", nonces, orders)
			}
		})
	}
	t.Run("gives up", func(t *testing.T) {
		b := newFakeBank(t)
		c := newTestClient(t, b)
		b.nextNonce(10, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", 500) })
		_, err := c.OrderCreate(t.Context(), atmParams("A1", 100))
		if e := asError(t, err, ErrTransport); e.Service != "Nonce" || e.HTTPStatus != 500 {
			t.Errorf("error %+v", e)
		}
		if nonces, orders := b.hits(); nonces != 3 || orders != 0 {
			t.Errorf("bank hits %d nonce, %d order; want 3, 0", nonces, orders)
		}
	})
}

// A caller's deadline ends the backoff: no try starts after it.
func TestNoRetryAfterContextDone(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b, func(cfg *Config) { cfg.Retry = RetryPolicy{Attempts: 5, Base: time.Minute, Max: time.Minute} })
	b.nextOrder(5, httpAnswer(503, "text/plain", "busy"))
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.OrderQuery(ctx, &OrderQueryParams{OrderNo: "A1"})
	asError(t, err, ErrTransport)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("waited %v in backoff past the deadline", d)
	}
	if _, orders := b.hits(); orders != 1 {
		t.Errorf("%d /Order calls, want 1", orders)
	}
}

// The zero RetryPolicy means DefaultRetry, not "never try".
func TestZeroRetryPolicyIsDefault(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b, func(cfg *Config) { cfg.Retry = RetryPolicy{} })
	b.nextOrder(10, httpAnswer(503, "text/plain", "busy"))
	if _, err := c.BillQuery(t.Context(), "20240115"); !errors.Is(err, ErrTransport) {
		t.Fatalf("err = %v", err)
	}
	if _, orders := b.hits(); orders != DefaultRetry.Attempts {
		t.Errorf("%d /Order calls, want %d", orders, DefaultRetry.Attempts)
	}
}

// RetryPolicy.Attempts is "the number of tries in all": a query whose nonce
// cannot be had must not retry the nonce inside each of its own retries,
// which would multiply the load on a bank that is already failing.
func TestNonceRetriesDoNotMultiply(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextNonce(100, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", 500) })
	_, err := c.OrderQuery(t.Context(), &OrderQueryParams{OrderNo: "A1"})
	asError(t, err, ErrTransport)
	if nonces, _ := b.hits(); nonces != 3 {
		t.Errorf("%d /Nonce calls for one query with Attempts 3, want 3", nonces)
	}
}
