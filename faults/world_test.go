package faults

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/audit"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// fastEnv makes the shop's background work fast enough for a test: the
// sweep every half second, orders checked with the bank after a second
// without news, a job stuck for a second rescued, and no rate limit on
// confirmations (the tests that want one set it).
var fastEnv = []string{
	"SINOPAY_SWEEP_EVERY=1s",
	"SINOPAY_CHECK_AFTER=1s",
	"SINOPAY_RESCUE_AFTER=1s",
	"SINOPAY_CONFIRM_RATE=off",
}

// dbKinds are the databases every process test runs on.
var dbKinds = []string{"sqlite", "postgres"}

// dbTarget is a fresh database for a shop: a SQLite file, or a new
// PostgreSQL database (skipped without a server, a failure in CI).
func dbTarget(t *testing.T, kind string) string {
	t.Helper()
	if kind == "postgres" {
		return storagetest.PostgresURL(t)
	}
	return filepath.Join(t.TempDir(), "shop.db")
}

// world is a bank sandbox process and a shop process using it, with the
// test's own connection to the shop's database for the audit.
type world struct {
	t    *testing.T
	bank *sandbox.ControlClient // the bank's control API
	shop *proctest.Shop
	opts proctest.ShopOptions // to start the shop again in the same place
	db   *storage.DB
}

// newWorld starts a sandbox (with sandboxArgs) and a shop on a fresh
// database of kind, with fastEnv plus env.
func newWorld(t *testing.T, kind string, sandboxArgs []string, env ...string) *world {
	t.Helper()
	w := &world{t: t}
	sb := startSandbox(t, sandboxArgs...)
	w.bank = sb.ControlClient
	target := dbTarget(t, kind)
	w.opts = proctest.ShopOptions{
		Name: "shop (" + kind + ")",
		DB:   target,
		Bank: sb,
		Env:  append(append([]string{}, fastEnv...), env...),
		Args: []string{"--log-level", "debug"},
	}
	w.shop = w.start(nil)
	w.opts = w.shop.Options
	w.openDB(target)
	return w
}

// startSandbox starts a sandbox process with args, whose output the log
// scan reads.
func startSandbox(t *testing.T, args ...string) *proctest.Sandbox {
	t.Helper()
	sb := proctest.StartSandbox(t, proctest.SandboxOptions{Args: args})
	logs.watch(sb.Proc, true)
	return sb
}

// openDB opens the shop's database for the audit.
func (w *world) openDB(target string) {
	w.t.Helper()
	db, err := storage.Open(context.Background(), target)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { db.Close() })
	w.db = db
}

