package main

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freeAddr is a loopback address nobody listens on (now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The profiler is served on the metrics address of its own, and nowhere
// else: not on the shop's address, not on the embedded sandbox's. The
// sandbox's /metrics carries the process's CPU and says it is embedded.
func TestServeProfilerOnMetricsAddrOnly(t *testing.T) {
	serveCleanEnv(t)
	metricsAddr := freeAddr(t)
	args := serveArgs(t, "--metrics-addr", metricsAddr, "--db", filepath.Join(t.TempDir(), "shop.db"))
	shop, sb := "http://"+args[2], "http://"+args[4]
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, nil, stdout, stderr) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d:\n%s", code, stderr.String())
		}
	}()
	waitFor(t, 30*time.Second, "serve answering", func() (bool, string) {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited with %d:\n%s%s", code, stdout.String(), stderr.String())
		default:
		}
		code, _ := get(context.Background(), shop, "/healthz")
		return code == http.StatusOK, stdout.String()
	})
	bg := context.Background()
	if code, body := get(bg, "http://"+metricsAddr, "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("profiler on the metrics address: HTTP %d\n%.300s", code, body)
	}
	if code, body := get(bg, "http://"+metricsAddr, "/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Errorf("heap profile on the metrics address: HTTP %d\n%.300s", code, body)
	}
	if code, body := get(bg, "http://"+metricsAddr, "/metrics"); code != http.StatusOK || !strings.Contains(body, "process_cpu_seconds_total") {
		t.Errorf("metrics on the metrics address: HTTP %d", code)
	}
	for _, base := range []string{shop, sb} {
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
			if code, _ := get(bg, base, path); code == http.StatusOK {
				t.Errorf("%s%s answered 200: the profiler is on a public address", base, path)
			}
		}
	}
	if code, body := get(bg, sb, "/metrics"); code != http.StatusOK || !strings.Contains(body, "process_cpu_seconds_total") || !strings.Contains(body, "sinopay_sandbox_embedded 1") {
		t.Errorf("the embedded sandbox's /metrics: HTTP %d\n%.500s", code, body)
	}
}

// `sinopay sandbox` serves /metrics with its process's CPU on its own
// address, and with --metrics-addr there instead, with the profiler.
func TestSandboxMetrics(t *testing.T) {
	rs := startSandbox(t)
	bg := context.Background()
	if code, body := get(bg, rs.root, "/metrics"); code != http.StatusOK || !strings.Contains(body, "process_cpu_seconds_total") || !strings.Contains(body, "sinopay_sandbox_embedded 0") {
		t.Errorf("/metrics: HTTP %d\n%.500s", code, body)
	}
	if code, _ := get(bg, rs.root, "/debug/pprof/"); code == http.StatusOK {
		t.Error("the profiler is on the sandbox's public address")
	}

	metricsAddr := freeAddr(t)
	rs = startSandbox(t, "--metrics-addr", metricsAddr)
	if code, body := get(bg, "http://"+metricsAddr, "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("profiler on --metrics-addr: HTTP %d", code)
	}
	if code, _ := get(bg, "http://"+metricsAddr, "/metrics"); code != http.StatusOK {
		t.Errorf("/metrics on --metrics-addr: HTTP %d", code)
	}
	for _, path := range []string{"/debug/pprof/", "/metrics"} {
		if code, _ := get(bg, rs.root, path); code == http.StatusOK {
			t.Errorf("%s answered on the sandbox's public address with --metrics-addr", path)
		}
	}
}
