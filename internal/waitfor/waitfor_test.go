package waitfor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sinopay/sinopay/internal/waitfor"
)

// The event that comes is waited for, and only as long as it takes: the
// condition is asked at once and then once an interval.
func TestUntilEventComes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		calls := 0
		err := waitfor.Until(t.Context(), time.Second, func(context.Context) error {
			calls++
			if time.Since(start) < 3*time.Second {
				return errors.New("not yet")
			}
			return nil
		})
		if err != nil || calls != 4 || time.Since(start) != 3*time.Second {
			t.Fatalf("Until = %v after %d calls and %s; want nil after 4 calls and 3s", err, calls, time.Since(start))
		}
	})
}

// The interval counts from the end of each call: a slow condition is not
// asked again at once.
func TestUntilSlowCondition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Duration
		start := time.Now()
		waitfor.Until(t.Context(), time.Second, func(context.Context) error {
			at = append(at, time.Since(start))
			time.Sleep(2 * time.Second)
			if len(at) == 3 {
				return nil
			}
			return errors.New("not yet")
		})
		if fmt.Sprint(at) != "[0s 3s 6s]" {
			t.Fatalf("asked at %v, want [0s 3s 6s]", at)
		}
	})
}

// An event that never comes ends the wait at the deadline, with the
// deadline's error and the last thing seen, not the one the deadline cut
// short.
func TestUntilDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		n := 0
		start := time.Now()
		err := waitfor.Until(ctx, time.Second, func(ctx context.Context) error {
			n++
			if n == 10 {
				<-ctx.Done() // a call the deadline cuts short
				return ctx.Err()
			}
			return fmt.Errorf("%d pending", 10-n)
		})
		if time.Since(start) != 10*time.Second {
			t.Errorf("gave up after %s, want 10s", time.Since(start))
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 pending") || !strings.Contains(err.Error(), "after 10s") {
			t.Fatalf("Until = %v; want the deadline, after 10s, and the last thing seen (1 pending)", err)
		}
	})
}

// Stop gives up at once with the condition's own error.
func TestUntilStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		died := errors.New("the process exited")
		start := time.Now()
		err := waitfor.Until(t.Context(), time.Second, func(context.Context) error {
			if time.Since(start) >= 2*time.Second {
				return waitfor.Stop(fmt.Errorf("shop: %w", died))
			}
			return errors.New("not yet")
		})
		if !errors.Is(err, died) || err.Error() != "shop: the process exited" || time.Since(start) != 2*time.Second {
			t.Fatalf("Until = %v after %s; want the condition's error after 2s", err, time.Since(start))
		}
	})
}

// recorder is a TB that keeps the failure.
type recorder struct {
	ctx    context.Context
	failed string
}

func (r *recorder) Helper()                  {}
func (r *recorder) Context() context.Context { return r.ctx }
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

// Event fails the test with what it waited for and what it saw last.
func TestEventFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{ctx: t.Context()}
		start := time.Now()
		waitfor.Event(r, 5*time.Second, "the order paid", func(context.Context) error {
			return errors.New("order A1 is W")
		})
		if time.Since(start) != 5*time.Second || r.failed != "waiting for the order paid: not after 5s: order A1 is W" {
			t.Fatalf("after %s: %q", time.Since(start), r.failed)
		}
		r = &recorder{ctx: t.Context()}
		waitfor.Event(r, 5*time.Second, "nothing", func(context.Context) error { return nil })
		if r.failed != "" {
			t.Fatalf("an event that came failed the test: %s", r.failed)
		}
	})
}

// An answer under way when the limit passes is heard out: a call that
// takes longer than the whole limit still counts.
func TestEventSlowAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{ctx: t.Context()}
		calls := 0
		waitfor.Event(r, 5*time.Second, "a slow answer", func(ctx context.Context) error {
			calls++
			time.Sleep(8 * time.Second)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		})
		if r.failed != "" || calls != 1 {
			t.Fatalf("%d calls: %q", calls, r.failed)
		}
	})
}

// Near midnight DayLeft waits for the next day; with time enough left it
// answers today at once.
func TestDayLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts at midnight UTC: 23:59:30 here.
		loc := time.FixedZone("late", -30)
		start := time.Now()
		if day := waitfor.DayLeft(t, loc, 10*time.Second); day != "1999-12-31" || time.Since(start) != 0 {
			t.Fatalf("30 s left, 10 s asked: %s after %s", day, time.Since(start))
		}
		if day := waitfor.DayLeft(t, loc, time.Minute); day != "2000-01-01" || time.Since(start) != 31*time.Second {
			t.Fatalf("30 s left, a minute asked: %s after %s", day, time.Since(start))
		}
	})
}
