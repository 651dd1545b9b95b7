package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
)

// modRoot is the module root, where the screenshots go.
var modRoot string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	flag.Parse() // for testing.Verbose
	root, err := proctest.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	modRoot = root
	if haveChromium() || os.Getenv("CI") != "" {
		// Built before the tests, so that a cold build (about a minute on
		// two cores) does not eat into a scenario group's time limit.
		start := time.Now()
		if _, err := proctest.Build(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		if testing.Verbose() {
			fmt.Printf("e2e: built sinopay in %s\n", time.Since(start).Round(time.Millisecond))
		}
	}
	return proctest.Main(m)
}
