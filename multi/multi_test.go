package multi_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

func TestMain(m *testing.M) { os.Exit(proctest.Main(m)) }

// callbacks posts the bank's notification and the browser's return, as
// the bank behind a load balancer would to either instance, from the
// address the shops know as the bank's (proctest.NotifyFrom).
var callbacks = shopclient.NewBank(sandbox.DemoShopNo, proctest.BankHTTP())

// How an order of the test is paid.
type kind int

const (
	byATM       kind = iota
	byCard           // paid at the first attempt
	byCardRetry      // declined once, then paid
)

func (k kind) String() string { return [...]string{"ATM", "card", "card declined then paid"}[k] }

// order is one order of the test and what the bank did with it.
type order struct {
	no       string
	kind     kind
	amount   int64
	atmPayNo string
	declined string // the declined attempt's PayToken
	paid     string // the payment's PayToken
}

// deliveries counts the callbacks the shops acknowledged, per PayToken and
// source ("notify" or "return"): each is one row of the PayToken log.
type deliveries struct {
	mu sync.Mutex
	n  map[[2]string]int
}

func (d *deliveries) add(token, source string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n[[2]string{token, source}]++
}

// TestTwoInstancesOneDatabase runs two shops on one PostgreSQL database
// with one bank, and sends every payment's callbacks to both at once, as a
// bank retrying behind a load balancer would. Every order must end in one
// final state with one payment event per change, every delivery must be
// one row of the PayToken log, and the periodic sweep must run once per
// period however many instances there are.
func TestTwoInstancesOneDatabase(t *testing.T) {
	dbURL := storagetest.PostgresURL(t) // skips without PostgreSQL, fails in CI
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	began := time.Now()

	sb := proctest.StartSandbox(t, proctest.SandboxOptions{})
	addrs, err := proctest.FreeAddrs(2)
	if err != nil {
		t.Fatal(err)
	}
	// The bank calls A back (its --base-url); the test posts to both. The
	// sweep runs every second and looks at orders a second old, so it
	// races the callbacks for the same orders on both instances; with no
	// limit on confirmations, they all race too.
	env := []string{"SINOPAY_SWEEP_EVERY=1s", "SINOPAY_CHECK_AFTER=1s", "SINOPAY_CONFIRM_RATE=off"}
	opts := []proctest.ShopOptions{
		{Name: "shop A", DB: dbURL, Bank: sb, Addr: addrs[0], Env: env},
		{Name: "shop B", DB: dbURL, Bank: sb, Addr: addrs[1], BaseURL: "http://" + addrs[0], Env: env},
	}
	// Both start at once on the empty database: their migrations must
	// take turns.
	shops := make([]*proctest.Shop, len(opts))
	errs := make([]error, len(opts))
	var wg sync.WaitGroup
	for i := range opts {
		wg.Go(func() { shops[i], errs[i] = proctest.TryStartShop(t, opts[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	urls := []string{shops[0].URL, shops[1].URL}
	t.Logf("two shops on one database and a sandbox up in %s", time.Since(began).Round(time.Millisecond))

	db, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	orders := placeOrders(t, ctx, urls, db)
	got := &deliveries{n: map[[2]string]int{}}
	declineFirst(t, ctx, sb, urls, db, orders, got)
	pay(t, ctx, sb, orders)
	storm(t, ctx, urls, orders, got)
	settle(t, ctx, sb, db, orders)
	t.Logf("%d orders paid through two instances and settled in %s", len(orders), time.Since(began).Round(time.Millisecond))

	checkOrders(t, ctx, sb, db, orders)
	checkPayTokens(t, ctx, sb, db, orders, got)
	checkSweeps(t, ctx, db, shops)
}

// placeOrders signs customers up on both instances and has each buy four
// things, alternating instances: a third by ATM, a third by card, a third
// by card declined once.
func placeOrders(t *testing.T, ctx context.Context, urls []string, db *storage.DB) []*order {
	t.Helper()
	const customers, each = 6, 4
	carts := []string{"q_1=1", "q_3=1", "q_1=2&q_5=1", "q_2=1", "q_4=1&q_3=2"}
	orders := make([]*order, customers*each)
	var wg sync.WaitGroup
	errs := make(chan error, customers)
	for c := range customers {
		wg.Go(func() {
			cust, err := proctest.NewCustomer(ctx, urls[c%2], fmt.Sprintf("multi-%d-%d@example.com", c, time.Now().UnixNano()))
			if err != nil {
				errs <- err
				return
			}
			for j := range each {
				i := c*each + j
				o := &order{kind: kind(i % 3)}
				payType := "C"
				if o.kind == byATM {
					payType = "A"
				}
				// The session made on one instance works on the other.
				if o.no, err = cust.Checkout(ctx, urls[(c+j)%2], carts[i%len(carts)], payType); err != nil {
					errs <- fmt.Errorf("order %d: %w", i, err)
					return
				}
				orders[i] = o
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, o := range orders {
		so, err := db.OrderByNo(ctx, o.no)
		if err != nil {
			t.Fatal(err)
		}
		if so.Bank.State != shop.BankCreated || so.Status != shop.StatusWaiting {
			t.Fatalf("order %s: status %s, bank %s after checkout", o.no, so.Status, so.Bank.State)
		}
		o.amount, o.atmPayNo = int64(so.Amount), so.Bank.AtmPayNo
		if o.kind == byATM && o.atmPayNo == "" {
			t.Fatalf("ATM order %s has no virtual account", o.no)
		}
	}
	return orders
}

// declineFirst has the bank decline the first card attempt of the
// retried orders, posts the browser's return to B (the bank notifies A),
// and waits until both have made the orders failed.
func declineFirst(t *testing.T, ctx context.Context, sb *proctest.Sandbox, urls []string, db *storage.DB, orders []*order, got *deliveries) {
	t.Helper()
	var retried []*order
	for _, o := range orders {
		if o.kind == byCardRetry {
			retried = append(retried, o)
		}
	}
	errs := make(chan error, len(retried))
	var wg sync.WaitGroup
	for _, o := range retried {
		wg.Go(func() {
			p, err := sb.PayCard(ctx, sandbox.DemoShopNo, o.no, sandbox.OutcomeDecline)
			if err != nil || p.Status != "F" {
				errs <- fmt.Errorf("declining %s: %+v %v", o.no, p, err)
				return
			}
			o.declined = p.PayToken
			code, loc, err := callbacks.Return(ctx, urls[1], p.PayToken)
			if err != nil || code != 303 {
				errs <- fmt.Errorf("return of the decline of %s: HTTP %d %v", o.no, code, err)
				return
			}
			got.add(p.PayToken, "return")
			if want := "/orders/" + o.no + "/result"; loc != want && !strings.HasPrefix(loc, "/payments/") {
				errs <- fmt.Errorf("return of the decline of %s went to %q", o.no, loc)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitfor.Event(t, 30*time.Second, "the declined orders failed", func(ctx context.Context) error {
		for _, o := range retried {
			so, err := db.OrderByNo(ctx, o.no)
			if err != nil {
				return err
			}
			if so.Status != shop.StatusFailed {
				return fmt.Errorf("%s is %s", o.no, so.Status)
			}
		}
		return nil
	})
}

// pay pays every order at the bank, which notifies A; a quarter of the
// notifications the bank itself sends twice.
func pay(t *testing.T, ctx context.Context, sb *proctest.Sandbox, orders []*order) {
	t.Helper()
	errs := make(chan error, len(orders))
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			if i%4 == 0 {
				if _, err := sb.ArmChaos(ctx, sandbox.ChaosInput{OrderNo: o.no, Notify: "duplicate"}); err != nil {
					errs <- err
					return
				}
			}
			var p sandbox.PayResult
			var err error
			if o.kind == byATM {
				p, err = sb.Transfer(ctx, o.atmPayNo, o.amount)
			} else {
				p, err = sb.PayCard(ctx, sandbox.DemoShopNo, o.no, sandbox.OutcomeSuccess)
			}
			if err != nil || p.Status != "S" || p.PayToken == "" {
				errs <- fmt.Errorf("paying %s (%s): %+v %v", o.no, o.kind, p, err)
				return
			}
			o.paid = p.PayToken
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// dupNotifies is how many times each instance is sent each payment's
// notification at once.
const dupNotifies = 3

// storm sends, for every order at the same moment, the payment's
// notification dupNotifies times to each instance, the card return to one
// instance while one more notification goes to the other, and the
// declined attempt's notification, late, to both.
func storm(t *testing.T, ctx context.Context, urls []string, orders []*order, got *deliveries) {
	t.Helper()
	gate := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	notify := func(url, token string) {
		wg.Go(func() {
			<-gate
			code, body, err := callbacks.Notify(ctx, url, token)
			if err != nil || code != 200 || body != shopclient.Ack {
				fail("notify %s to %s: HTTP %d %q %v", token[:8], url, code, body, err)
				return
			}
			got.add(token, "notify")
		})
	}
	sent := 0
	for i, o := range orders {
		for range dupNotifies {
			notify(urls[0], o.paid)
			notify(urls[1], o.paid)
			sent += 2
		}
		if o.kind != byATM {
			ret, other := urls[i%2], urls[(i+1)%2]
			notify(other, o.paid)
			wg.Go(func() {
				<-gate
				code, loc, err := callbacks.Return(ctx, ret, o.paid)
				if err != nil || code != 303 {
					fail("return of %s to %s: HTTP %d %v", o.no, ret, code, err)
					return
				}
				got.add(o.paid, "return")
				if want := "/orders/" + o.no + "/result"; loc != want && !strings.HasPrefix(loc, "/payments/") {
					fail("return of %s went to %q", o.no, loc)
				}
			})
			sent += 2
		}
		if o.kind == byCardRetry {
			notify(urls[0], o.declined)
			notify(urls[1], o.declined)
			sent += 2
		}
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	t.Logf("%d callbacks sent at once, all answered in %s", sent, time.Since(start).Round(time.Millisecond))
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.FailNow()
	}
}

// settle waits until the bank has nothing left to send and the shops have
// confirmed every delivery and paid every order.
func settle(t *testing.T, ctx context.Context, sb *proctest.Sandbox, db *storage.DB, orders []*order) {
	t.Helper()
	waitfor.Event(t, 45*time.Second, "every order paid and every delivery confirmed", func(ctx context.Context) error {
		ds, err := sb.Deliveries(ctx, sandbox.Filter{})
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.State == "pending" {
				return errors.New("the bank still has a notification of " + d.OrderNo + " to send")
			}
		}
		var waiting int
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens WHERE processed_at = 0`).Scan(&waiting); err != nil {
			return err
		}
		if waiting > 0 {
			return fmt.Errorf("%d deliveries not confirmed", waiting)
		}
		for _, o := range orders {
			so, err := db.OrderByNo(ctx, o.no)
			if err != nil {
				return err
			}
			if so.Status != shop.StatusPaid {
				return fmt.Errorf("%s is %s", o.no, so.Status)
			}
		}
		return nil
	})
}

// checkOrders: paid once at the bank, paid in the shop, and one payment
// event per change of status.
func checkOrders(t *testing.T, ctx context.Context, sb *proctest.Sandbox, db *storage.DB, orders []*order) {
	t.Helper()
	bank, err := sb.Orders(ctx, sandbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	atBank := map[string]sandbox.OrderView{}
	for _, b := range bank {
		atBank[b.OrderNo] = b
	}
	for _, o := range orders {
		b, ok := atBank[o.no]
		if !ok || b.PaidAt == "" || b.Amount != o.amount {
			t.Errorf("%s (%s): the bank has %+v, want paid NT$%d", o.no, o.kind, b, o.amount)
		}
		so, err := db.OrderByNo(ctx, o.no)
		if err != nil {
			t.Fatal(err)
		}
		if so.Status != shop.StatusPaid {
			t.Errorf("%s (%s): %s in the shop, paid at the bank", o.no, o.kind, so.Status)
		}
		evs, err := db.Events(ctx, so.ID)
		if err != nil {
			t.Fatal(err)
		}
		var moves []string
		for _, e := range evs {
			moves = append(moves, string(e.From)+"→"+string(e.To))
		}
		want := []string{"W→S"}
		if o.kind == byCardRetry {
			want = []string{"W→F", "F→S"}
		}
		if !slices.Equal(moves, want) {
			t.Errorf("%s (%s): payment events %v, want %v", o.no, o.kind, moves, want)
		}
	}
}

// checkPayTokens: the PayToken log has one row per delivery, the test's
// and the bank's own (retries and chaos duplicates included), and each
// row was confirmed against the order the bank names.
func checkPayTokens(t *testing.T, ctx context.Context, sb *proctest.Sandbox, db *storage.DB, orders []*order, got *deliveries) {
	t.Helper()
	want := map[[2]string]int{}
	for k, n := range got.n {
		want[k] = n
	}
	ds, err := sb.Deliveries(ctx, sandbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	bankSent := 0
	for _, d := range ds {
		for _, a := range d.Attempts {
			// An attempt the shop did not acknowledge recorded nothing.
			if a.OK {
				want[[2]string{d.PayToken, "notify"}]++
				bankSent++
			}
		}
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT pay_token, source, order_no, outcome, processed_at FROM pay_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	byToken := map[string]*order{}
	for _, o := range orders {
		byToken[o.paid] = o
		if o.declined != "" {
			byToken[o.declined] = o
		}
	}
	have := map[[2]string]int{}
	total := 0
	for rows.Next() {
		var token, source, orderNo, outcome string
		var processed int64
		if err := rows.Scan(&token, &source, &orderNo, &outcome, &processed); err != nil {
			t.Fatal(err)
		}
		have[[2]string{token, source}]++
		total++
		o := byToken[token]
		switch {
		case o == nil:
			t.Errorf("a PayToken log row for a token the test never sent: %s %s", token, source)
		case processed == 0 || orderNo != o.no:
			t.Errorf("%s: delivery of %s (%s) not confirmed: order %q, outcome %q", o.no, token[:8], source, orderNo, outcome)
		case token == o.paid && !strings.HasPrefix(outcome, "paid"),
			token == o.declined && !strings.HasPrefix(outcome, "failed"):
			t.Errorf("%s: delivery of %s (%s) ended %q", o.no, token[:8], source, outcome)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k, n := range want {
		if have[k] != n {
			t.Errorf("PayToken %s by %s: %d rows for %d deliveries", k[0][:8], k[1], have[k], n)
		}
	}
	for k, n := range have {
		if _, ok := want[k]; !ok {
			t.Errorf("PayToken %s by %s: %d rows, no delivery", k[0][:8], k[1], n)
		}
	}
	t.Logf("PayToken log: %d rows for %d deliveries of the test and %d of the bank", total, total-bankSent, bankSent)
}

var reClientID = regexp.MustCompile(`"msg":"River client started".*?"client_id":"([^"]+)"`)

// checkSweeps: the reconciliation sweep is a periodic job that only the
// elected leader enqueues, once per period: never two sweeps scheduled in
// one second, whichever instance runs them. When the leader stops, the
// other instance takes over the sweeps.
func checkSweeps(t *testing.T, ctx context.Context, db *storage.DB, shops []*proctest.Shop) {
	t.Helper()
	ids := map[string]*proctest.Shop{}
	for _, s := range shops {
		m := reClientID.FindStringSubmatch(s.Output())
		if m == nil {
			t.Fatalf("%s did not log its River client id", s.Name)
		}
		ids[m[1]] = s
	}
	if len(ids) != len(shops) {
		t.Fatalf("the instances share a River client id: %v", ids)
	}
	completed := func(after time.Time, by string) (int, error) {
		var n int
		err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job
			WHERE kind = 'reconcile_sweep' AND state = 'completed' AND scheduled_at > $1 AND ($2 = '' OR $2 = ANY (attempted_by))`,
			after, by).Scan(&n)
		return n, err
	}
	waitfor.Event(t, 20*time.Second, "three sweeps done", func(ctx context.Context) error {
		n, err := completed(time.Time{}, "")
		if err != nil {
			return err
		}
		if n < 3 {
			return fmt.Errorf("%d sweeps done", n)
		}
		return nil
	})
	leader := func() (string, error) {
		var id string
		err := db.SQL.QueryRowContext(ctx, `SELECT leader_id FROM river_leader`).Scan(&id)
		return id, err
	}
	first, err := leader()
	if err != nil || ids[first] == nil {
		t.Fatalf("River leader %q (%v), want one of the two instances", first, err)
	}
	var next string
	for id := range ids {
		if id != first {
			next = id
		}
	}
	// A graceful stop gives up the leadership; the other instance is
	// elected at its next try and goes on with the sweeps.
	stopped := time.Now()
	ids[first].Stop()
	waitfor.Event(t, 30*time.Second, ids[next].Name+" leading and sweeping", func(ctx context.Context) error {
		id, err := leader()
		if err != nil || id != next {
			return fmt.Errorf("leader %q (%v)", id, err)
		}
		n, err := completed(stopped, next)
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("no sweep by the new leader yet")
		}
		return nil
	})

	var sweeps, periods, keys int
	err = db.SQL.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT date_trunc('second', scheduled_at)), COUNT(DISTINCT unique_key)
		FROM river_job WHERE kind = 'reconcile_sweep'`).Scan(&sweeps, &periods, &keys)
	if err != nil {
		t.Fatal(err)
	}
	if periods != sweeps || keys != sweeps {
		t.Errorf("%d sweeps in %d distinct seconds with %d unique keys; want one a second at most", sweeps, periods, keys)
	}
	t.Logf("%d sweeps, at most one a second; %s led, then %s, %s after the stop",
		sweeps, ids[first].Name, ids[next].Name, time.Since(stopped).Round(time.Millisecond))
}
