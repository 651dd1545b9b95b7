// Package funbiztest gives a test a running bank in one line: a sandbox
// behind a real HTTP server, and a funbiz client pointed at it.
//
//	bank := funbiztest.New(t)
//	c := bank.Client()
//	r, _ := c.OrderCreate(ctx, &funbiz.OrderCreateParams{…})
//	tok := bank.PayCard(r.OrderNo, sandbox.OutcomeSuccess) // the bank notifies BackendURL
//	resp := bank.PostReturn(tok)                           // the browser comes back to ReturnURL
//
// The bank notifies BackendURLs as the real one does, but retries every
// 100 ms instead of every 10 minutes, so a test of the retry path runs in
// well under a second; Advance moves the bank's clock for expiries,
// settlements and scheduled captures. Outside a test (an Example, a demo
// program), Start gives the same bank and Close stops it.
//
// It imports no database driver: the bank's state lives in memory unless
// WithStore gives it a store.
package funbiztest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// NotifyInterval is the retry interval of a test bank.
const NotifyInterval = 100 * time.Millisecond

// Option changes the sandbox options of a test bank.
type Option func(*sandbox.Options)

// WithOptions edits the sandbox options directly.
func WithOptions(f func(*sandbox.Options)) Option { return Option(f) }

// WithKeyID makes the bank require an X-KeyID header; Client sends it.
func WithKeyID(id string) Option { return func(o *sandbox.Options) { o.KeyID = id } }

// WithClock runs the bank on clock, e.g. a sandbox.ManualClock.
func WithClock(c sandbox.Clock) Option { return func(o *sandbox.Options) { o.Clock = c } }

// WithMerchant adds a shop besides the demo merchant.
func WithMerchant(shopNo string, h funbiz.Hash) Option {
	return func(o *sandbox.Options) { o.Merchants = append(o.Merchants, sandbox.Merchant{ShopNo: shopNo, Hash: h}) }
}

// WithNotify sets the retry interval and the attempts of notifications.
func WithNotify(interval time.Duration, attempts int) Option {
	return func(o *sandbox.Options) { o.NotifyInterval, o.NotifyAttempts = interval, attempts }
}

// WithATMAutoPay pays ATM orders after d, as the bank's sandbox does
// (never an OrderNo ending in 9).
func WithATMAutoPay(d time.Duration) Option { return func(o *sandbox.Options) { o.ATMAutoPay = d } }

// WithStore keeps the bank's state in st (for example a
// sqlitestore.Store), so a test can restart the bank on the same state.
func WithStore(st sandbox.Store) Option { return func(o *sandbox.Options) { o.Store = st } }

// Bank is a running sandbox for one test. Its methods fail the test on
// error (panic, for a bank from Start), so they can be used without
// checks. It is safe for concurrent use.
type Bank struct {
	// URL is the API base to give a funbiz client: …/QPay.WebAPI/api.
	URL string
	// ServerURL is the root of the server (pages, control API).
	ServerURL string
	// Sandbox is the simulator itself, for anything the helpers lack.
	Sandbox *sandbox.Sandbox
	// Server is the HTTP server in front of it.
	Server *httptest.Server
	// ShopNo and Hash are the demo merchant's.
	ShopNo string
	Hash   funbiz.Hash

	t     testing.TB
	keyID string
}

// New starts a bank for the test and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Bank {
	t.Helper()
	b := start(t, opts)
	t.Cleanup(b.Close)
	return b
}

// Start starts a bank outside a test: in an Example, or in a program that
// wants a bank of its own. Close stops it. It panics when the bank cannot
// start, as httptest.NewServer does, and the bank's helpers panic where a
// bank from New would fail the test.
func Start(opts ...Option) *Bank { return start(panicTB{}, opts) }

func start(t testing.TB, opts []Option) *Bank {
	t.Helper()
	o := sandbox.Options{NotifyInterval: NotifyInterval, NotifyAttempts: sandbox.DefaultNotifyAttempts}
	for _, f := range opts {
		f(&o)
	}
	var sb *sandbox.Sandbox
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sb.ServeHTTP(w, r) }))
	if o.BaseURL == "" {
		o.BaseURL = srv.URL
	}
	sb, err := sandbox.New(o)
	if err != nil {
		srv.Close()
		t.Fatalf("funbiztest: %v", err)
	}
	return &Bank{
		URL: srv.URL + sandbox.APIPrefix, ServerURL: srv.URL, Sandbox: sb, Server: srv,
		ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(), t: t, keyID: o.KeyID,
	}
}

// Close stops the bank: the sandbox first, then the server it sits
// behind. A bank from New is closed when its test ends.
func (b *Bank) Close() {
	b.Sandbox.Close()
	b.Server.Close()
}

// panicTB stands in for a test where there is none (Start): the helpers
// call only Helper and Fatalf, and a failure panics.
type panicTB struct{ testing.TB }

func (panicTB) Helper() {}