// eventCount is the number of payment events in the shop.
func (w *world) eventCount(ctx context.Context) int {
	w.t.Helper()
	var n int
	if err := w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_events`).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// start starts the shop in its place with extra environment.
func (w *world) start(extraEnv []string) *proctest.Shop {
	w.t.Helper()
	s, err := w.tryStart(extraEnv)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// tryStart is start for a shop that may die while starting.
func (w *world) tryStart(extraEnv []string) (*proctest.Shop, error) {
	o := w.opts
	o.Env = append(append([]string{}, o.Env...), extraEnv...)
	s, err := proctest.TryStartShop(w.t, o)
	if err != nil {
		logStart(err)
		return nil, err
	}
	logs.watch(s.Proc, false)
	w.shop = s
	return s, nil
}

// restart stops the shop gracefully and starts it again with extraEnv.
func (w *world) restart(extraEnv ...string) *proctest.Shop {
	w.t.Helper()
	w.shop.Stop()
	return w.start(extraEnv)
}

// expireLeader ends the job queue leadership of a killed shop. Its lease
// would run out by itself 15 s later; a crash test does not wait for it,
// and the next shop takes over the periodic sweep and the rescue of stuck
// jobs at once.
func (w *world) expireLeader() {
	w.t.Helper()
	if _, err := w.db.SQL.Exec(`DELETE FROM river_leader`); err != nil {
		w.t.Fatal(err)
	}
}

// shopOrders reads every order of the shop from its database, with its
// transitions to paid.
func (w *world) shopOrders(ctx context.Context) ([]audit.ShopOrder, error) {
	rows, err := w.db.SQL.QueryContext(ctx, `SELECT o.order_no, o.amount, o.status,
		(SELECT COUNT(*) FROM payment_events e WHERE e.order_id = o.id AND e.to_status = 'S'),
		COALESCE((SELECT MAX(e.amount) FROM payment_events e WHERE e.order_id = o.id AND e.to_status = 'S'), 0)
		FROM orders o ORDER BY o.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.ShopOrder
	for rows.Next() {
		var o audit.ShopOrder
		if err := rows.Scan(&o.No, &o.Amount, &o.Status, &o.PaidEvents, &o.PaidAmount); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// killed reports whether the shop has died by a signal (-1): the suite
// sends none but the crash points' SIGKILL, and Stop's SIGTERM ends the
// shop with exit code 0.
func (w *world) killed() bool {
	code, exited := w.shop.ExitCode()
	return exited && code == -1
}

// audit compares every order of the shop with every order and payment of
// its sandbox, both ways.
func (w *world) audit(ctx context.Context) (audit.Result, error) {
	shop, err := w.shopOrders(ctx)
	if err != nil {
		return audit.Result{}, fmt.Errorf("shop's orders: %w", err)
	}
	orders, err := w.bank.Orders(ctx, sandbox.Filter{})
	if err != nil {
		return audit.Result{}, fmt.Errorf("bank's orders: %w", err)
	}
	pays, err := w.bank.Payments(ctx, sandbox.Filter{})
	if err != nil {
		return audit.Result{}, fmt.Errorf("bank's payments: %w", err)
	}
	bo, bp := audit.FromSandbox(orders, pays)
	return audit.Compare(shop, bo, bp, audit.Options{BankSide: true}), nil
}

// quiet waits until the bank has no notification left to send, so that
// nothing from before reaches the next shop.
func (w *world) quiet(limit time.Duration) {
	w.t.Helper()
	waitfor.Event(w.t, limit, "the bank's last notification", w.noDeliveryPending)
}

// noDeliveryPending is nil when the bank has no notification left to
// send, and otherwise says how many it has.
func (w *world) noDeliveryPending(ctx context.Context) error {
	ds, err := w.bank.Deliveries(ctx, sandbox.Filter{})
	if err != nil {
		return err
	}
	pending := 0
	for _, d := range ds {
		if d.State == "pending" {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("the bank still has %d notifications to send", pending)
	}
	return nil
}

// allProcessed is nil when every PayToken the shop recorded has been
// processed, and otherwise says how many have not.
func (w *world) allProcessed(ctx context.Context) error {
	var open int
	if err := w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens WHERE processed_at = 0`).Scan(&open); err != nil {
		return err
	}
	if open > 0 {
		return fmt.Errorf("%d deliveries not confirmed yet", open)
	}
	return nil
}

// idle waits until nothing is left to happen: the bank has no
// notification to send, and the shop's job queue has no job waiting,
// scheduled, retrying or running. The periodic sweep is one of those
// jobs: idle finds the moment between two sweeps.
func (w *world) idle(limit time.Duration) {
	w.t.Helper()
	waitfor.Event(w.t, limit, "the bank and the shop's job queue idle", func(ctx context.Context) error {
		if err := w.noDeliveryPending(ctx); err != nil {
			return err
		}
		rows, err := w.db.SQL.QueryContext(ctx, `SELECT id, kind, state, attempt, queue, scheduled_at FROM river_job
			WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled') ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var left []string
		for rows.Next() {
			var id int64
			var kind, state, queue string
			var attempt int
			var at any // a time on PostgreSQL, text on SQLite
			if err := rows.Scan(&id, &kind, &state, &attempt, &queue, &at); err != nil {
				return err
			}
			left = append(left, fmt.Sprintf("%s %d %s (attempt %d, queue %s, scheduled %v)", kind, id, state, attempt, queue, at))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(left) > 0 {
			return fmt.Errorf("jobs left at %s: %s", time.Now().UTC().Format(time.RFC3339Nano), strings.Join(left, "; "))
		}
		return nil
	})
}

// lastJob is the id of the newest job in the shop's queue (0 for none):
// job ids only grow.
func (w *world) lastJob(ctx context.Context) int64 {
	w.t.Helper()
	var id int64
	if err := w.db.SQL.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM river_job`).Scan(&id); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// swept waits until a reconciliation sweep enqueued after job after has
// run: one that began after whatever the test saw then.
func (w *world) swept(limit time.Duration, after int64) {
	w.t.Helper()
	waitfor.Event(w.t, limit, "a sweep after job "+strconv.FormatInt(after, 10), func(ctx context.Context) error {
		var n int
		err := w.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job
			WHERE kind = 'reconcile_sweep' AND state = 'completed' AND id > $1`, after).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("no sweep done yet")
		}
		return nil
	})
}

// converge waits until the audit passes, and fails the test with the
// differences when it does not within limit.
func (w *world) converge(limit time.Duration) audit.Result {
	w.t.Helper()
	var r audit.Result
	waitfor.Event(w.t, limit, "the shop and the bank to agree", func(ctx context.Context) error {
		var err error
		if r, err = w.audit(ctx); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if !r.OK() {
			return fmt.Errorf("%d orders, %d differences:\n  %s", r.Orders, len(r.Problems), strings.Join(r.Problems, "\n  "))
		}
		return nil
	})
	return r
}
