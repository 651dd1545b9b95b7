package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/audit"
	"github.com/sinopay/sinopay/internal/crash"
)

// crashPoints are the places the shop is killed, and how many hits of
// each to wait for at most (the kill comes at a random one of them).
var crashPoints = []struct {
	name    string
	maxHits int
}{
	{"notify-recorded", 3}, // recorded a notification, not yet acknowledged it
	{"confirm-start", 3},   // acknowledged, not yet confirmed with the bank
	{"sweep-mid", 2},       // between two orders of the reconciliation sweep
}

// The shop is killed with SIGKILL at each crash point, again and again,
// on both databases, while customers buy and pay; after each kill it is
// started again on the same database and every order must converge: paid
// at the bank ⇔ paid in the shop, same amounts, one payment and one
// transition each.
func TestCrashPoints(t *testing.T) {
	t.Parallel()
	total := *crashRuns
	cells := len(crashPoints) * len(dbKinds)
	for i, p := range crashPoints {
		for j, kind := range dbKinds {
			// Share the runs out; the first cells take the remainder.
			runs := total / cells
			if i*len(dbKinds)+j < total%cells {
				runs++
			}
			if runs == 0 {
				continue
			}
			t.Run(p.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				crashRunsAt(t, kind, p.name, p.maxHits, runs)
			})
		}
	}
}

func crashRunsAt(t *testing.T, kind, point string, maxHits, runs int) {
	// The bank's retries come every 250 ms instead of 10 minutes, so a
	// notification the dead shop never acknowledged comes again soon.
	w := newWorld(t, kind, []string{"--notify-interval", "250ms"})
	c := w.newCustomer("crash")
	start := time.Now()
	atStart := 0
	var r audit.Result
	for run := 1; run <= runs; run++ {
		hit := 1 + rand.IntN(maxHits)
		w.quiet(10 * time.Second)
		w.shop.Stop()
		n := 0
		if _, err := w.tryStart([]string{crash.EnvVar + "=" + fmt.Sprintf("%s:%d", point, hit)}); err != nil {
			// Work left from the last run (a stuck job rescued, a late
			// confirmation) may reach the point before the shop is up:
			// a crash during recovery, which counts the same.
			if !strings.Contains(err.Error(), "signal: killed") {
				t.Fatal(err)
			}
			t.Logf("run %d: killed at %s:%d while starting", run, point, hit)
			atStart++
		} else {
			n = drive(t, w, c, point)
			if !w.killed() {
				code, _ := w.shop.ExitCode()
				t.Fatalf("run %d: the shop exited with %d, not killed at %s:%d", run, code, point, hit)
			}
			if strings.Contains(w.shop.Output(), "shutting down") {
				t.Fatalf("run %d: the shop shut down gracefully instead of dying at %s", run, point)
			}
		}
		w.expireLeader()
		w.start(nil)
		r = w.converge(30 * time.Second)
		t.Logf("run %d: killed at %s:%d after %d orders; %d orders, %d paid, all agree", run, point, hit, n, r.Orders, r.Paid)
	}
	// Nothing changes after the last convergence either: once a sweep
	// has looked at every order again, the bank has nothing left to send
	// and the shop no job left to run, the orders still agree, with the
	// same orders paid and the same transitions.
	ctx := context.Background()
	events := w.eventCount(ctx)
	w.swept(30*time.Second, w.lastJob(ctx))
	// A job the killed shop was running waits for River's rescuer, which
	// looks for stuck jobs every 30 s, then for its retry.
	w.idle(90 * time.Second)
	last, err := w.audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !last.OK() || last.Orders != r.Orders || last.Paid != r.Paid || w.eventCount(ctx) != events {
		t.Fatalf("changed after the last convergence: %d orders, %d paid, %d payment events then; %d orders, %d paid, %d payment events now, %d differences:\n  %s",
			r.Orders, r.Paid, events, last.Orders, last.Paid, w.eventCount(ctx), len(last.Problems), strings.Join(last.Problems, "\n  "))
	}
	t.Logf("%d crash runs at %s on %s (%d of them while starting, on the last run's leftovers) in %s: %d orders, %d paid, nothing lost, nothing doubled",
		runs, point, kind, atStart, time.Since(start).Round(time.Millisecond), r.Orders, r.Paid)
}

// drive buys and pays until the shop dies, and returns how many orders it
// placed. What the shop cannot answer once dead is expected to fail.
func drive(t *testing.T, w *world, c *customer, point string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var placed atomic.Int64
	dead := w.shop.Exited()
	alive := func() bool {
		select {
		case <-dead:
			return false
		default:
			return true
		}
	}
	// A request the dying shop could not answer fails a moment before the
	// process is reaped (on a busy machine, several seconds); only a
	// failure of a shop that lives on counts.
	fail := func(err error) {
		if err == nil {
			return
		}
		select {
		case <-dead:
		case <-time.After(30 * time.Second):
			t.Errorf("while the shop was alive: %v", err)
		}
	}
	// buy places an order and pays it at the bank; with drop, the bank
	// never notifies, and only the sweep can find the payment.
	buy := func(payType string, drop bool) {
		no, err := w.order(ctx, c, payType)
		if err != nil {
			fail(err)
			return
		}
		placed.Add(1)
		if drop {
			if _, err := w.bank.ArmChaos(ctx, sandbox.ChaosInput{OrderNo: no, Notify: "drop"}); err != nil {
				t.Error(err)
				return
			}
		}
		tok, err := w.pay(ctx, no)
		if err != nil {
			// The order may have been placed by a shop that died before it
			// reached the bank; the sweep of the next shop creates it.
			fail(err)
			return
		}
		if payType == "C" && point == "confirm-start" {
			// The browser's return confirms at once: the other way into
			// the crash point.
			_, _, err := callbacks.Return(ctx, w.shop.URL, tok)
			fail(err)
		}
	}
	for i := 0; alive(); i++ {
		if ctx.Err() != nil {
			t.Fatalf("the shop did not die at %s within 30s (%d orders)", point, placed.Load())
		}
		payType := map[bool]string{true: "A", false: "C"}[i%2 == 0]
		if point != "sweep-mid" {
			buy(payType, false)
			continue
		}
		// Four orders at once, so that one sweep finds them together
		// however slow the machine; then give the sweep (every second,
		// for orders a second old) its time, and try again if the orders
		// came apart.
		var wg sync.WaitGroup
		for k := range 4 {
			wg.Go(func() { buy(map[bool]string{true: "A", false: "C"}[k%2 == 0], true) })
		}
		wg.Wait()
		select {
		case <-dead:
		case <-time.After(4 * time.Second):
		}
	}
	return int(placed.Load())
}
