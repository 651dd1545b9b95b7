package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// app is one running sinopay binary: the shop and its embedded sandbox.
type app struct {
	URL        string // the shop, e.g. http://127.0.0.1:41234
	SandboxURL string // the embedded bank sandbox

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// startApp runs `sinopay serve` on free loopback ports with db as its
// database, waits until /healthz answers, and stops it when t ends.
func startApp(t *testing.T, db string) *app {
	t.Helper()
	// A free port is found by listening and closing, so another process
	// can take it before the binary listens; only that case is retried.
	var err error
	for range 3 {
		var a *app
		if a, err = tryStartApp(t, db); err == nil {
			return a
		}
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("starting sinopay: %v", err)
	return nil
}

func tryStartApp(t *testing.T, db string) (*app, error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	a := &app{
		URL:        "http://" + addrs[0],
		SandboxURL: "http://" + addrs[1],
		out:        &syncBuffer{},
		done:       make(chan struct{}),
	}
	a.cmd = exec.Command(binPath, "serve",
		"--addr", addrs[0], "--sandbox-addr", addrs[1],
		"--db", db, "--base-url", a.URL)
	// The binary reads .env from its working directory; an empty one keeps
	// a developer's .env (or SINOPAY_* variables) from pointing the test at
	// another bank or database.
	a.cmd.Dir = t.TempDir()
	a.cmd.Env = envWithout("SINOPAY_")
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	if err := a.waitHealthy(60 * time.Second); err != nil {
		a.stop()
		return nil, fmt.Errorf("%w\n%s", err, a.out.String())
	}
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			t.Logf("sinopay output:\n%s", a.out.String())
		}
	})
	return a, nil
}

// waitHealthy polls /healthz until it answers ok, the process exits, or
// the time is up. Migrations on a fresh PostgreSQL database take a few
// hundred milliseconds.
func (a *app) waitHealthy(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-a.done:
			return fmt.Errorf("sinopay exited before it was healthy: %v", a.err)
		case <-ctx.Done():
			return errors.New("sinopay not healthy after " + limit.String())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM, which the binary answers with a graceful shutdown,
// and waits; it kills the process if that takes too long.
func (a *app) stop() {
	select {
	case <-a.done:
		return
	default:
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(15 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
	}
}

// freeAddrs finds n distinct free loopback addresses. The listeners are
// all open at once, so the ports differ.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// envWithout is the environment minus the variables starting with prefix.
func envWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

// syncBuffer collects the binary's output; the process writes it while
// a test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
