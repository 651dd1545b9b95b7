package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var (
	// modRoot is the module root: the binary is built there and the
	// screenshots go there.
	modRoot string
	// binPath is the sinopay binary TestMain built; empty when the suite
	// skips for want of a browser.
	binPath string
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	flag.Parse()                    // for testing.Verbose
	root, err := filepath.Abs("..") // go test runs in the package folder
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	modRoot = root
	if !haveChromium() && os.Getenv("CI") == "" {
		// Every browser test skips; building would only cost time.
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "sinopay-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sinopay")
	// A cold build of the binary (pure-Go SQLite) takes about a minute on
	// two cores; a warm one a second.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", bin, "./cmd/sinopay")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/sinopay: %v\n%s", err, out)
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("e2e: built sinopay in %s\n", time.Since(start).Round(time.Millisecond))
	}
	binPath = bin
	return m.Run()
}

// goTool is the go command. go test puts its own GOROOT/bin first in PATH,
// so the binary is built by the toolchain that runs the tests.
func goTool() string { return "go" }