func (panicTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// testRetry retries safe calls quickly: a test should not sleep.
var testRetry = funbiz.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 10 * time.Millisecond}

// Client is a funbiz client for the demo merchant.
func (b *Bank) Client() *funbiz.Client { return b.ClientFor(b.ShopNo, b.Hash) }

// ClientFor is a funbiz client for another merchant of the bank.
func (b *Bank) ClientFor(shopNo string, h funbiz.Hash) *funbiz.Client {
	b.t.Helper()
	c, err := funbiz.NewClient(funbiz.Config{
		BaseURL: b.URL, ShopNo: shopNo, Hash: h, KeyID: funbiz.Secret(b.keyID),
		HTTPClient: b.Server.Client(), Retry: testRetry,
	})
	if err != nil {
		b.t.Fatalf("funbiztest: %v", err)
	}
	return c
}

// PayCard makes one payment attempt on a card order of the demo merchant,
// as the card page would, and returns its PayToken. The first notification
// attempt has been made when it returns.
func (b *Bank) PayCard(orderNo string, outcome sandbox.Outcome) string {
	b.t.Helper()
	res, err := b.Sandbox.PayCard(b.ShopNo, orderNo, outcome, sandbox.Card{Left: "400022", Right: "1111", Exp: "1230"}, "funbiztest")
	if err != nil {
		b.t.Fatalf("funbiztest: PayCard %s: %v", orderNo, err)
	}
	b.Sandbox.RunDue()
	return res.PayToken
}

// Transfer pays an ATM order by a transfer of amount whole NT$ to its
// virtual account, and returns the PayToken. Only the exact amount pays;
// for a refused transfer use Sandbox.Transfer. The first notification
// attempt has been made when it returns.
func (b *Bank) Transfer(atmPayNo string, amount int64) string {
	b.t.Helper()
	res, err := b.Sandbox.Transfer(atmPayNo, amount, "", "")
	if err != nil {
		b.t.Fatalf("funbiztest: Transfer %s: %v", atmPayNo, err)
	}
	b.Sandbox.RunDue()
	return res.PayToken
}

// PostReturn sends the browser's return of a card payment, as the bank's
// card page makes it: a cross-site form POST of ShopNo and PayToken to the
// ReturnURL of the token's order (Origin the bank's, Sec-Fetch-Site
// cross-site, so a shop whose cross-origin protection does not exempt its
// ReturnURL sees the refusal a real browser would get). It returns the
// answer without following a redirect: a funbiz.ReturnHandler answers 303
// with a Location. The body has been read and closed; it can be read
// again.
func (b *Bank) PostReturn(payToken string) *http.Response {
	b.t.Helper()
	for _, p := range b.Sandbox.Payments(sandbox.Filter{ShopNo: b.ShopNo}) {
		if p.PayToken != payToken {
			continue
		}
		for _, o := range b.Sandbox.Orders(sandbox.Filter{ShopNo: b.ShopNo, OrderNo: p.OrderNo}, b.ServerURL) {
			if o.ReturnURL == "" {
				b.t.Fatalf("funbiztest: PostReturn: order %s has no ReturnURL", o.OrderNo)
			}
			return b.PostReturnTo(o.ReturnURL, payToken)
		}
	}
	b.t.Fatalf("funbiztest: PostReturn: the bank has no PayToken %q for shop %s", payToken, b.ShopNo)
	return nil
}

// PostReturnTo is PostReturn to any URL with any PayToken: a forged
// token, or one order's token posted to another order's page, as anyone
// can post them.
func (b *Bank) PostReturnTo(returnURL, payToken string) *http.Response {
	b.t.Helper()
	form := url.Values{"ShopNo": {b.ShopNo}, "PayToken": {payToken}}
	req, err := http.NewRequest(http.MethodPost, returnURL, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatalf("funbiztest: PostReturnTo: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.ServerURL)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	hc := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.t.Fatalf("funbiztest: PostReturnTo %s: %v", returnURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		b.t.Fatalf("funbiztest: PostReturnTo %s: reading the answer: %v", returnURL, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// Advance moves the bank's clock forward and does what became due.
func (b *Bank) Advance(d time.Duration) {
	b.t.Helper()
	if err := b.Sandbox.Advance(d); err != nil {
		b.t.Fatalf("funbiztest: Advance: %v", err)
	}
}

// Deliveries lists the notifications of an order, newest first.
func (b *Bank) Deliveries(orderNo string) []sandbox.DeliveryView {
	return b.Sandbox.Deliveries(sandbox.Filter{ShopNo: b.ShopNo, OrderNo: orderNo})
}

// Chaos arms a chaos rule (see the sandbox README).
func (b *Bank) Chaos(c sandbox.ChaosInput) {
	b.t.Helper()
	if err := b.Sandbox.ArmChaos(c); err != nil {
		b.t.Fatalf("funbiztest: Chaos: %v", err)
	}
}
