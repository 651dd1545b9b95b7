package sandbox

import (
	"sync"
	"time"
)

// Clock tells the sandbox what time it is. The sandbox adds its own offset
// (moved forward by Advance and by POST /_sandbox/clock/advance) to what the
// Clock says, so even the real clock can be pushed into the future to make
// retries, expiries and scheduled captures happen now.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// RealClock is the wall clock, the default.
var RealClock Clock = realClock{}

// ManualClock is a Clock that stands still until told to move, for tests
// that need exact times. It is safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d. Nothing due runs until the
// sandbox looks again; use Sandbox.Advance to move and run at once.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
