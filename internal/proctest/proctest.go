// Package proctest runs the real sinopay binary in tests: it builds it once
// per test binary, starts `sinopay sandbox` and `sinopay serve` processes
// on free loopback ports with a controlled environment, waits until they
// answer, keeps their output, and stops them with SIGTERM (or kills them,
// for crash tests). It is for tests only.
//
// A package that uses it removes the built binary at the end with
//
//	func TestMain(m *testing.M) { os.Exit(proctest.Main(m)) }
package proctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// The bank's published sandbox credentials, which every sandbox knows as
// its demo merchant; DemoHash is as SINOPAY_HASH takes it.
const (
	DemoShopNo = sandbox.DemoShopNo
	DemoHash   = "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953,7FB3385F414E4F91"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// Build compiles ./cmd/sinopay into a temporary folder, once per test
// binary, and returns the binary's path. A cold build (pure-Go SQLite)
// takes about a minute on two cores, a warm one a few seconds. Main
// removes the folder.
func Build() (string, error) {
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "sinopay-proctest-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		bin := filepath.Join(dir, "sinopay")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// go test puts its own toolchain first in PATH, so the binary is
		// built by the Go that runs the tests.
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sinopay")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/sinopay: %v\n%s", err, out)
			return
		}
		buildPath = bin
	})
	return buildPath, buildErr
}

// Binary is Build for a test: it fails the test when the build fails.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Main runs the tests and then removes the binary Build made.
func Main(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// ModuleRoot is the folder of the go.mod above the working directory (go
// test runs in the package's folder).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("proctest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Env is the test process's environment without any SINOPAY_* variable,
// plus extra (KEY=VALUE): a developer's settings never reach the binary,
// only what the test sets.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SINOPAY_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// StopTimeout is how long Stop waits after SIGTERM before it kills.
const StopTimeout = 15 * time.Second

// Proc is one running sinopay process. Its methods are safe for
// concurrent use.
type Proc struct {
	Name string // for messages: "sandbox", "shop A"…

	cmd  *exec.Cmd
	out  *Buffer
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// start runs the binary with args in dir (a fresh empty folder when dir is
// empty, so that no .env is read) and env. The process is stopped when t
// ends, and its output logged if t failed.
func start(t testing.TB, name, dir string, env []string, args ...string) (*Proc, error) {
	bin, err := Build()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = t.TempDir()
	}
	p := &Proc{Name: name, out: &Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s (sinopay %s) output:\n%s", p.Name, strings.Join(args, " "), p.out.String())
		}
	})
	return p, nil
}

// Output is everything the process wrote so far, stdout and stderr
// interleaved.
func (p *Proc) Output() string { return p.out.String() }

// WaitOutput waits until the output holds text: what the process wrote
// reaches Output through a pipe and a copying goroutine, a little after
// the process wrote it. It gives up at once when the process exits
// without having written it.
func (p *Proc) WaitOutput(text string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	err := waitfor.Until(ctx, 10*time.Millisecond, func(context.Context) error {
		// Exited first: once it has, the output is complete.
		exited := p.exited()
		if strings.Contains(p.Output(), text) {
			return nil
		}
		if exited {
			return waitfor.Stop(fmt.Errorf("exited (%v) without writing it", p.err))
		}
		return errors.New("not written yet")
	})
	if err != nil {
		return fmt.Errorf("%s: waiting for %q in its output: %w", p.Name, text, err)
	}
	return nil
}

// exited reports whether the process has exited.
func (p *Proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// ExitCode is the exit code once the process has exited (-1 when a signal
// ended it), and false before.
func (p *Proc) ExitCode() (int, bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	default:
		return 0, false
	}
}

// Stop sends SIGTERM, which sinopay answers with a graceful shutdown, and
// waits; after StopTimeout it kills the process. It returns the process's
// exit error (nil for exit code 0); stopping a stopped process does
// nothing more.
func (p *Proc) Stop() error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		p.cmd.Process.Kill()
		<-p.done
	}
	return p.err
}

// Kill ends the process with SIGKILL, with no chance to clean up, as a
// crash or a power cut would, and waits until it is gone.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// waitHTTP polls url until it answers 200, the process exits, or limit
// passes.
func (p *Proc) waitHTTP(url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	err := waitfor.Until(ctx, 25*time.Millisecond, func(ctx context.Context) error {
		if p.exited() {
			return waitfor.Stop(fmt.Errorf("%s exited before %s answered: %v", p.Name, url, p.err))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil && !p.exited() {
		return fmt.Errorf("%s: %s not answering 200: %w", p.Name, url, err)
	}
	return err
}

// FreeAddrs finds n distinct free loopback addresses. The ports are free
// when it returns, but another process may take one before the caller
// listens; StartShop retries that case.
func FreeAddrs(n int) ([]string, error) {
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

// Result is how a one-shot command ended.
type Result struct {
	Output string // stdout and stderr interleaved
	Code   int    // exit code
}

// Run runs one sinopay command to its end (`sinopay migrate --db …`) in an
// empty folder, with the environment of Env(env...), and at most a
// minute.
func Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	bin := Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = Env(env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("sinopay %s: %v", strings.Join(args, " "), err)
	}
	return Result{Output: string(out), Code: cmd.ProcessState.ExitCode()}
}

// Buffer collects a process's output: the process writes while a test
// reads.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
