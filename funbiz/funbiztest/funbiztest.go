// Package funbiztest gives a test a running bank in one line: a sandbox
// behind a real HTTP server, and a funbiz client pointed at it.
//
//	bank := funbiztest.New(t)
//	c := bank.Client()
//	r, _ := c.OrderCreate(ctx, &funbiz.OrderCreateParams{…})
//	tok := bank.PayCard(r.OrderNo, sandbox.OutcomeSuccess)
//
// The bank notifies BackendURLs as the real one does, but retries every
// 100 ms instead of every 10 minutes, so a test of the retry path runs in
// well under a second; Advance moves the bank's clock for expiries,
// settlements and scheduled captures.
package funbiztest

import (
	"net/http"
	"net/http/httptest"
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
// error, so they can be used without checks.
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
	o := sandbox.Options{NotifyInterval: NotifyInterval, NotifyAttempts: sandbox.DefaultNotifyAttempts}
	for _, f := range opts {
		f(&o)
	}
	var sb *sandbox.Sandbox
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sb.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	if o.BaseURL == "" {
		o.BaseURL = srv.URL
	}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatalf("funbiztest: %v", err)
	}
	// Registered after srv.Close, so it runs first: the sandbox stops
	// before the server it sits behind.
	t.Cleanup(func() { sb.Close() })
	return &Bank{
		URL: srv.URL + sandbox.APIPrefix, ServerURL: srv.URL, Sandbox: sb, Server: srv,
		ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(), t: t, keyID: o.KeyID,
	}
}

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
