package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/sinopay/sinopay/internal/audit"
)

const loadtestUsage = `usage: sinopay loadtest [flags]

Drives synthetic customers through full ATM and card purchases against a
running shop and its sandbox (over HTTP, no browser; the sandbox's control
API pays), prints throughput and latency per step, then audits every order
against the sandbox's records: paid at the bank ⇔ paid in the shop, same
amount, one payment each. Exits 1 on any difference.

With --mode notify it instead floods the shop's notification endpoint with
forged PayTokens and reports acknowledgements per second.

Targets must be loopback addresses.

flags:
`

type loadConfig struct {
	shop, sandbox *url.URL
	duration      time.Duration
	concurrency   int
	atmShare      float64
	declineShare  float64
	dupShare      float64
	mode          string
	settle        time.Duration
	shopNo        string
}

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	shop := fs.String("shop", "http://127.0.0.1:8080", "the shop's URL")
	sb := fs.String("sandbox", "http://127.0.0.1:8081", "the sandbox's URL")
	duration := fs.Duration("duration", 20*time.Second, "how long to send new purchases")
	conc := fs.Int("concurrency", 8, "concurrent customers")
	atm := fs.Float64("atm", 0.3, "share of ATM purchases (the rest by card), 0–1")
	decline := fs.Float64("decline", 0.1, "share of card purchases declined once before paying again, 0–1")
	dup := fs.Float64("dup", 0.2, "share of payments whose notification the sandbox sends twice, 0–1")
	mode := fs.String("mode", "flow", `"flow" (purchases) or "notify" (notification endpoint only)`)
	settle := fs.Duration("settle", 60*time.Second, "how long the audit waits for orders to converge")
	shopNo := fs.String("shop-no", "NA0249_001", "the shop number the sandbox knows the shop by")
	fs.Usage = func() { fmt.Fprint(stderr, loadtestUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c := loadConfig{duration: *duration, concurrency: *conc, atmShare: *atm, declineShare: *decline, dupShare: *dup,
		mode: *mode, settle: *settle, shopNo: *shopNo}
	var errs []error
	var err error
	if c.shop, err = loopbackURL("--shop", *shop); err != nil {
		errs = append(errs, err)
	}
	if c.sandbox, err = loopbackURL("--sandbox", *sb); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"--atm", c.atmShare}, {"--decline", c.declineShare}, {"--dup", c.dupShare}} {
		if f.v < 0 || f.v > 1 || math.IsNaN(f.v) {
			errs = append(errs, fmt.Errorf("%s: want a share from 0 to 1, got %v", f.name, f.v))
		}
	}
	if c.concurrency < 1 || c.concurrency > 1000 {
		errs = append(errs, fmt.Errorf("--concurrency: want 1 to 1000, got %d", c.concurrency))
	}
	if c.duration <= 0 || c.duration > 24*time.Hour {
		errs = append(errs, fmt.Errorf("--duration: want up to 24h, got %v", c.duration))
	}
	if c.mode != "flow" && c.mode != "notify" {
		errs = append(errs, fmt.Errorf("--mode: want flow or notify, got %q", c.mode))
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "sinopay loadtest: %v\n", errors.Join(errs...))
		return 2
	}
	lt := newLoad(c, stderr)
	if c.mode == "notify" {
		return lt.notifyFlood(ctx, stdout)
	}
	return lt.flows(ctx, stdout)
}

// loopbackURL accepts only URLs on this machine: a load test must never
// reach anything else.
func loopbackURL(name, s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: want an http URL, got %q", name, s)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s: %q is not a loopback address; load is only ever sent to this machine", name, host)
	}
	return u, nil
}

// stats collects latencies per step.
type stats struct {
	mu    sync.Mutex
	steps map[string][]time.Duration
	order []string
	errs  map[string]int
}

func (s *stats) add(step string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.steps[step]; !ok {
		s.order = append(s.order, step)
	}
	s.steps[step] = append(s.steps[step], d)
}

func (s *stats) fail(step string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[step+": "+trimErr(err)]++
}

