package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A short load run against a real shop with its embedded sandbox: every
// step is timed and every order audited.
func TestLoadtestRun(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env; the database goes here
	t.Setenv("SINOPAY_CONFIRM_RATE", "off")
	addrs := freeAddrs(t, 2)
	c, err := readServeConfig([]string{"--addr", addrs[0], "--sandbox-addr", addrs[1], "--db", "shop.db"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, c, slog.New(slog.DiscardHandler), io.Discard) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitHealthy(t, "http://"+addrs[0]+"/healthz")

	var out, progress bytes.Buffer
	code := runLoadtest(context.Background(), []string{
		"--shop", "http://" + addrs[0], "--sandbox", "http://" + addrs[1],
		"--duration", "2s", "--concurrency", "2", "--atm", "0.5", "--decline", "0.5", "--dup", "0.5",
	}, &out, &progress)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), progress.String())
	}
	for _, want := range []string{"purchases in", "checkout_submit", "p99", "return", "nothing lost, nothing doubled"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "2 customers for 2s") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

// A load test only ever goes to this machine, and refuses shares out of
// range.
func TestLoadtestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--shop", "http://example.com"},
		{"--sandbox", "http://10.0.0.1:8081"},
		{"--shop", "http://[::2]:8080"},
		{"--atm", "1.5"},
		{"--dup", "-0.1"},
		{"--concurrency", "0"},
		{"--mode", "storm"},
	} {
		var out, errOut bytes.Buffer
		if code := runLoadtest(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut.String())
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.9.9.9"} {
		if _, err := loopbackURL("--shop", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after 30s", url)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
