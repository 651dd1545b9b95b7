package faults

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/sinopay/sinopay/internal/proctest"
)

// Sizes of the suite: short by default, for CI; larger by environment or
// flag for long runs.
var (
	crashRuns = flag.Int("fault.runs", envInt("SINOPAY_FAULT_RUNS", 50),
		"crash runs across the three crash points and both databases (SINOPAY_FAULT_RUNS)")
	racePairs = flag.Int("fault.pairs", envInt("SINOPAY_FAULT_PAIRS", 1000),
		"payments whose return and notification arrive at once (SINOPAY_FAULT_PAIRS)")
	forgedTokens = flag.Int("fault.forged", envInt("SINOPAY_FAULT_FORGED", 10000),
		"forged PayTokens posted to the two callbacks (SINOPAY_FAULT_FORGED)")
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	flag.Parse()
	// The tests mostly wait on processes, the bank's retries and the
	// shop's sweeps, not on the CPU: more of them at once than the default
	// (one per CPU) keeps the suite short on a small machine. An explicit
	// -parallel wins.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", "8")
	}
	code := proctest.Main(m)
	// The scan covers the whole suite, so it runs after every test, and
	// after every process has been stopped and said its last words.
	lines, leaks := logs.scan()
	if len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: secrets in the logs (%d of %d lines scanned):\n", len(leaks), lines)
		for i, l := range leaks {
			if i == 20 {
				fmt.Fprintf(os.Stderr, "  … and %d more\n", len(leaks)-20)
				break
			}
			fmt.Fprintln(os.Stderr, "  "+l)
		}
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("log scan: %d lines from %d processes and the in-process loggers, no hash value, card number or decrypted message\n", lines, logs.procCount())
	}
	return code
}
