package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ControlClient drives a sandbox through its control API over HTTP: a
// `sinopay sandbox` process, the sandbox a shop embeds, or one behind an
// httptest server. It is what load tests, process tests and scripts use
// where they cannot reach the Sandbox value itself, and it answers with
// the same views the Sandbox's methods return.
//
// A call the sandbox refuses returns an error that names the endpoint and
// the HTTP status and wraps the sandbox's *Error (its Status, Reason and
// message), so errors.As tells a 409 "paid" from a 404. A ControlClient is
// safe for concurrent use.
type ControlClient struct {
	base string
	hc   *http.Client
}

// NewControlClient calls the control API of the sandbox at baseURL (its
// root, e.g. http://127.0.0.1:8081) with hc. A nil hc is a client that
// gives up on a call after 30 seconds.
func NewControlClient(baseURL string, hc *http.Client) *ControlClient {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &ControlClient{base: strings.TrimRight(baseURL, "/"), hc: hc}
}

// URL is the sandbox's root URL, where its pages and dashboard are.
func (c *ControlClient) URL() string { return c.base }

// APIURL is the base URL of the sandbox's bank API, for a funbiz client or
// SINOPAY_FUNBIZ_URL.
func (c *ControlClient) APIURL() string { return c.base + APIPrefix }

// Clock reads the sandbox's time.
func (c *ControlClient) Clock(ctx context.Context) (ClockView, error) {
	var v ClockView
	err := c.call(ctx, http.MethodGet, "/_sandbox/clock", nil, nil, &v)
	return v, err
}

// Advance moves the sandbox's clock forward by d (positive, at most 366
// days) and returns once everything that became due is done, as
// Sandbox.Advance.
func (c *ControlClient) Advance(ctx context.Context, d time.Duration) (ClockView, error) {
	var v ClockView
	err := c.call(ctx, http.MethodPost, "/_sandbox/clock/advance", nil, struct{ By string }{d.String()}, &v)
	return v, err
}

// RunDue does the work that is due now (notifications, ATM auto-payments,
// scheduled captures), as Sandbox.RunDue.
func (c *ControlClient) RunDue(ctx context.Context) (ClockView, error) {
	var v ClockView
	err := c.call(ctx, http.MethodPost, "/_sandbox/run", nil, nil, &v)
	return v, err
}

// Orders lists the orders f matches, newest first.
func (c *ControlClient) Orders(ctx context.Context, f Filter) ([]OrderView, error) {
	var v []OrderView
	err := c.call(ctx, http.MethodGet, "/_sandbox/orders", f.query(), nil, &v)
	return v, err
}

// Order is the one order orderNo of shopNo (any shop when empty); it is an
// error when the sandbox has none, or several of other shops.
func (c *ControlClient) Order(ctx context.Context, shopNo, orderNo string) (OrderView, error) {
	orders, err := c.Orders(ctx, Filter{ShopNo: shopNo, OrderNo: orderNo})
	if err != nil {
		return OrderView{}, err
	}
	if len(orders) != 1 {
		return OrderView{}, fmt.Errorf("sandbox: %d orders numbered %q, want one", len(orders), orderNo)
	}
	return orders[0], nil
}

// Payments lists the payments (PayTokens) f matches, newest first.
func (c *ControlClient) Payments(ctx context.Context, f Filter) ([]PaymentView, error) {
	var v []PaymentView
	err := c.call(ctx, http.MethodGet, "/_sandbox/payments", f.query(), nil, &v)
	return v, err
}

// Deliveries lists the notifications f matches with their attempts,
// newest first.
func (c *ControlClient) Deliveries(ctx context.Context, f Filter) ([]DeliveryView, error) {
	var v []DeliveryView
	err := c.call(ctx, http.MethodGet, "/_sandbox/deliveries", f.query(), nil, &v)
	return v, err
}

