// Package loadtest is `sinopay loadtest`: synthetic customers drive whole
// ATM and card purchases through a running shop and its sandbox over
// HTTP (no browser; the sandbox's control API pays), throughput and
// latency are reported per step, and every order is then audited against
// the sandbox's records. In notify mode it instead floods the shop's
// notification endpoint with forged PayTokens. Load only ever goes to
// loopback addresses.
package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/audit"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// Run runs the load test c, printing the results on stdout and progress
// on stderr, and returns the exit code: 0 when every purchase went
// through and the audit found nothing (or every forged notification was
// acknowledged), 1 otherwise, 2 for a bad Config.
//
// With c.JSON, stdout gets one JSON Result and nothing else; the tables a
// person reads go to stderr with the progress.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer) int {
	shop, sb, err := c.check()
	if err != nil {
		fmt.Fprintf(stderr, "sinopay loadtest: %v\n", err)
		return 2
	}
	var shopURL, sbURL string
	if shop != nil {
		shopURL = shop.String()
	}
	if sb != nil {
		sbURL = sb.String()
	}
	l := newLoad(c, shopURL, sbURL, stderr)
	out := stdout
	if c.JSON {
		out = stderr
	}
	l.res = Result{Mode: c.Mode, Shop: shopURL, Sandbox: sbURL, Bank: strings.TrimRight(c.Bank, "/"), Concurrency: c.Concurrency, LoadAverage: [2]float64{-1, -1}}
	l.meter = &cpuMeter{hc: l.api}
	if c.Mode != ModeBank {
		l.meter.add("shop", orDefault(c.ShopMetrics, shopURL+"/metrics"))
	}
	switch {
	case c.SandboxMetrics != "":
		l.meter.add("sandbox", c.SandboxMetrics)
	case sbURL != "":
		l.meter.add("sandbox", sbURL+"/metrics")
	case strings.HasSuffix(l.res.Bank, sandbox.APIPrefix):
		l.meter.add("bank", strings.TrimSuffix(l.res.Bank, sandbox.APIPrefix)+"/metrics")
	}
	var code int
	switch c.Mode {
	case ModeNotify:
		code = l.notifyFlood(ctx, out)
	case ModeBank:
		code = l.bankCalls(ctx, out)
	case ModeAPI:
		code = l.apiPayments(ctx, out)
	default:
		code = l.flows(ctx, out)
	}
	l.res.OK = code == 0
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(l.res); err != nil {
			fmt.Fprintf(stderr, "sinopay loadtest: %v\n", err)
			return 1
		}
	}
	return code
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// password is every synthetic customer's.
const password = "load-test-password"

// carts the load buys: product IDs 1–5 are the seeded catalogue.
var carts = []string{"q_1=1", "q_3=1", "q_1=2&q_5=1", "q_2=1", "q_4=1&q_3=2"}

type load struct {
	c             Config
	shop, sandbox string // base URLs
	st            *stats
	progress      io.Writer
	res           Result
	meter         *cpuMeter
	api           *http.Client // the bank's, the callbacks', the metrics'
	done          atomic.Int64
	failed        atomic.Int64
	held          atomic.Int64 // sign-ups held back by the shop
	mu            sync.Mutex
	orders        []*order
	payments      []*apiPayment // --mode api's

	browser   *http.Client // the customers'
	bank      *sandbox.ControlClient
	callbacks *shopclient.Bank
}

// order is one order of the run and the customer who made it.
type order struct {
	no   string
	cust *shopclient.Customer
}

