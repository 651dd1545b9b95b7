package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const healthUsage = `usage: sinopay health [--url URL] [--timeout 5s]

Asks a running shop whether it is ready to take payments (GET /readyz:
its database takes writes and the bank answers) and prints its answer.
Exit status 0 when it answers 200, 1 otherwise. It is the container's
HEALTHCHECK, since a scratch image has no curl.

By default it asks the shop at its own address (SINOPAY_ADDR or .env, as
serve reads it; a wildcard host such as 0.0.0.0 is asked on 127.0.0.1).

flags:
`

func runHealth(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	urlFlag := fs.String("url", "", "the readiness URL to ask (default http://ADDR/readyz from SINOPAY_ADDR)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if code, ok := parseFlags(ctx, fs, args, healthUsage, stdout, stderr); !ok {
		return code
	}
	target := *urlFlag
	if target == "" {
		e, err := loadEnv(".env")
		if err != nil {
			fmt.Fprintf(stderr, "sinopay health: %v\n", err)
			return 2
		}
		addr, err := e.get("SINOPAY_ADDR")
		if err != nil {
			fmt.Fprintf(stderr, "sinopay health: %v\n", err)
			return 2
		}
		if addr == "" {
			addr = "127.0.0.1:8080"
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return usageError(stderr, "sinopay health", fmt.Sprintf("SINOPAY_ADDR: want host:port, got %q", addr))
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/readyz"
	}
	if *timeout <= 0 {
		return usageError(stderr, "sinopay health", "--timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usageError(stderr, "sinopay health", fmt.Sprintf("--url: %v", err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay health: not ready: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(stdout, "%s %s\n%s", target, resp.Status, body)
	if len(body) > 0 && !strings.HasSuffix(string(body), "\n") {
		fmt.Fprintln(stdout)
	}
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "sinopay health: not ready: %s\n", resp.Status)
		return 1
	}
	return 0
}
