package faults

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// The shop's database is unreachable for longer than the bank's whole
// resend window (5 attempts, 10 minutes apart, on the sandbox's clock)
// while customers pay. The shop acknowledges no notification it could not
// record, so the bank gives up on every one; once the database is back,
// the reconciliation sweep finds every payment.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	// The bank's real schedule: every 10 minutes, 5 attempts; the test
	// moves the sandbox's clock instead of waiting.
	w := newWorld(t, "postgres", []string{"--notify-interval", "10m", "--notify-attempts", "5"})
	ctx := context.Background()
	c := w.newCustomer("outage")
	var orders []string
	for i := range 6 {
		no, err := w.order(ctx, c, map[bool]string{true: "A", false: "C"}[i%2 == 0])
		mustT(t, err)
		orders = append(orders, no)
	}

	// The shop leads its job queue before the outage, so that the
	// periodic sweep is its to enqueue during it.
	waitfor.Event(t, 30*time.Second, "the shop leading its job queue", func(ctx context.Context) error {
		var n int
		if err := w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_leader`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return errors.New("no leader yet")
		}
		return nil
	})

	down := pgOutage(t, w.opts.DB)
	outageStart := time.Now()
	var tokens []string
	for _, no := range orders {
		tok, err := w.pay(ctx, no)
		mustT(t, err)
		tokens = append(tokens, tok)
	}
	// The card customers come back from the bank's page: the shop cannot
	// record their return either, and says so.
	for _, tok := range tokens {
		code, loc, err := callbacks.Return(ctx, w.shop.URL, tok)
		mustT(t, err)
		if code != http.StatusServiceUnavailable {
			t.Errorf("return during the outage: HTTP %d to %q", code, loc)
		}
	}
	// Four more attempts, ten minutes apart, and the bank gives up.
	for range 5 {
		_, err := w.bank.Advance(ctx, 10*time.Minute)
		mustT(t, err)
	}
	// The outage also lasts until the shop's background work has met it:
	// its job queue failing to fetch jobs, and failing to enqueue the
	// periodic sweep.
	for _, line := range riverMetOutage {
		if err := w.shop.WaitOutput(line, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := w.bank.Deliveries(ctx, sandbox.Filter{})
	mustT(t, err)
	if len(ds) != len(orders) {
		t.Fatalf("%d notifications, want %d", len(ds), len(orders))
	}
	for _, d := range ds {
		if d.State != "gave-up" || len(d.Attempts) != 5 {
			t.Errorf("%s: delivery %s after %d attempts, want gave-up after 5", d.OrderNo, d.State, len(d.Attempts))
		}
		for _, a := range d.Attempts {
			if a.OK || a.HTTPStatus != http.StatusServiceUnavailable {
				t.Errorf("%s: the shop answered %d (ok=%v) while it could not record", d.OrderNo, a.HTTPStatus, a.OK)
			}
		}
	}
	select {
	case <-w.shop.Exited():
		t.Fatal("the shop died during the outage")
	default:
	}

	down()
	r := w.converge(30 * time.Second)
	t.Logf("database down %s (50 bank minutes): %d notifications refused with 503, none acknowledged; after it came back the sweep found %d of %d payments",
		time.Since(outageStart).Round(time.Millisecond), 5*len(ds), r.Paid, len(orders))
	var sources []string
	rows, err := w.db.SQL.QueryContext(ctx, `SELECT source FROM payment_events WHERE to_status = 'S'`)
	mustT(t, err)
	defer rows.Close()
	for rows.Next() {
		var s string
		mustT(t, rows.Scan(&s))
		sources = append(sources, s)
	}
	if len(sources) != len(orders) || strings.Count(strings.Join(sources, ","), "reconcile") != len(orders) {
		t.Errorf("payments found by %v, want the sweep (reconcile) for all %d", sources, len(orders))
	}
}

// riverMetOutage are the words River, the shop's job queue, logs when its
// producer cannot fetch jobs and when its leader cannot enqueue a
// periodic job (the sweep).
var riverMetOutage = []string{
	"producer: Error fetching jobs",
	"PeriodicJobEnqueuer: Error",
}

// pgOutage makes the PostgreSQL database at target refuse connections and
// cuts the ones it has, as a database server going away would; the
// returned func brings it back.
func pgOutage(t *testing.T, target string) func() {
	t.Helper()
	u, err := url.Parse(target)
	mustT(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("pgx", storagetest.AdminURL())
	mustT(t, err)
	t.Cleanup(func() { admin.Close() })
	exec := func(q string) {
		t.Helper()
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`)
	back := false
	up := func() {
		if !back {
			back = true
			exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`)
		}
	}
	t.Cleanup(up)
	return up
}
