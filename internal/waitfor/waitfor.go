// Package waitfor waits for an event: a condition polled until it holds,
// with a deadline, and on failure the last thing the condition saw
// instead. Tests wait with it for a delivery, a row or a page state rather
// than sleeping and then asserting, so that they pass on a busy machine as
// on an idle one, and say what they were waiting for when they fail.
package waitfor

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Poll is how often Event asks its condition.
const Poll = 100 * time.Millisecond

// A Cond reports whether the awaited event has happened: nil when it has,
// otherwise an error that says what it saw instead ("3 notifications
// pending"). It should bound its own calls by ctx.
type Cond func(ctx context.Context) error

// Until calls cond at once and then every interval (counted from the end
// of each call) until cond returns nil, and returns nil. When ctx ends
// first, it returns an error that wraps ctx's error and cond's last error,
// the last thing seen; an error cond returned because ctx ended while it
// ran does not hide the one before it. When cond returns an error made by
// Stop, Until returns that error at once.
func Until(ctx context.Context, interval time.Duration, cond Cond) error {
	start := time.Now()
	timer := time.NewTimer(interval)
	defer timer.Stop()
	var last error
	for {
		err := cond(ctx)
		if err == nil {
			return nil
		}
		if s, ok := errors.AsType[*stopError](err); ok {
			return s.err
		}
		if last == nil || ctx.Err() == nil {
			last = err
		}
		timer.Reset(interval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after %s: %w", ctx.Err(), time.Since(start).Round(time.Millisecond), last)
		case <-timer.C:
		}
	}
}

// Stop wraps err so that Until gives up at once and returns err: for a
// condition that can no longer come true (the process it waits on died).
func Stop(err error) error { return &stopError{err} }

type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// TB is the part of testing.TB that Event uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Context() context.Context
}

// Event waits up to limit for cond, asking it every Poll, and fails t
// with what it waited for and what it last saw when the event does not
// come. The limit ends the asking, not an answer under way: cond gets the
// test's context, and a call begun before the limit is heard out, so a
// machine too busy to answer one call within the limit still gets its
// answer counted. It must be called from the test's goroutine.
func Event(t TB, limit time.Duration, what string, cond Cond) {
	t.Helper()
	deadline := time.Now().Add(limit)
	err := Until(t.Context(), Poll, func(ctx context.Context) error {
		err := cond(ctx)
		if err != nil && !time.Now().Before(deadline) {
			return Stop(fmt.Errorf("not after %s: %w", limit, err))
		}
		return err
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// DayLeft returns today's date in loc (yyyy-mm-dd) once at least left of
// the day remains: nearer midnight it waits for the next day to begin. A
// test whose steps must fall on one day (payments and the report of
// their day, orders and a filter on the day they were made) calls it
// first, so that it never straddles midnight.
func DayLeft(t TB, loc *time.Location, left time.Duration) string {
	t.Helper()
	now := time.Now().In(loc)
	y, m, d := now.Date()
	if wait := time.Date(y, m, d+1, 0, 0, 0, 0, loc).Sub(now); wait < left {
		select {
		case <-time.After(wait + time.Second):
		case <-t.Context().Done():
			t.Fatalf("waiting for the day to turn: %v", t.Context().Err())
		}
	}
	return time.Now().In(loc).Format(time.DateOnly)
}
