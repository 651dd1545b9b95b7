package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/audit"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// apiPayment is what the load needs of the JSON API's payment.
type apiPayment struct {
	ID      string `json:"id"`
	OrderNo string `json:"order_no"`
	Status  string `json:"status"`
	Amount  int64  `json:"amount"`
	ATM     *struct {
		Account string `json:"account"`
	} `json:"atm"`
}

// apiError is an answer of the API other than the one wanted; Retry is
// its Retry-After for a 429.
type apiError struct {
	Status int
	Body   string
	Retry  time.Duration
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %.200s", e.Status, e.Body) }

// apiCall sends one request of the JSON API with the run's key and
// decodes a want answer into out. A 429 (the key's rate) or 503 is sent
// again after the wait the shop gives, as a merchant's client would.
func (l *load) apiCall(ctx context.Context, method, path string, body any, idem string, want int, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for {
		req, err := http.NewRequestWithContext(ctx, method, l.shop+path, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+l.c.APIKey)
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		resp, err := l.api.Do(req)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode == want {
			return json.Unmarshal(got, out)
		}
		e := &apiError{Status: resp.StatusCode, Body: string(got)}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			return e
		}
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		e.Retry = time.Duration(max(secs, 1)) * time.Second
		l.held.Add(1)
		select {
		case <-ctx.Done():
			return e
		case <-time.After(e.Retry):
		}
	}
}

// apiPurchase makes one payment through the JSON API, as another shop's
// server would, pays it at the sandbox (a transfer, or the card page and
// the buyer's return), and follows it through the API until it has
// succeeded.
func (l *load) apiPurchase(ctx context.Context, r *mrand.Rand) (*apiPayment, error) {
	start := time.Now()
	method, body := "card", map[string]any{"amount": 100 + r.IntN(5000), "description": "load test", "return_url": "https://merchant.example/return"}
	if r.Float64() < l.c.ATMShare {
		method = "atm"
		delete(body, "return_url")
	}
	body["method"] = method
	body["reference"] = randHex(8)
	var p apiPayment
	if err := l.apiCall(ctx, http.MethodPost, "/api/v1/payments", body, "load-"+randHex(12), http.StatusCreated, &p); err != nil {
		return nil, stepErr("api_create", err)
	}
	l.st.add("api_create", time.Since(start))
	l.mu.Lock()
	l.payments = append(l.payments, &p)
	l.mu.Unlock()
	t := time.Now()
	if method == "atm" {
		if p.ATM == nil || p.ATM.Account == "" {
			return nil, fmt.Errorf("payment %s has no ATM account", p.ID)
		}
		if _, err := l.bank.Transfer(ctx, p.ATM.Account, p.Amount); err != nil {
			return nil, stepErr("atm_transfer", err)
		}
		l.st.add("atm_transfer", time.Since(t))
	} else {
		res, err := l.bank.PayCard(ctx, l.c.ShopNo, p.OrderNo, sandbox.OutcomeSuccess)
		if err != nil {
			return nil, stepErr("card_pay", err)
		}
		l.st.add("card_pay", time.Since(t))
		t = time.Now()
		code, _, err := l.callbacks.Return(ctx, l.shop, res.PayToken)
		if err != nil {
			return nil, stepErr("return", err)
		}
		if code != http.StatusSeeOther {
			return nil, fmt.Errorf("return: HTTP %d", code)
		}
		l.st.add("return", time.Since(t))
	}
	t = time.Now()
	if err := l.awaitPayment(ctx, &p, "succeeded", 30*time.Second); err != nil {
		return nil, stepErr(method+"_confirmed", err)
	}
	l.st.add(method+"_confirmed", time.Since(t))
	l.st.add("payment_"+method, time.Since(start))
	l.st.addOp(time.Since(start))
	return &p, nil
}

// awaitPayment reads p through the API every 25 ms until its status is
// want, or limit passes.
func (l *load) awaitPayment(ctx context.Context, p *apiPayment, want string, limit time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return waitfor.Until(wctx, 25*time.Millisecond, func(wctx context.Context) error {
		var got apiPayment
		if err := l.apiCall(wctx, http.MethodGet, "/api/v1/payments/"+p.ID, nil, "", http.StatusOK, &got); err != nil {
			var e *apiError
			if errors.As(err, &e) && e.Status != http.StatusNotFound {
				return waitfor.Stop(err)
			}
			return err
		}
		if got.Status != want {
			return fmt.Errorf("payment %s is %s, want %s", p.ID, got.Status, want)
		}
		p.Status = got.Status
		return nil
	})
}