// Refusals lists the recent refused API calls, newest first.
func (c *ControlClient) Refusals(ctx context.Context) ([]RefusalView, error) {
	var v []RefusalView
	err := c.call(ctx, http.MethodGet, "/_sandbox/refusals", nil, nil, &v)
	return v, err
}

// Notices lists recent requests that carried members the bank is not
// known to read (ignored, not refused), newest first.
func (c *ControlClient) Notices(ctx context.Context) ([]NoticeView, error) {
	var v []NoticeView
	err := c.call(ctx, http.MethodGet, "/_sandbox/notices", nil, nil, &v)
	return v, err
}

// Reset forgets every order, payment, delivery, refusal and chaos rule and
// puts the clock back, as Sandbox.Reset.
func (c *ControlClient) Reset(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/_sandbox/reset", nil, nil, nil)
}

// Chaos reads the armed chaos rules.
func (c *ControlClient) Chaos(ctx context.Context) (ChaosView, error) {
	var v ChaosView
	err := c.call(ctx, http.MethodGet, "/_sandbox/chaos", nil, nil, &v)
	return v, err
}

// ArmChaos arms the rules in in (see README.md), or with Clear disarms
// everything first, and returns the rules now armed.
func (c *ControlClient) ArmChaos(ctx context.Context, in ChaosInput) (ChaosView, error) {
	var v ChaosView
	err := c.call(ctx, http.MethodPost, "/_sandbox/chaos", nil, in, &v)
	return v, err
}

// Resend sends the notification of payToken again and returns the new
// delivery after its first attempt.
func (c *ControlClient) Resend(ctx context.Context, payToken string) (DeliveryView, error) {
	var v DeliveryView
	err := c.call(ctx, http.MethodPost, "/_sandbox/notify/resend", nil, struct{ PayToken string }{payToken}, &v)
	return v, err
}

// PayCard makes one attempt on card order orderNo of shopNo (the demo
// merchant when empty) as the card page would, ending in outcome
// (OutcomeSuccess when empty). The sandbox then notifies the order's
// BackendURL.
func (c *ControlClient) PayCard(ctx context.Context, shopNo, orderNo string, outcome Outcome) (PayResult, error) {
	var v PayResult
	in := struct{ ShopNo, OrderNo, Outcome string }{shopNo, orderNo, string(outcome)}
	err := c.call(ctx, http.MethodPost, "/_sandbox/card/pay", nil, in, &v)
	return v, err
}

// Transfer pays amount (whole NT$) into the ATM virtual account atmPayNo;
// only the exact amount of its order pays. The sandbox then notifies the
// order's BackendURL.
func (c *ControlClient) Transfer(ctx context.Context, atmPayNo string, amount int64) (PayResult, error) {
	var v PayResult
	in := struct {
		AtmPayNo string
		Amount   int64
	}{atmPayNo, amount}
	err := c.call(ctx, http.MethodPost, "/_sandbox/atm/transfer", nil, in, &v)
	return v, err
}

func (f Filter) query() url.Values {
	q := url.Values{}
	if f.ShopNo != "" {
		q.Set("ShopNo", f.ShopNo)
	}
	if f.OrderNo != "" {
		q.Set("OrderNo", f.OrderNo)
	}
	return q
}

// call sends in (when not nil) as JSON to the endpoint and decodes a 200
// answer into out (when not nil).
func (c *ControlClient) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("sandbox %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err // a *url.Error names the method and the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sandbox %s %s: HTTP %d: %w", method, path, resp.StatusCode, controlError(resp))
	}
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("sandbox %s %s: the answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

// controlError reads the sandbox's {"error","reason"} answer, or whatever else
// answered (a proxy's page, a server that is not a sandbox).
func controlError(resp *http.Response) *Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Error == "" {
		e.Error = string(bytes.TrimSpace(raw))
		if e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
	}
	return &Error{Status: resp.StatusCode, Reason: e.Reason, Msg: e.Error}
}