func newLoad(c Config, shop, sb string, progress io.Writer) *load {
	// One pool of connections for everything, sized for the customers.
	tr := &http.Transport{MaxIdleConnsPerHost: c.Concurrency * 2, MaxConnsPerHost: c.Concurrency * 4}
	api := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	posts := api
	if c.From != "" {
		d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(c.From)}}
		posts = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext,
			MaxIdleConnsPerHost: c.Concurrency * 2, MaxConnsPerHost: c.Concurrency * 4}}
	}
	return &load{
		c: c, shop: shop, sandbox: sb, st: newStats(), progress: progress, api: api,
		browser:   &http.Client{Transport: tr, Timeout: 60 * time.Second},
		bank:      sandbox.NewControlClient(sb, api),
		callbacks: shopclient.NewBank(c.ShopNo, posts),
	}
}

// newCustomer signs a customer up. A sign-up the shop holds back (429,
// its per-address limit on sign-ups and log-ins, which every synthetic
// customer shares) is tried again after the Retry-After it gives.
func (l *load) newCustomer(ctx context.Context) (*shopclient.Customer, error) {
	email := "load-" + randHex(8) + "@example.com"
	for {
		start := time.Now()
		c, err := shopclient.SignUp(ctx, l.browser, l.shop, email, password)
		var held *shopclient.StatusError
		if errors.As(err, &held) && held.Code == http.StatusTooManyRequests {
			wait := held.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			if l.held.Add(1) == 1 {
				fmt.Fprintf(l.progress, "loadtest: the shop holds back sign-ups from this address (HTTP 429); waiting as its Retry-After asks (%s)\n", wait)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, err
			case <-t.C:
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		l.st.add("signup", time.Since(start))
		return c, nil
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func stepErr(step string, err error) error { return fmt.Errorf("%s: %w", step, err) }

// purchase runs one whole purchase and records its steps.
func (l *load) purchase(ctx context.Context, c *shopclient.Customer, r *mrand.Rand) error {
	atm := r.Float64() < l.c.ATMShare
	start := time.Now()
	payType := "C"
	if atm {
		payType = "A"
	}
	form, err := c.CheckoutForm(ctx, l.shop, carts[r.IntN(len(carts))], payType)
	if err != nil {
		return stepErr("checkout_page", err)
	}
	l.st.add("checkout_page", time.Since(start))
	t := time.Now()
	no, err := c.Submit(ctx, l.shop, form)
	if err != nil {
		return stepErr("checkout_submit", err)
	}
	l.st.add("checkout_submit", time.Since(t))
	// The page the checkout sends the browser to; a card purchase goes on
	// even if the shop could not draw it.
	page, err := c.Order(ctx, l.shop, no)
	var refused *shopclient.StatusError
	if err != nil && !errors.As(err, &refused) {
		return stepErr("order_page", err)
	}
	l.mu.Lock()
	l.orders = append(l.orders, &order{no: no, cust: c})
	l.mu.Unlock()
	if r.Float64() < l.c.DupShare {
		if _, err := l.bank.ArmChaos(ctx, sandbox.ChaosInput{ShopNo: l.c.ShopNo, OrderNo: no, Notify: "duplicate"}); err != nil {
			return stepErr("chaos", err)
		}
	}
	if atm {
		if page.ATMAccount == "" {
			return fmt.Errorf("order page %s shows no ATM account", no)
		}
		bo, err := l.bank.Order(ctx, l.c.ShopNo, no)
		if err != nil {
			return stepErr("bank_order", err)
		}
		t = time.Now()
		if _, err := l.bank.Transfer(ctx, page.ATMAccount, bo.Amount); err != nil {
			return stepErr("atm_transfer", err)
		}
		l.st.add("atm_transfer", time.Since(t))
		t = time.Now()
		if err := l.awaitStatus(ctx, c, no, "S"); err != nil {
			return stepErr("atm_confirmed", err)
		}
		l.st.add("atm_confirmed", time.Since(t))
		l.st.add("purchase_atm", time.Since(start))
		l.st.addOp(time.Since(start))
		return nil
	}
	if r.Float64() < l.c.DeclineShare {
		if err := l.payCard(ctx, c, no, sandbox.OutcomeDecline, "F", "declined_"); err != nil {
			return err
		}
	}
	if err := l.payCard(ctx, c, no, sandbox.OutcomeSuccess, "S", ""); err != nil {
		return err
	}
	l.st.add("purchase_card", time.Since(start))
	l.st.addOp(time.Since(start))
	return nil
}

// payCard pays at the sandbox as its card page would, then posts the
// return as the browser would, and follows the shop to the result. Its
// steps are named with prefix, so declined attempts are timed apart.
func (l *load) payCard(ctx context.Context, c *shopclient.Customer, no string, outcome sandbox.Outcome, want, prefix string) error {
	t := time.Now()
	res, err := l.bank.PayCard(ctx, l.c.ShopNo, no, outcome)
	if err != nil {
		return stepErr(prefix+"card_pay", err)
	}
	l.st.add(prefix+"card_pay", time.Since(t))
	t = time.Now()
	code, _, err := l.callbacks.Return(ctx, l.shop, res.PayToken)
	if err != nil {
		return stepErr(prefix+"return", err)
	}
	if code != http.StatusSeeOther {
		return fmt.Errorf("%sreturn: HTTP %d", prefix, code)
	}
	l.st.add(prefix+"return", time.Since(t))
	t = time.Now()
	if err := l.awaitStatus(ctx, c, no, want); err != nil {
		return stepErr(prefix+"card_confirmed", err)
	}
	l.st.add(prefix+"card_confirmed", time.Since(t))
	return nil
}

// awaitStatus follows the order as its page does, through its status URL
// (asked every 25 ms rather than the page's 2 s, to time the payment
// finely), until it has status want, then reads the page once, as the
// page does when the status moves, and checks it says so too. An answer
// the shop could not give is asked again.
func (l *load) awaitStatus(ctx context.Context, c *shopclient.Customer, no, want string) error {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := waitfor.Until(wctx, 25*time.Millisecond, func(wctx context.Context) error {
		status, err := c.OrderStatus(wctx, l.shop, no)
		if err != nil {
			return againIfRefused(wctx, err)
		}
		if status != want {
			return fmt.Errorf("order %s, want %s", status, want)
		}
		return nil
	})
	if err == nil {
		err = waitfor.Until(wctx, 25*time.Millisecond, func(wctx context.Context) error {
			p, err := c.Order(wctx, l.shop, no)
			if err != nil {
				return againIfRefused(wctx, err)
			}
			if p.Status != want {
				return waitfor.Stop(fmt.Errorf("order %s: status URL says %s, page says %s", no, want, p.Status))
			}
			return nil
		})
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// againIfRefused is err for waitfor.Until: an answer the shop gave but
// could not fill (a *shopclient.StatusError), or the wait's end, is asked
// again; anything else stops the wait.
func againIfRefused(ctx context.Context, err error) error {
	var refused *shopclient.StatusError
	if !errors.As(err, &refused) && ctx.Err() == nil {
		return waitfor.Stop(err)
	}
	return err
}

func (l *load) flows(ctx context.Context, stdout io.Writer) int {
	fmt.Fprintf(l.progress, "loadtest: %d customers for %s against %s (sandbox %s); ATM %.0f%%, card declined first %.0f%%, notification sent twice %.0f%%\n",
		l.c.Concurrency, l.c.Duration, l.shop, l.sandbox, 100*l.c.ATMShare, 100*l.c.DeclineShare, 100*l.c.DupShare)
	// Customers sign up before the clock starts: a sign-up hashes a
	// password, and would otherwise eat into a short run's purchases.
	custs := make([]*shopclient.Customer, l.c.Concurrency)
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
	l.begin(ctx)
	runCtx, cancel := context.WithTimeout(ctx, l.c.Duration)
	defer cancel()
	start := time.Now()
	stopProgress := l.showProgress(start)
	for i, c := range custs {
		if c == nil {
			continue
		}
		wg.Go(func() {
			r := mrand.New(mrand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for runCtx.Err() == nil {
				// A started purchase finishes even after the run's end, so the
				// audit sees whole purchases.
				if err := l.purchase(context.WithoutCancel(ctx), c, r); err != nil {
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
	l.end(ctx, start, "purchase")
	l.summary(stdout, start, "purchases", "failed")
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

// summary prints how many things were done since start, how many were
// not (as notDone says), and the latency of every step.
func (l *load) summary(w io.Writer, start time.Time, done, notDone string) {
	r := &l.res
	elapsed := time.Duration(r.Seconds * float64(time.Second))
	fmt.Fprintf(w, "\n%d %s in %s (%.1f per second), %d %s; each p50 %.1fms, p99 %.1fms\n", r.Ops, done, elapsed.Round(time.Millisecond),
		r.PerSecond, r.Failed, notDone, r.Latency.P50, r.Latency.P99)
	printCPU(w, r.CPU, r.Op)
	if r.LoadAverage[0] >= 0 {
		fmt.Fprintf(w, "load average (1 min) %.2f at the start, %.2f at the end\n", r.LoadAverage[0], r.LoadAverage[1])
	}
	fmt.Fprintln(w)
	l.st.print(w, elapsed)
}

// begin reads the processes' CPU just before the clock starts.
func (l *load) begin(ctx context.Context) {
	l.meter.start(ctx)
	l.res.LoadAverage[0] = loadAverage()
}

// end reads the processes' CPU once the last operation has ended, and
// fills the run's figures in.
func (l *load) end(ctx context.Context, start time.Time, op string) {
	elapsed := time.Since(start)
	l.meter.stop(ctx)
	r := &l.res
	r.LoadAverage[1] = loadAverage()
	r.Seconds = elapsed.Seconds()
	r.Op, r.Ops, r.Failed = op, l.done.Load(), l.failed.Load()
	r.PerSecond = float64(r.Ops) / elapsed.Seconds()
	r.CPU = l.meter.result(r.Ops, elapsed)
	l.st.fill(r, elapsed)
}

// showProgress reports progress until the returned function is called:
// on a terminal one line redrawn in place (elapsed and remaining time,
// operations done, their rate, errors), otherwise a line every 2 s.
func (l *load) showProgress(start time.Time) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	every := 2 * time.Second
	if l.c.Live {
		every = 250 * time.Millisecond
	}
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if l.c.Live {
					fmt.Fprint(l.progress, "\r\033[K")
				}
				return
			case <-t.C:
				n, el := l.done.Load(), time.Since(start)
				if !l.c.Live {
					fmt.Fprintf(l.progress, "  %5.0fs  %6d done  %7.1f/s  %4d failed\n", el.Seconds(), n, float64(n)/el.Seconds(), l.failed.Load())
					continue
				}
				left := "finishing"
				if rem := l.c.Duration - el; rem > 0 {
					left = fmt.Sprintf("%s left", rem.Round(time.Second))
				}
				fmt.Fprintf(l.progress, "\r\033[K  %s elapsed, %s  %d done  %.1f/s  %d errors", el.Round(time.Second), left, n, float64(n)/el.Seconds(), l.failed.Load())
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// audit compares every order the run made with the sandbox's records,
// waiting up to Settle for notifications and confirmations to land: it
// re-reads only the orders that still differ, then makes one last full
// pass, whose result it prints.
func (l *load) audit(ctx context.Context, w io.Writer) bool {
	fmt.Fprintf(w, "\naudit of %d orders against the sandbox:\n", len(l.orders))
	start := time.Now()
	settle, cancel := context.WithTimeout(ctx, l.c.Settle)
	defer cancel()
	pending := l.orders
	err := waitfor.Until(settle, 500*time.Millisecond, func(context.Context) error {
		// The run's context, not the wait's: a pass once begun is finished.
		res, differ, err := l.auditOnce(ctx, pending)
		if err != nil {
			return waitfor.Stop(err)
		}
		pending = differ
		if !res.OK() {
			return fmt.Errorf("%d orders differ", len(differ))
		}
		return nil
	})
	if err != nil && settle.Err() == nil {
		fmt.Fprintf(w, "  %v\n", err)
		return false
	}
	res, _, err := l.auditOnce(ctx, l.orders)
	if err != nil {
		fmt.Fprintf(w, "  %v\n", err)
		return false
	}
	l.res.Audit = &AuditSummary{Orders: res.Orders, Paid: res.Paid, OK: res.OK(), Problems: res.Problems[:min(len(res.Problems), 50)]}
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
func (l *load) auditOnce(ctx context.Context, orders []*order) (audit.Result, []*order, error) {
	bankOrders, err := l.bank.Orders(ctx, sandbox.Filter{})
	if err != nil {
		return audit.Result{}, nil, fmt.Errorf("reading the sandbox's orders: %w", err)
	}
	payments, err := l.bank.Payments(ctx, sandbox.Filter{})
	if err != nil {
		return audit.Result{}, nil, fmt.Errorf("reading the sandbox's payments: %w", err)
	}
	shopSide := make([]audit.ShopOrder, len(orders))
	errs := make([]error, len(orders))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(l.c.Concurrency, len(orders)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(orders) {
					return
				}
				o := orders[i]
				p, err := o.cust.Order(ctx, l.shop, o.no)
				shopSide[i] = audit.ShopOrder{No: o.no, Status: p.Status, Amount: p.Amount, PaidEvents: p.PaidEvents}
				errs[i] = err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return audit.Result{}, nil, fmt.Errorf("reading the shop's orders: %w", err)
	}
	bank, pays := audit.FromSandbox(bankOrders, payments)
	// Only this run's orders: the sandbox may hold others.
	res := audit.Compare(shopSide, bank, pays, audit.Options{})
	var differ []*order
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

// notifyFlood posts forged notifications as fast as the workers can and
// reports the acknowledgement rate and latency. Unless the shop lists
// 127.0.0.1 in SINOPAY_NOTIFY_FROM, they come from an unknown sender:
// past the shop's backlog they are answered 503, counted apart.
func (l *load) notifyFlood(ctx context.Context, stdout io.Writer) int {
	from := "127.0.0.1"
	if l.c.From != "" {
		from = l.c.From
	}
	fmt.Fprintf(l.progress, "loadtest: %d senders posting notifications for %s to %s/funbiz/notify from %s\n", l.c.Concurrency, l.c.Duration, l.shop, from)
	l.begin(ctx)
	runCtx, cancel := context.WithTimeout(ctx, l.c.Duration)
	defer cancel()
	start := time.Now()
	stop := l.showProgress(start)
	var wg sync.WaitGroup
	bad := &l.failed
	for range l.c.Concurrency {
		wg.Go(func() {
			for runCtx.Err() == nil {
				t := time.Now()
				code, body, err := l.callbacks.Notify(runCtx, l.shop, randHex(32))
				if err != nil {
					if runCtx.Err() == nil {
						l.st.fail("notify", err)
						bad.Add(1)
					}
					continue
				}
				if code == http.StatusServiceUnavailable {
					// The shop's backlog of unknown senders' notifications
					// is full: a bank would send again later.
					l.st.add("notify_deferred", time.Since(t))
					continue
				}
				if code != http.StatusOK || body != shopclient.Ack {
					l.st.fail("notify", fmt.Errorf("HTTP %d %s", code, strings.TrimSpace(body)))
					bad.Add(1)
					continue
				}
				l.st.add("notify_ack", time.Since(t))
				l.st.addOp(time.Since(t))
				l.done.Add(1)
			}
		})
	}
	wg.Wait()
	stop()
	l.end(ctx, start, "notification")
	l.summary(stdout, start, "notifications acknowledged", "not")
	if bad.Load() > 0 {
		return 1
	}
	return 0
}
