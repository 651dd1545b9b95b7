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
// Without the variable every Point is a no-op costing one comparison. The
// variable is read once, at the first Point; a malformed value arms
// nothing, so a typo never kills a production process.
//
// The points are:
//
//	notify-recorded  a bank notification is recorded, not yet acknowledged
//	confirm-start    a PayToken is read and about to be confirmed with the bank
//	sweep-mid        between two orders of a reconciliation sweep
package crash

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// EnvVar names the point to crash at, optionally with ":N" for the Nth time.
const EnvVar = "SINOPAY_CRASH_AT"

var (
	once  sync.Once
	armed string // the point's name; "" when nothing is armed
	at    int64  // crash on this hit
	hits  atomic.Int64
)

// parse reads "name" or "name:N" (N ≥ 1).
func parse(v string) (string, int64) {
	name, n, found := strings.Cut(strings.TrimSpace(v), ":")
	if name == "" {
		return "", 0
	}
	if !found {
		return name, 1
	}
	k, err := strconv.ParseInt(n, 10, 64)
	if err != nil || k < 1 {
		return "", 0
	}
	return name, k
}

// Point kills the process when SINOPAY_CRASH_AT names this point and this
// is the hit it names. It is safe for concurrent use; with concurrent hits
// exactly one of them is the Nth.
func Point(name string) {
	once.Do(func() { armed, at = parse(os.Getenv(EnvVar)) })
	if armed == "" || name != armed {
		return
	}
	if hits.Add(1) != at {
		return
	}
	die()
}
