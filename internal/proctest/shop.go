package proctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Shop is a running `sinopay serve` process.
type Shop struct {
	*Proc
	URL  string // http://ADDR
	Addr string
	// Sandbox is the embedded sandbox's control API; its URL is empty
	// with ShopOptions.Bank.
	Sandbox SandboxAPI
	// Options are the options it was started with, the defaults filled
	// in: StartShop(t, s.Options) starts it again in the same place, on
	// the same database (after a Kill, say).
	Options ShopOptions
}

// ShopOptions configure StartShop. The zero value is the shop with its
// embedded sandbox on free ports and a fresh SQLite file.
type ShopOptions struct {
	Name string // for messages; "shop" by default
	// DB is --db: a SQLite path or a postgres:// URL. Default: a fresh
	// SQLite file in a temporary folder.
	DB string
	// Bank is the sandbox process the shop uses as its bank (with
	// --sandbox-addr off). Without one, the shop runs the embedded
	// sandbox on a free port.
	Bank *Sandbox
	// Addr is the listen address; default a free loopback port.
	Addr string
	// SandboxAddr is the embedded sandbox's address; default a free
	// loopback port. Unused with Bank.
	SandboxAddr string
	// BaseURL is --base-url, where the bank calls back; default the
	// shop's own URL.
	BaseURL string
	// Args are more flags for `sinopay serve` (--migrate=false…).
	Args []string
	// Env is more environment, KEY=VALUE (SINOPAY_SWEEP_EVERY=1s…), on
	// top of an environment without any other SINOPAY_* variable.
	Env []string
	// Dir is the working folder; default an empty one, so no .env is read.
	Dir string
	// Healthy bounds the wait for /healthz [60s]: migrations on a fresh
	// PostgreSQL database take a few hundred milliseconds, a cold start
	// under the race detector much longer.
	Healthy time.Duration
}

// StartShop starts `sinopay serve` and waits until /healthz answers 200.
// It is stopped (SIGTERM) when t ends.
func StartShop(t testing.TB, o ShopOptions) *Shop {
	t.Helper()
	s, err := TryStartShop(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TryStartShop is StartShop returning the error: for tests of start-up
// failures, and for starting several shops at once off the test's
// goroutine.
func TryStartShop(t testing.TB, o ShopOptions) (*Shop, error) {
	if o.Name == "" {
		o.Name = "shop"
	}
	if o.DB == "" {
		o.DB = filepath.Join(t.TempDir(), "shop.db")
	}
	if o.Healthy == 0 {
		o.Healthy = 60 * time.Second
	}
	// A free port is found by listening and closing, so another process
	// can take it before the binary listens; only that case is retried,
	// and only for ports this function chose.
	var err error
	for range 3 {
		var s *Shop
		chose := o.Addr == "" || (o.Bank == nil && o.SandboxAddr == "")
		s, err = tryStartShop(t, o)
		if err == nil {
			return s, nil
		}
		if !chose || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, err
}

func tryStartShop(t testing.TB, o ShopOptions) (*Shop, error) {
	addrs, err := FreeAddrs(2)
	if err != nil {
		return nil, err
	}
	if o.Addr == "" {
		o.Addr = addrs[0]
	}
	if o.Bank == nil && o.SandboxAddr == "" {
		o.SandboxAddr = addrs[1]
	}
	shopURL := "http://" + o.Addr
	if o.BaseURL == "" {
		o.BaseURL = shopURL
	}
	args := []string{"serve", "--addr", o.Addr, "--db", o.DB, "--base-url", o.BaseURL}
	env := Env(o.Env...)
	s := &Shop{URL: shopURL, Addr: o.Addr, Options: o}
	if o.Bank != nil {
		args = append(args, "--sandbox-addr", "off")
		env = append(env, o.Bank.BankEnv()...)
	} else {
		args = append(args, "--sandbox-addr", o.SandboxAddr)
		s.Sandbox.URL = "http://" + o.SandboxAddr
	}
	args = append(args, o.Args...)
	p, err := start(t, o.Name, o.Dir, env, args...)
	if err != nil {
		return nil, err
	}
	s.Proc = p
	if err := p.waitHTTP(shopURL+"/healthz", o.Healthy); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Output())
	}
	// The banner is written before the shop answers; wait for it to come
	// through the pipe too, so tests that read it find it.
	if err := p.WaitOutput("shop:", 5*time.Second); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Output())
	}
	return s, nil
}

