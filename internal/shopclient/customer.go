// Package shopclient drives the shop over HTTP the way its visitors do,
// without a browser: a Customer signs up, logs in, opens pages, posts
// forms with the hidden fields of the page they came from, checks out by
// ATM or card and reads the order page; a Bank posts the bank's
// notification and the browser's return from the bank's page. The load
// test and the process tests drive shops with it.
package shopclient

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StatusError is an answer whose HTTP status the flow did not expect:
// the shop refused, or was too busy to answer.
type StatusError struct {
	What string // the step: "signup", "checkout form", "order K…"
	Code int    // the HTTP status
	// RetryAfter is the wait the answer's Retry-After header asked for
	// (given in seconds), 0 without one: a held sign-up or log-in says
	// when to try again.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s: HTTP %d", e.What, e.Code) }

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(resp *http.Response) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// Customer is one visitor with their own cookies, talking to a shop as a
// browser does: same-origin form posts, redirects not followed (the
// caller sees every 303 and its Location). The cookies go to every shop
// URL the customer is given, as to the instances behind a load balancer
// with one name: a session lives in the shop's database, so it works on
// any of them. Safe for concurrent use.
type Customer struct {
	// Email is the address the customer signed up or logged in with.
	Email string

	hc      *http.Client
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

// NewCustomer is a visitor who has not signed up, carrying cookies (name
// to value; nil for none), e.g. another customer's, as an attacker would.
// Requests go through a copy of hc that follows no redirect and keeps no
// cookie jar of its own; a nil hc gives up on a request after 60 seconds.
func NewCustomer(hc *http.Client, cookies map[string]string) *Customer {
	c := &Customer{hc: noRedirects(hc, 60*time.Second), cookies: map[string]*http.Cookie{}}
	for name, v := range cookies {
		c.cookies[name] = &http.Cookie{Name: name, Value: v}
	}
	return c
}

// noRedirects is a copy of hc (a client with timeout when nil) that
// returns redirects to the caller and has no jar.
func noRedirects(hc *http.Client, timeout time.Duration) *http.Client {
	c := http.Client{Timeout: timeout}
	if hc != nil {
		c = *hc
	}
	c.Jar = nil
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// SignUp signs a new customer up at shopURL and returns them logged in. A
// refusal is a *StatusError.
func SignUp(ctx context.Context, hc *http.Client, shopURL, email, password string) (*Customer, error) {
	c := NewCustomer(hc, nil)
	if err := c.account(ctx, shopURL, "/signup", "signup", email, password); err != nil {
		return nil, err
	}
	return c, nil
}

// LogIn logs the customer in as email at shopURL. A wrong password is a
// *StatusError (the form comes back instead of a redirect).
func (c *Customer) LogIn(ctx context.Context, shopURL, email, password string) error {
	return c.account(ctx, shopURL, "/login", "login", email, password)
}

func (c *Customer) account(ctx context.Context, shopURL, path, what, email, password string) error {
	resp, _, err := c.PostForm(ctx, shopURL, path, url.Values{"email": {email}, "password": {password}, "next": {"/"}})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if resp.StatusCode != http.StatusSeeOther {
		return &StatusError{What: what, Code: resp.StatusCode, RetryAfter: retryAfter(resp)}
	}
	c.Email = email
	return nil
}

// Get fetches path from the shop at shopURL. The response's body is read
// (up to 4 MiB) and returned as the string; the response is closed.
func (c *Customer) Get(ctx context.Context, shopURL, path string) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, shopURL+path, nil)
	if err != nil {
		return nil, "", err
	}
	return c.do(shopURL, req)
}

// PostForm posts form to path at the shop at shopURL, as a form of the
// shop's own page.
func (c *Customer) PostForm(ctx context.Context, shopURL, path string, form url.Values) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, shopURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(shopURL, req)
}

// do sends req with the customer's cookies and the headers a browser puts
// on a same-origin request, and keeps the cookies the shop sets.
func (c *Customer) do(shopURL string, req *http.Request) (*http.Response, string, error) {
	req.Header.Set("Origin", origin(shopURL))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	c.mu.Lock()
	for _, ck := range c.cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	c.mu.Unlock()
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	c.mu.Lock()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	c.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp, string(body), err
}

// origin is the Origin a browser sends from a page of shopURL.
func origin(shopURL string) string {
	u, err := url.Parse(shopURL)
	if err != nil || u.Host == "" {
		return shopURL
	}
	return u.Scheme + "://" + u.Host
}

// Cookies returns a copy of the customer's cookies, name to value.
func (c *Customer) Cookies() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.cookies))
	for name, ck := range c.cookies {
		out[name] = ck.Value
	}
	return out
}

var reHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// HiddenFields are the hidden inputs of page, unescaped, as a browser
// would post them with the form.
func HiddenFields(page string) url.Values {
	form := url.Values{}
	for _, m := range reHidden.FindAllStringSubmatch(page, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return form
}

// Form opens the page at path and returns its hidden fields, for the
// caller to complete and post. A page that does not answer 200 is a
// *StatusError.
func (c *Customer) Form(ctx context.Context, shopURL, path string) (url.Values, error) {
	return c.form(ctx, shopURL, path, "GET "+path)
}

func (c *Customer) form(ctx context.Context, shopURL, path, what string) (url.Values, error) {
	resp, page, err := c.Get(ctx, shopURL, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{What: what, Code: resp.StatusCode}
	}
	return HiddenFields(page), nil
}

// Checkout buys cart (a query such as "q_1=2&q_3=1"; product ids 1–5 are
// the seeded catalogue) paying by payType ("A" for ATM, "C" for card) at
// the shop at shopURL, and returns the order number.
func (c *Customer) Checkout(ctx context.Context, shopURL, cart, payType string) (string, error) {
	form, err := c.CheckoutForm(ctx, shopURL, cart, payType)
	if err != nil {
		return "", err
	}
	return c.Submit(ctx, shopURL, form)
}

// CheckoutForm opens the checkout page of cart and returns its form, with
// payType chosen and a delivery address in Taipei, ready to be submitted
// (once, or many times at once).
func (c *Customer) CheckoutForm(ctx context.Context, shopURL, cart, payType string) (url.Values, error) {
	form, err := c.form(ctx, shopURL, "/checkout?"+cart, "checkout form")
	if err != nil {
		return nil, err
	}
	if form.Get("key") == "" {
		return nil, fmt.Errorf("checkout form without a checkout key")
	}
	form.Set("pay_type", payType)
	for k, v := range map[string]string{"ship_name": "王小明", "ship_phone": "0912345678", "ship_postal": "100",
		"ship_city": "臺北市", "ship_district": "中正區", "ship_street": "重慶南路一段122號"} {
		form.Set(k, v)
	}
	return form, nil
}

// Submit posts a checkout form and returns the number of the order it
// made (or, for a form submitted before, the order it made then).
func (c *Customer) Submit(ctx context.Context, shopURL string, form url.Values) (string, error) {
	resp, _, err := c.PostForm(ctx, shopURL, "/checkout", form)
	if err != nil {
		return "", fmt.Errorf("checkout: %w", err)
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", &StatusError{What: "checkout", Code: resp.StatusCode}
	}
	loc := resp.Header.Get("Location")
	no, ok := strings.CutPrefix(loc, "/orders/")
	if !ok || no == "" {
		return "", fmt.Errorf("checkout: sent to %q, not to an order", loc)
	}
	return no, nil
}

// OrderPage is what an order's page shows its customer.
type OrderPage struct {
	No     string
	Status string // W waiting, S paid, F failed, E expired, R refunded, V review
	Amount int64  // whole NT$
	// PaidEvents counts the timeline's transitions to paid.
	PaidEvents int
	// ATMAccount is the virtual account to pay into, without the spaces
	// the page groups it with; empty for a card order.
	ATMAccount string
}

var (
	reStatus  = regexp.MustCompile(`data-status="([A-Z])"`)
	reAmount  = regexp.MustCompile(`data-amount="([0-9]+)"`)
	rePaidTo  = regexp.MustCompile(`data-to="S"`)
	reAccount = regexp.MustCompile(`id="account">([0-9 ]+)<`)
)

// OrderStatus reads the status of the customer's order no as its pages
// follow it (GET /orders/{no}/status): the order's status letter, from
// the version the shop answers. An answer that is not 200 is a
// *StatusError.
func (c *Customer) OrderStatus(ctx context.Context, shopURL, no string) (string, error) {
	resp, body, err := c.Get(ctx, shopURL, "/orders/"+no+"/status")
	if err != nil {
		return "", fmt.Errorf("order %s status: %w", no, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &StatusError{What: "order " + no + " status", Code: resp.StatusCode}
	}
	var st struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Version == "" {
		return "", fmt.Errorf("order %s status: not a status: %.80q", no, body)
	}
	status, _, _ := strings.Cut(st.Version, ".")
	return status, nil
}

// Order reads the page of the customer's order no. A page that does not
// answer 200 (another customer's order, a busy shop) is a *StatusError.
func (c *Customer) Order(ctx context.Context, shopURL, no string) (OrderPage, error) {
	resp, page, err := c.Get(ctx, shopURL, "/orders/"+no)
	if err != nil {
		return OrderPage{}, fmt.Errorf("order %s: %w", no, err)
	}
	if resp.StatusCode != http.StatusOK {
		return OrderPage{}, &StatusError{What: "order " + no, Code: resp.StatusCode}
	}
	p := OrderPage{No: no, PaidEvents: len(rePaidTo.FindAllStringIndex(page, -1))}
	if m := reStatus.FindStringSubmatch(page); m != nil {
		p.Status = m[1]
	}
	if m := reAmount.FindStringSubmatch(page); m != nil {
		p.Amount, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reAccount.FindStringSubmatch(page); m != nil {
		p.ATMAccount = strings.ReplaceAll(m[1], " ", "")
	}
	return p, nil
}