// apiPayments runs --mode api: Concurrency merchants' servers make and
// follow payments for Duration, then every payment is audited: the
// API's status against the sandbox's order.
func (l *load) apiPayments(ctx context.Context, stdout io.Writer) int {
	fmt.Fprintf(l.progress, "loadtest: %d API clients for %s against %s (sandbox %s); ATM %.0f%%\n",
		l.c.Concurrency, l.c.Duration, l.shop, l.sandbox, 100*l.c.ATMShare)
	var probe struct{}
	if err := l.apiCall(ctx, http.MethodGet, "/api/v1/payments?limit=1", nil, "", http.StatusOK, &probe); err != nil {
		fmt.Fprintf(stdout, "the API refuses the key: %v\n", err)
		return 1
	}
	l.begin(ctx)
	runCtx, cancel := context.WithTimeout(ctx, l.c.Duration)
	defer cancel()
	start := time.Now()
	stopProgress := l.showProgress(start)
	var wg sync.WaitGroup
	for i := range l.c.Concurrency {
		wg.Go(func() {
			r := mrand.New(mrand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for runCtx.Err() == nil {
				if _, err := l.apiPurchase(context.WithoutCancel(ctx), r); err != nil {
					l.st.fail("payment", err)
					l.failed.Add(1)
					continue
				}
				l.done.Add(1)
			}
		})
	}
	wg.Wait()
	stopProgress()
	l.end(ctx, start, "payment")
	l.summary(stdout, start, "payments", "failed")
	if n := l.held.Load(); n > 0 {
		fmt.Fprintf(stdout, "%d answers were 429 or 503 and sent again after Retry-After (run the shop with SINOPAY_API_RATE=off to measure it alone)\n", n)
	}
	ok := l.auditPayments(ctx, stdout)
	if l.done.Load() == 0 {
		fmt.Fprintln(stdout, "no payment was completed: nothing was measured")
		return 1
	}
	if !ok || l.failed.Load() > 0 {
		return 1
	}
	return 0
}

// apiStatuses are the shop's statuses (audit.ShopOrder.Status) of the
// API's.
var apiStatuses = map[string]string{"pending": "W", "succeeded": "S", "requires_capture": "S", "partially_refunded": "S",
	"failed": "F", "expired": "E", "refunded": "R", "review": "V"}

// auditPayments checks every payment the run made against the sandbox,
// as the purchases' audit does: paid at the bank ⇔ succeeded in the
// API, same amounts, one payment each.
func (l *load) auditPayments(ctx context.Context, w io.Writer) bool {
	fmt.Fprintf(w, "\naudit of %d payments against the sandbox:\n", len(l.payments))
	bankOrders, err := l.bank.Orders(ctx, sandbox.Filter{})
	if err == nil {
		var payments []sandbox.PaymentView
		if payments, err = l.bank.Payments(ctx, sandbox.Filter{}); err == nil {
			var shopSide []audit.ShopOrder
			for _, p := range l.payments {
				var got apiPayment
				if err = l.apiCall(ctx, http.MethodGet, "/api/v1/payments/"+p.ID, nil, "", http.StatusOK, &got); err != nil {
					break
				}
				shopSide = append(shopSide, audit.ShopOrder{No: p.OrderNo, Amount: got.Amount, Status: apiStatuses[got.Status], PaidEvents: -1})
			}
			if err == nil {
				bank, pays := audit.FromSandbox(bankOrders, payments)
				res := audit.Compare(shopSide, bank, pays, audit.Options{})
				l.res.Audit = &AuditSummary{Orders: res.Orders, Paid: res.Paid, OK: res.OK(), Problems: res.Problems[:min(len(res.Problems), 50)]}
				if res.OK() {
					fmt.Fprintf(w, "  %d payments, %d paid: paid at the bank ⇔ succeeded in the API, same amounts, one payment each\n", res.Orders, res.Paid)
					return true
				}
				for _, p := range l.res.Audit.Problems {
					fmt.Fprintln(w, "  DIFFERENCE: "+p)
				}
				return false
			}
		}
	}
	fmt.Fprintf(w, "  %v\n", err)
	return false
}