// Customer is one shopper with their own cookies, talking to a shop over
// HTTP as a browser would (same-origin form posts, redirects not
// followed). Its session lives in the shop's database, so with several
// instances it may talk to any of them, as behind a load balancer with
// one name: the cookies go to every instance. Safe for concurrent use.
type Customer struct {
	Email string

	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

var customerClient = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Password is every test customer's password.
const Password = "proctest-password-1"

// NewCustomer signs a new customer up at shopURL.
func NewCustomer(ctx context.Context, shopURL, email string) (*Customer, error) {
	c := &Customer{Email: email, cookies: map[string]*http.Cookie{}}
	resp, _, err := c.PostForm(ctx, shopURL, "/signup", url.Values{"email": {email}, "password": {Password}, "next": {"/"}})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-up at %s: HTTP %d", shopURL, resp.StatusCode)
	}
	return c, nil
}

func (c *Customer) do(ctx context.Context, shopURL string, req *http.Request) (*http.Response, string, error) {
	req = req.WithContext(ctx)
	req.Header.Set("Origin", shopURL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	c.mu.Lock()
	for _, ck := range c.cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	c.mu.Unlock()
	resp, err := customerClient.Do(req)
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

// Get fetches path from the shop at shopURL.
func (c *Customer) Get(ctx context.Context, shopURL, path string) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodGet, shopURL+path, nil)
	if err != nil {
		return nil, "", err
	}
	return c.do(ctx, shopURL, req)
}

// PostForm posts a form to path at the shop at shopURL.
func (c *Customer) PostForm(ctx context.Context, shopURL, path string, form url.Values) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodPost, shopURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(ctx, shopURL, req)
}

var reHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

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
// payType chosen, ready to be submitted (once, or many times at once).
func (c *Customer) CheckoutForm(ctx context.Context, shopURL, cart, payType string) (url.Values, error) {
	resp, page, err := c.Get(ctx, shopURL, "/checkout?"+cart)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("checkout form: HTTP %d", resp.StatusCode)
	}
	form := url.Values{}
	for _, m := range reHidden.FindAllStringSubmatch(page, -1) {
		form.Add(m[1], m[2])
	}
	if form.Get("key") == "" {
		return nil, errors.New("checkout form without a checkout key")
	}
	form.Set("pay_type", payType)
	return form, nil
}

// Submit posts a checkout form and returns the order number.
func (c *Customer) Submit(ctx context.Context, shopURL string, form url.Values) (string, error) {
	resp, _, err := c.PostForm(ctx, shopURL, "/checkout", form)
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/orders/") {
		return "", fmt.Errorf("checkout: HTTP %d to %q", resp.StatusCode, loc)
	}
	return strings.TrimPrefix(loc, "/orders/"), nil
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

// Visitor is a browser with the given cookies (none: logged out) that has
// not signed up.
func Visitor(cookies map[string]string) *Customer {
	c := &Customer{cookies: map[string]*http.Cookie{}}
	for name, v := range cookies {
		c.cookies[name] = &http.Cookie{Name: name, Value: v}
	}
	return c
}

// Callbacks post the bank's two callbacks as the bank and the customer's
// browser would: no cookies, cross-site.

var callbackClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Notify posts the bank's notification of payToken to the shop at shopURL
// and returns the HTTP status and body.
func Notify(ctx context.Context, shopURL, payToken string) (int, string, error) {
	body := fmt.Sprintf(`{"ShopNo":%q,"PayToken":%q}`, DemoShopNo, payToken)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, shopURL+"/funbiz/notify", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, body, err := send(req)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, body, nil
}

// Return posts the card page's return of payToken (a cross-site form post
// from the bank's page) to the shop at shopURL and returns the HTTP status
// and the Location it redirects to.
func Return(ctx context.Context, shopURL, payToken string) (int, string, error) {
	form := url.Values{"ShopNo": {DemoShopNo}, "PayToken": {payToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, shopURL+"/funbiz/return", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, _, err := send(req)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

func send(req *http.Request) (*http.Response, string, error) {
	resp, err := callbackClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(raw), err
}

// Ack is the answer that tells the bank a notification was received.
const Ack = `{"Status":"S"}`