func trimErr(err error) string {
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return msg
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (s *stats) print(w io.Writer, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tcount\tper s\tp50\tp95\tp99\tmax\t")
	for _, name := range s.order {
		d := slices.Clone(s.steps[name])
		slices.Sort(d)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", name, len(d), float64(len(d))/elapsed.Seconds(),
			ms(percentile(d, .5)), ms(percentile(d, .95)), ms(percentile(d, .99)), ms(d[len(d)-1]))
	}
	tw.Flush()
	if len(s.errs) > 0 {
		fmt.Fprintln(w, "errors:")
		keys := make([]string, 0, len(s.errs))
		for k := range s.errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %6d × %s\n", s.errs[k], k)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

type load struct {
	c        loadConfig
	st       *stats
	progress io.Writer
	done     atomic.Int64
	failed   atomic.Int64
	mu       sync.Mutex
	orders   []*loadOrder
	api      *http.Client
}

type loadOrder struct {
	no     string
	amount int64
	pay    string // "A" or "C"
	cust   *customer
}

func newLoad(c loadConfig, progress io.Writer) *load {
	tr := &http.Transport{MaxIdleConnsPerHost: c.concurrency * 2, MaxConnsPerHost: c.concurrency * 4}
	return &load{c: c, st: &stats{steps: map[string][]time.Duration{}, errs: map[string]int{}}, progress: progress,
		api: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// customer is one synthetic shopper with its own cookies.
type customer struct {
	l      *load
	client *http.Client
	email  string
}

func (l *load) newCustomer(ctx context.Context) (*customer, error) {
	jar, _ := cookiejar.New(nil)
	c := &customer{l: l, email: "load-" + randHex(8) + "@example.com", client: &http.Client{
		Jar: jar, Timeout: 60 * time.Second, Transport: l.api.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	start := time.Now()
	resp, _, err := c.postForm(ctx, "/signup", url.Values{"email": {c.email}, "password": {"load-test-password"}, "next": {"/"}})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("signup: HTTP %d", resp.StatusCode)
	}
	l.st.add("signup", time.Since(start))
	return c, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (c *customer) do(ctx context.Context, req *http.Request) (*http.Response, string, error) {
	req = req.WithContext(ctx)
	// Same-origin form posts, as a browser sends them.
	req.Header.Set("Origin", c.l.c.shop.Scheme+"://"+c.l.c.shop.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(body), err
}

func (c *customer) get(ctx context.Context, path string) (*http.Response, string, error) {
	req, _ := http.NewRequest(http.MethodGet, c.l.c.shop.String()+path, nil)
	return c.do(ctx, req)
}

func (c *customer) postForm(ctx context.Context, path string, form url.Values) (*http.Response, string, error) {
	req, _ := http.NewRequest(http.MethodPost, c.l.c.shop.String()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(ctx, req)
}

var (
	reHidden  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	reStatus  = regexp.MustCompile(`data-status="([A-Z])"`)
	reAmount  = regexp.MustCompile(`data-amount="([0-9]+)"`)
	rePaidTo  = regexp.MustCompile(`data-to="S"`)
	reAccount = regexp.MustCompile(`id="account">([0-9 ]+)<`)
)

// sandboxPost calls the sandbox's control API.
func (l *load) sandboxPost(ctx context.Context, path string, in, out any) error {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.c.sandbox.String()+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.api.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d %s", path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// products the load buys: product IDs 1–5 are the seeded catalogue.
var loadCarts = []string{"q_1=1", "q_3=1", "q_1=2&q_5=1", "q_2=1", "q_4=1&q_3=2"}

// purchase runs one whole purchase and records its steps.
func (c *customer) purchase(ctx context.Context, r *mrand.Rand) error {
	l := c.l
	atm := r.Float64() < l.c.atmShare
	start := time.Now()
	cart := loadCarts[r.IntN(len(loadCarts))]
	resp, page, err := c.get(ctx, "/checkout?"+cart)
	if err != nil || resp.StatusCode != 200 {
		return stepErr("checkout_page", resp, err)
	}
	l.st.add("checkout_page", time.Since(start))
	form := url.Values{}
	for _, m := range reHidden.FindAllStringSubmatch(page, -1) {
		form.Add(m[1], m[2])
	}
	form.Set("pay_type", "C")
	if atm {
		form.Set("pay_type", "A")
	}
	t := time.Now()
	resp, _, err = c.postForm(ctx, "/checkout", form)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		return stepErr("checkout_submit", resp, err)
	}
	l.st.add("checkout_submit", time.Since(t))
	orderPath := resp.Header.Get("Location")
	no := strings.TrimPrefix(orderPath, "/orders/")
	_, page, err = c.get(ctx, orderPath)
	if err != nil {
		return stepErr("order_page", nil, err)
	}
	var bank struct{ Amount int64 }
	o := &loadOrder{no: no, pay: "C", cust: c}
	if atm {
		o.pay = "A"
	}
	l.mu.Lock()
	l.orders = append(l.orders, o)
	l.mu.Unlock()
	dup := r.Float64() < l.c.dupShare
	if dup {
		if err := l.sandboxPost(ctx, "/_sandbox/chaos", map[string]any{"ShopNo": l.c.shopNo, "OrderNo": no, "Notify": "duplicate"}, nil); err != nil {
			return stepErr("chaos", nil, err)
		}
	}
	if atm {
		m := reAccount.FindStringSubmatch(page)
		if m == nil {
			return fmt.Errorf("order page %s shows no ATM account", no)
		}
		amount, err := l.orderAmount(ctx, no)
		if err != nil {
			return stepErr("bank_order", nil, err)
		}
		o.amount = amount
		t = time.Now()
		if err := l.sandboxPost(ctx, "/_sandbox/atm/transfer", map[string]any{"AtmPayNo": strings.ReplaceAll(m[1], " ", ""), "Amount": amount}, &bank); err != nil {
			return stepErr("atm_transfer", nil, err)
		}
		l.st.add("atm_transfer", time.Since(t))
		t = time.Now()
		if err := c.awaitStatus(ctx, orderPath, "S"); err != nil {
			return stepErr("atm_confirmed", nil, err)
		}
		l.st.add("atm_confirmed", time.Since(t))
		l.st.add("purchase_atm", time.Since(start))
		return nil
	}
	if r.Float64() < l.c.declineShare {
		if err := c.payCard(ctx, no, "decline", "F", "declined_"); err != nil {
			return err
		}
	}
	if err := c.payCard(ctx, no, "success", "S", ""); err != nil {
		return err
	}
	l.st.add("purchase_card", time.Since(start))
	return nil
}

// payCard pays at the sandbox as its card page would, then posts the
// return as the browser would, and follows the shop to the result. Its
// steps are named with prefix, so declined attempts are timed apart.
func (c *customer) payCard(ctx context.Context, no, outcome, want, prefix string) error {
	l := c.l
	var res struct{ PayToken, Status string }
	t := time.Now()
	if err := l.sandboxPost(ctx, "/_sandbox/card/pay", map[string]string{"ShopNo": l.c.shopNo, "OrderNo": no, "Outcome": outcome}, &res); err != nil {
		return stepErr(prefix+"card_pay", nil, err)
	}
	l.st.add(prefix+"card_pay", time.Since(t))
	t = time.Now()
	// The return is a cross-site post from the bank's page, without cookies.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.c.shop.String()+"/funbiz/return",
		strings.NewReader(url.Values{"ShopNo": {l.c.shopNo}, "PayToken": {res.PayToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	nc := &http.Client{Transport: l.api.Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := nc.Do(req)
	if err != nil {
		return stepErr(prefix+"return", nil, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return stepErr(prefix+"return", resp, nil)
	}
	l.st.add(prefix+"return", time.Since(t))
	t = time.Now()
	if err := c.awaitStatus(ctx, "/orders/"+no, want); err != nil {
		return stepErr(prefix+"card_confirmed", nil, err)
	}
	l.st.add(prefix+"card_confirmed", time.Since(t))
	return nil
}

// awaitStatus polls the order page until it shows status want.
func (c *customer) awaitStatus(ctx context.Context, path, want string) error {
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		_, page, err := c.get(ctx, path)
		if err != nil {
			return err
		}
		if m := reStatus.FindStringSubmatch(page); m != nil {
			last = m[1]
			if last == want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
	return fmt.Errorf("order still %q after 30s, want %s", last, want)
}

type sandboxOrder struct {
	OrderNo   string
	Amount    int64
	PayType   string
	PayStatus string
	PaidAt    string
	State     string
	PayTokens []string
}

type sandboxPayment struct {
	OrderNo string
	Amount  int64
	Status  string
	APType  string
}

func (l *load) sandboxGet(ctx context.Context, path string, out any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.c.sandbox.String()+path, nil)
	resp, err := l.api.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (l *load) orderAmount(ctx context.Context, no string) (int64, error) {
	var orders []sandboxOrder
	if err := l.sandboxGet(ctx, "/_sandbox/orders?OrderNo="+url.QueryEscape(no), &orders); err != nil {
		return 0, err
	}
	for _, o := range orders {
		if o.OrderNo == no {
			return o.Amount, nil
		}
	}
	return 0, fmt.Errorf("the sandbox has no order %s", no)
}

func stepErr(step string, resp *http.Response, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	if resp != nil {
		return fmt.Errorf("%s: HTTP %d", step, resp.StatusCode)
	}
	return fmt.Errorf("%s failed", step)
}

func (l *load) flows(ctx context.Context, stdout io.Writer) int {
	fmt.Fprintf(l.progress, "loadtest: %d customers for %s against %s (sandbox %s); ATM %.0f%%, card declined first %.0f%%, notification sent twice %.0f%%\n",
		l.c.concurrency, l.c.duration, l.c.shop, l.c.sandbox, 100*l.c.atmShare, 100*l.c.declineShare, 100*l.c.dupShare)
	// Customers sign up before the clock starts: a sign-up hashes a
	// password, and would otherwise eat into a short run's purchases.
	custs := make([]*customer, l.c.concurrency)
	var wg sync.WaitGroup
	failed := &l.failed
	turns := make(chan struct{}, 4)
	for i := range custs {
		wg.Go(func() {
			turns <- struct{}{}
			defer func() { <-turns }()
			c, err := l.newCustomer(ctx)
			if err != nil {
				l.st.fail("signup", err)
				failed.Add(1)
				return
			}
			custs[i] = c
		})
	}
	wg.Wait()
	runCtx, cancel := context.WithTimeout(ctx, l.c.duration)
	defer cancel()
	start := time.Now()
	stopProgress := l.showProgress(runCtx, start)
	for i, c := range custs {
		if c == nil {
			continue
		}
		wg.Go(func() {
			r := mrand.New(mrand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for runCtx.Err() == nil {
				// A started purchase finishes even after the run's end, so the
				// audit sees whole purchases.
				if err := c.purchase(context.WithoutCancel(ctx), r); err != nil {
					l.st.fail("purchase", err)
					failed.Add(1)
					continue
				}
				l.done.Add(1)
			}
		})
	}
	wg.Wait()
	stopProgress()
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "\n%d purchases in %s (%.1f per second), %d failed\n\n", l.done.Load(), elapsed.Round(time.Millisecond),
		float64(l.done.Load())/elapsed.Seconds(), failed.Load())
	l.st.print(stdout, elapsed)
	ok := l.audit(ctx, stdout)
	if l.done.Load() == 0 {
		fmt.Fprintln(stdout, "no purchase was completed: nothing was measured")
		return 1
	}
	if !ok || failed.Load() > 0 {
		return 1
	}
	return 0
}

func (l *load) showProgress(ctx context.Context, start time.Time) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := l.done.Load()
				fmt.Fprintf(l.progress, "  %5.0fs  %6d done  %7.1f/s  %4d failed\n", time.Since(start).Seconds(), n, float64(n)/time.Since(start).Seconds(), l.failed.Load())
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// audit compares every order the run made with the sandbox's records,
// waiting up to --settle for notifications and confirmations to land: it
// re-reads only the orders that still differ, then makes one last full
// pass, whose result it prints.
func (l *load) audit(ctx context.Context, w io.Writer) bool {
	fmt.Fprintf(w, "\naudit of %d orders against the sandbox:\n", len(l.orders))
	start := time.Now()
	deadline := start.Add(l.c.settle)
	pending := l.orders
	for len(pending) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		res, differ, err := l.auditOnce(ctx, pending)
		if err != nil {
			fmt.Fprintf(w, "  %v\n", err)
			return false
		}
		if res.OK() {
			break
		}
		pending = differ
		time.Sleep(500 * time.Millisecond)
	}
	res, _, err := l.auditOnce(ctx, l.orders)
	if err != nil {
		fmt.Fprintf(w, "  %v\n", err)
		return false
	}
	if res.OK() {
		fmt.Fprintf(w, "  %d orders, %d paid; settled in %s\n", res.Orders, res.Paid, time.Since(start).Round(time.Millisecond))
		fmt.Fprintln(w, "  nothing lost, nothing doubled: paid at the bank ⇔ paid in the shop, same amounts, one payment and one transition each")
		return true
	}
	for i, p := range res.Problems {
		if i == 50 {
			fmt.Fprintf(w, "  … and %d more\n", len(res.Problems)-50)
			break
		}
		fmt.Fprintln(w, "  DIFFERENCE: "+p)
	}
	return false
}

// auditOnce reads the orders' pages in the shop (as their customers) and
// the sandbox's orders and payments, and compares them. It also returns
// the orders that differ.
func (l *load) auditOnce(ctx context.Context, orders []*loadOrder) (audit.Result, []*loadOrder, error) {
	var bankOrders []sandboxOrder
	var payments []sandboxPayment
	if err := l.sandboxGet(ctx, "/_sandbox/orders", &bankOrders); err != nil {
		return audit.Result{}, nil, fmt.Errorf("reading the sandbox's orders: %w", err)
	}
	if err := l.sandboxGet(ctx, "/_sandbox/payments", &payments); err != nil {
		return audit.Result{}, nil, fmt.Errorf("reading the sandbox's payments: %w", err)
	}
	shopSide := make([]audit.ShopOrder, len(orders))
	errs := make([]error, len(orders))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(l.c.concurrency, len(orders)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(orders) {
					return
				}
				shopSide[i], errs[i] = orders[i].read(ctx)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return audit.Result{}, nil, fmt.Errorf("reading the shop's orders: %w", err)
	}
	var bank []audit.BankOrder
	for _, o := range bankOrders {
		bank = append(bank, audit.BankOrder{OrderNo: o.OrderNo, Amount: o.Amount})
	}
	var pays []audit.BankPayment
	for _, p := range payments {
		pays = append(pays, audit.BankPayment{OrderNo: p.OrderNo, Amount: p.Amount, Status: p.Status, APType: p.APType})
	}
	// Only this run's orders: the sandbox may hold others.
	res := audit.Compare(shopSide, bank, pays, audit.Options{})
	var differ []*loadOrder
	for _, o := range orders {
		for _, p := range res.Problems {
			if strings.HasPrefix(p, o.no+":") {
				differ = append(differ, o)
				break
			}
		}
	}
	return res, differ, nil
}

// read is the order as its customer sees it in the shop: status, amount
// and the transitions to paid on its timeline.
func (o *loadOrder) read(ctx context.Context) (audit.ShopOrder, error) {
	resp, page, err := o.cust.get(ctx, "/orders/"+o.no)
	if err != nil {
		return audit.ShopOrder{}, fmt.Errorf("%s: %w", o.no, err)
	}
	if resp.StatusCode != http.StatusOK {
		return audit.ShopOrder{}, fmt.Errorf("%s: HTTP %d", o.no, resp.StatusCode)
	}
	so := audit.ShopOrder{No: o.no, PaidEvents: len(rePaidTo.FindAllStringIndex(page, -1))}
	if m := reStatus.FindStringSubmatch(page); m != nil {
		so.Status = m[1]
	}
	if m := reAmount.FindStringSubmatch(page); m != nil {
		so.Amount, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return so, nil
}

// notifyFlood posts forged notifications as fast as the workers can and
// reports the acknowledgement rate and latency.
func (l *load) notifyFlood(ctx context.Context, stdout io.Writer) int {
	fmt.Fprintf(l.progress, "loadtest: %d senders posting notifications for %s to %s/funbiz/notify\n", l.c.concurrency, l.c.duration, l.c.shop)
	runCtx, cancel := context.WithTimeout(ctx, l.c.duration)
	defer cancel()
	start := time.Now()
	stop := l.showProgress(runCtx, start)
	var wg sync.WaitGroup
	bad := &l.failed
	for range l.c.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				body := fmt.Sprintf(`{"ShopNo":%q,"PayToken":%q}`, l.c.shopNo, randHex(32))
				t := time.Now()
				req, _ := http.NewRequestWithContext(runCtx, http.MethodPost, l.c.shop.String()+"/funbiz/notify", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := l.api.Do(req)
				if err != nil {
					if runCtx.Err() == nil {
						l.st.fail("notify", err)
						bad.Add(1)
					}
					continue
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(raw) != `{"Status":"S"}` {
					l.st.fail("notify", fmt.Errorf("HTTP %d %s", resp.StatusCode, bytes.TrimSpace(raw)))
					bad.Add(1)
					continue
				}
				l.st.add("notify_ack", time.Since(t))
				l.done.Add(1)
			}
		}()
	}
	wg.Wait()
	stop()
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "\n%d notifications acknowledged in %s (%.1f per second), %d not\n\n", l.done.Load(), elapsed.Round(time.Millisecond),
		float64(l.done.Load())/elapsed.Seconds(), bad.Load())
	l.st.print(stdout, elapsed)
	if bad.Load() > 0 {
		return 1
	}
	return 0
}
