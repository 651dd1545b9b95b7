package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
)

// The processes come from internal/proctest; these helpers add what the
// attacks need besides: a customer whose cookies an attacker's request can
// carry, and a checkout form to submit many times.

// customer is a shopper with their own cookies, posting same-origin forms
// as a browser does; redirects are not followed.
type customer struct {
	Email   string
	mu      sync.Mutex
	cookies map[string]string
}

var browserClient = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func newCustomer(ctx context.Context, shopURL, email string) (*customer, error) {
	c := &customer{Email: email, cookies: map[string]string{}}
	resp, _, err := c.PostForm(ctx, shopURL, "/signup", url.Values{"email": {email}, "password": {"faults-password-1"}, "next": {"/"}})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-up: HTTP %d", resp.StatusCode)
	}
	return c, nil
}

func (c *customer) do(ctx context.Context, shopURL string, req *http.Request) (*http.Response, string, error) {
	req = req.WithContext(ctx)
	req.Header.Set("Origin", shopURL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	c.mu.Lock()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	c.mu.Unlock()
	resp, err := browserClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	c.mu.Lock()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	c.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp, string(body), err
}

// Get fetches a page of the shop.
func (c *customer) Get(ctx context.Context, shopURL, path string) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodGet, shopURL+path, nil)
	if err != nil {
		return nil, "", err
	}
	return c.do(ctx, shopURL, req)
}

// PostForm posts a same-origin form.
func (c *customer) PostForm(ctx context.Context, shopURL, path string, form url.Values) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodPost, shopURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(ctx, shopURL, req)
}

var reHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// checkoutForm opens the checkout page of cart and returns its form.
func (c *customer) checkoutForm(ctx context.Context, shopURL, cart, payType string) (url.Values, error) {
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

// submit posts a checkout form and returns the order number.
func (c *customer) submit(ctx context.Context, shopURL string, form url.Values) (string, error) {
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

// Checkout buys cart paying by payType ("A" or "C").
func (c *customer) Checkout(ctx context.Context, shopURL, cart, payType string) (string, error) {
	form, err := c.checkoutForm(ctx, shopURL, cart, payType)
	if err != nil {
		return "", err
	}
	return c.submit(ctx, shopURL, form)
}

// logStart records the output of a shop that failed to start, which the
// error carries, for the log scan.
func logStart(err error) {
	if err != nil {
		logs.Write([]byte(err.Error() + "\n"))
	}
}

// demoShopNo is the sandbox's demo merchant.
const demoShopNo = proctest.DemoShopNo
