package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// serveCleanEnv keeps the developer's settings (SINOPAY_* variables, a
// .env in the working folder) out of a test that runs serve or migrate.
func serveCleanEnv(t *testing.T) {
	t.Helper()
	names := []string{"SINOPAY_DATABASE_URL", "SINOPAY_FUNBIZ_URL", "SINOPAY_ADDR", "SINOPAY_SANDBOX_ADDR", "SINOPAY_BASE_URL"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SINOPAY_") {
			names = append(names, k)
		}
	}
	for _, k := range names {
		t.Setenv(k, "") // an empty setting is the default
	}
	t.Chdir(t.TempDir())
}

// serveArgs are serve's flags on free loopback ports, then more.
func serveArgs(t *testing.T, more ...string) []string {
	t.Helper()
	var addrs []string
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, l.Addr().String())
		defer l.Close()
	}
	return append([]string{"serve", "--addr", addrs[0], "--sandbox-addr", addrs[1], "--log-level", "warn"}, more...)
}

// A database that cannot be reached stops start-up with a message that
// names its host, never its password.
func TestServeUnreachableDatabase(t *testing.T) {
	serveCleanEnv(t)
	cases := []struct {
		name, url, host string
		env             bool // in SINOPAY_DATABASE_URL instead of --db
	}{
		{"refused", "postgres://shop:secretpw@127.0.0.1:1/shop", "127.0.0.1:1", false},
		{"no such host", "postgres://shop:secretpw@no-such-host.invalid:5432/shop", "no-such-host.invalid", false},
		{"from the environment", "postgres://shop:secretpw@127.0.0.1:1/shop?sslmode=disable", "127.0.0.1:1", true},
		{"password parameter", "postgresql://127.0.0.1:1/shop?password=secretpw", "127.0.0.1:1", false},
		{"unparsable", "postgres://shop:secretpw@[::1/shop", "[::1", false},
		{"bad parameter", "postgres://shop:secretpw@db.example.com/shop?sslmode=sometimes", "db.example.com", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := serveArgs(t)
			if c.env {
				t.Setenv("SINOPAY_DATABASE_URL", c.url)
			} else {
				args = append(args, "--db", c.url)
			}
			stdout, stderr := &syncBuffer{}, &syncBuffer{}
			start := time.Now()
			code := run(context.Background(), args, nil, stdout, stderr)
			out := stdout.String() + stderr.String()
			if code == 0 {
				t.Fatalf("serve started with an unreachable database:\n%s", out)
			}
			if !strings.Contains(stderr.String(), c.host) {
				t.Errorf("the message does not name the host %s:\n%s", c.host, out)
			}
			if strings.Contains(out, "secretpw") {
				t.Errorf("the password is in the output:\n%s", out)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("start-up took %s to give up", took)
			}
		})
	}
}

// With --migrate=false, start-up refuses a database whose schema is
// behind and says how to fix it; after `sinopay migrate`, it starts.
func TestServeRefusesUnmigratedDatabase(t *testing.T) {
	serveCleanEnv(t)
	databases := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "shop.db") }},
		{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
	}
	for _, d := range databases {
		t.Run(d.name, func(t *testing.T) {
			db := d.url(t)
			stdout, stderr := &syncBuffer{}, &syncBuffer{}
			code := run(context.Background(), serveArgs(t, "--db", db, "--migrate=false"), nil, stdout, stderr)
			if code == 0 || !strings.Contains(stderr.String(), "sinopay migrate") || !strings.Contains(stderr.String(), "behind") {
				t.Fatalf("serve --migrate=false on an empty database: exit %d\n%s%s", code, stdout.String(), stderr.String())
			}

			stdout, stderr = &syncBuffer{}, &syncBuffer{}
			if code := run(context.Background(), []string{"migrate", "--db", db}, nil, stdout, stderr); code != 0 {
				t.Fatalf("sinopay migrate: exit %d\n%s%s", code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "migrations applied") {
				t.Errorf("sinopay migrate said %q", stdout.String())
			}

			// Now it starts, answers, and stops cleanly.
			stdout, stderr = &syncBuffer{}, &syncBuffer{}
			args := serveArgs(t, "--db", db, "--migrate=false")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan int, 1)
			go func() { done <- run(ctx, args, nil, stdout, stderr) }()
			health := "http://" + args[2] + "/healthz"
			wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
			defer wcancel()
			err := waitfor.Until(wctx, 50*time.Millisecond, func(wctx context.Context) error {
				select {
				case code := <-done:
					return waitfor.Stop(fmt.Errorf("serve exited with %d", code))
				default:
				}
				req, _ := http.NewRequestWithContext(wctx, http.MethodGet, health, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("/healthz: HTTP %d", resp.StatusCode)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("serve not healthy after migrate: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("serve exited with %d:\n%s", code, stderr.String())
				}
			case <-time.After(40 * time.Second):
				t.Fatal("serve did not stop")
			}
		})
	}
}
