package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the garbage collector's target when the operator
// has not set GOGC. The shop's and the sandbox's live heaps are small
// (tens of MiB) and every request allocates, so Go's default of 100 runs
// a collection every few MiB allocated: under load the sandbox spent a
// tenth of its CPU collecting, and a bank call took 109–117 µs of CPU
// against 76–77 µs at 400 (README, "Performance"). At 400 the heap may
// grow to five times what is live before a collection, still well under
// 1 GiB for these processes; GOGC and GOMEMLIMIT, when set, rule.
const defaultGCPercent = 400

// tuneGC sets the collector's target unless GOGC is set, and returns the
// percent in force.
func tuneGC() int {
	if _, set := os.LookupEnv("GOGC"); set {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}
