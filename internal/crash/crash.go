// Package crash kills the process on purpose at named points in the code,
// for fault tests only: a test starts the binary with
//
//	SINOPAY_CRASH_AT=notify-recorded     (the first time the point is reached)
//	SINOPAY_CRASH_AT=sweep-mid:3         (the third time)
//
// and the process dies by SIGKILL the moment that point is reached, with no
// deferred function, no flush and no graceful shutdown, as a power cut or
// an OOM kill would end it. The test then restarts the binary on the same
// database and checks that nothing was lost or done twice.
//
// cmd/sinopay reads the variable, as it reads every setting, and hands the
// Points it arms to the services that have crash points (the Hooks of
// payment.Config and web.Config). Without it the services have nil Points,
// and every Point is a no-op costing one comparison; a malformed value
// arms nothing, so a typo never kills a production process.
//
// The points are:
//
//	notify-recorded  a bank notification is recorded, not yet acknowledged
//	confirm-start    a PayToken is read and about to be confirmed with the bank
//	event-recorded   a confirmed change of an order is committed with what it
//	                 sends (e-mail, an API payment's webhook events), nothing
//	                 of it sent yet
//	sweep-mid        between two orders of a reconciliation sweep
package crash

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// EnvVar names the point to crash at, optionally with ":N" for the Nth time.
const EnvVar = "SINOPAY_CRASH_AT"

// Points is a crash point armed for a fault test: a point's name and the
// hit of it that kills the process. Nil or zero Points arm nothing. It is
// safe for concurrent use.
type Points struct {
	name string
	at   int64 // crash on this hit
	hits atomic.Int64
}

// Parse reads "name" or "name:N" (N ≥ 1), the value of EnvVar. An empty
// value gives Points that arm nothing; a malformed one gives an error that
// says what is wrong with it, and nil Points, which arm nothing either.
func Parse(v string) (*Points, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return &Points{}, nil
	}
	name, n, found := strings.Cut(v, ":")
	if name == "" {
		return nil, fmt.Errorf("%s=%q: no point named", EnvVar, v)
	}
	if !found {
		return &Points{name: name, at: 1}, nil
	}
	k, err := strconv.ParseInt(n, 10, 64)
	if err != nil || k < 1 {
		return nil, fmt.Errorf("%s=%q: want name or name:N with N ≥ 1", EnvVar, v)
	}
	return &Points{name: name, at: k}, nil
}

// Armed reports whether p arms a point.
func (p *Points) Armed() bool { return p != nil && p.name != "" }

// String is the armed point, as "name:N"; "" when p arms nothing.
func (p *Points) String() string {
	if !p.Armed() {
		return ""
	}
	return p.name + ":" + strconv.FormatInt(p.at, 10)
}

// Point kills the process when p arms this point and this is the hit it
// names; with concurrent hits exactly one of them is the Nth.
func (p *Points) Point(name string) {
	if !p.Armed() || name != p.name {
		return
	}
	if p.hits.Add(1) != p.at {
		return
	}
	die()
}
