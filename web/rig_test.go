package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/internal/telemetry"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// rig is the shop for one test: testrig's (a real SQLite database with
// the five products, the bank's sandbox over real HTTP, the payment
// service with its job workers) with the web server in front of them, at
// the URL the bank calls back.
type rig struct {
	t     *testing.T
	shop  *testrig.Rig
	db    *storage.DB
	bank  *funbiztest.Bank
	pay   *payment.Service
	recon *reconcile.Service
	srv   *httptest.Server
	web   *Server
	logs  *syncBuffer

	products []shop.Product
}

// syncBuffer collects the server's log lines from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rigOption changes the payment service's or the web server's
// configuration of a rig.
type rigOption func(*payment.Config, *Config)

func newRig(t *testing.T, opts ...rigOption) *rig {
	t.Helper()
	return newRigOn(t, nil, opts...)
}

// eachDB runs fn with a rig on a fresh SQLite database, then on a fresh
// PostgreSQL database (skipped without a server, unless CI is set).
func eachDB(t *testing.T, fn func(t *testing.T, r *rig), opts ...rigOption) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) { fn(t, newRigOn(t, db, opts...)) })
}

// newRigOn is newRig on db, migrated; nil is a fresh SQLite database.
func newRigOn(t *testing.T, db *storage.DB, opts ...rigOption) *rig {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(telemetry.Handler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	// The bank's notifications (the rig's sandbox posts from 127.0.0.1,
	// as do the tests' own posts) are the bank's, unless a test says
	// otherwise: TestNotifyLanes tells senders apart.
	wcfg := Config{NotifyFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	tr := testrig.New(t, testrig.Options{DB: db, Log: log, Pay: func(pcfg *payment.Config) {
		pcfg.PollInterval = 50 * time.Millisecond
		for _, o := range opts {
			o(pcfg, &wcfg)
		}
	}})
	r := &rig{t: t, shop: tr, db: tr.DB, bank: tr.Bank, pay: tr.Pay, recon: tr.Recon, srv: tr.Server, logs: logs}
	var err error
	if r.products, err = r.db.Products(context.Background()); err != nil {
		t.Fatal(err)
	}
	wcfg.DB, wcfg.Pay, wcfg.Jobs, wcfg.Recon, wcfg.Log, wcfg.BaseURL = tr.DB, tr.Pay, tr.Pay.Queue(), tr.Recon, log, tr.URL
	if r.web, err = New(wcfg); err != nil {
		t.Fatal(err)
	}
	r.web.passwords = newPasswords(bcrypt.MinCost, 0)
	tr.Serve(r.web.Handler())
	return r
}

// product returns the catalogue's product with sku.
func (r *rig) product(sku string) shop.Product {
	for _, p := range r.products {
		if p.SKU == sku {
			return p
		}
	}
	r.t.Fatalf("no product %s", sku)
	return shop.Product{}
}

// q is the query field of a product's quantity.
func (r *rig) q(sku string) string { return qtyPrefix + strconv.FormatInt(r.product(sku).ID, 10) }

// browser is one visitor: a cookie jar, and no automatic redirects, so
// tests see every 303.
type browser struct {
	r      *rig
	client *http.Client
	header http.Header // sent with every request
}

func (r *rig) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	c := r.srv.Client()
	c2 := *c
	c2.Jar = jar
	c2.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{r: r, client: &c2, header: http.Header{}}
}

// page is an answer, read.
type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func (b *browser) do(req *http.Request) *page {
	b.r.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.r.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.r.t.Fatal(err)
	}
	return &page{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Location: resp.Header.Get("Location")}
}

func (b *browser) get(path string) *page {
	b.r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.r.srv.URL+path, nil)
	if err != nil {
		b.r.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *page {
	b.r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.r.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow GETs path and follows redirects to the final page.
func (b *browser) follow(p *page) *page {
	b.r.t.Helper()
	for i := 0; p.Status == http.StatusSeeOther || p.Status == http.StatusFound; i++ {
		if i == 10 {
			b.r.t.Fatalf("redirect loop at %s", p.Location)
		}
		p = b.get(p.Location)
	}
	return p
}

// signup opens an account and returns a logged-in browser.
func (r *rig) signup(email string) *browser {
	r.t.Helper()
	b := r.browser()
	p := b.post("/signup", url.Values{"email": {email}, "password": {"correct horse"}, "next": {"/"}})
	if p.Status != http.StatusSeeOther || p.Location != "/" {
		r.t.Fatalf("signup %s: %d %s", email, p.Status, p.Body)
	}
	return b
}

var (
	checkoutKeyRE = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)
	orderPathRE   = regexp.MustCompile(`^/orders/(K\d+)$`)
)

// checkout opens the checkout page of cart (sku → quantity) and returns the
// form it holds.
func (b *browser) checkoutForm(cart map[string]int) url.Values {
	b.r.t.Helper()
	q := url.Values{}
	for sku, n := range cart {
		q.Set(b.r.q(sku), strconv.Itoa(n))
	}
	return b.checkoutFormQuery(q)
}

// checkoutFormQuery is checkoutForm of a cart given as its query
// (q_<productID>=n).
func (b *browser) checkoutFormQuery(q url.Values) url.Values {
	b.r.t.Helper()
	p := b.get("/checkout?" + q.Encode())
	if p.Status != http.StatusOK {
		b.r.t.Fatalf("checkout page: %d %s", p.Status, p.Body)
	}
	m := checkoutKeyRE.FindStringSubmatch(p.Body)
	if m == nil {
		b.r.t.Fatalf("no checkout key in %s", p.Body)
	}
	q.Set("key", m[1])
	for k, v := range testShipTo {
		q.Set(k, v)
	}
	return q
}

// testShipTo is the delivery a test's checkout gives.
var testShipTo = map[string]string{"ship_name": "王小明", "ship_phone": "0912-345-678", "ship_postal": "100",
	"ship_city": "台北市", "ship_district": "中正區", "ship_street": "重慶南路一段122號"}

// order checks out cart with pay type payType and returns the order.
func (b *browser) order(cart map[string]int, payType shop.PayType) *shop.Order {
	b.r.t.Helper()
	form := b.checkoutForm(cart)
	form.Set("pay_type", string(payType))
	p := b.post("/checkout", form)
	m := orderPathRE.FindStringSubmatch(p.Location)
	if p.Status != http.StatusSeeOther || m == nil {
		b.r.t.Fatalf("checkout: %d %q %s", p.Status, p.Location, p.Body)
	}
	o, err := b.r.db.OrderByNo(context.Background(), m[1])
	if err != nil {
		b.r.t.Fatal(err)
	}
	return o
}

// eventually waits until cond holds, for work the job workers do.
func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	r.shop.Eventually(what, cond)
}

// mustContain fails unless body has every one of want.
func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q:\n%s", w, body)
		}
	}
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(body, w) {
			t.Errorf("page has %q:\n%s", w, body)
		}
	}
}
