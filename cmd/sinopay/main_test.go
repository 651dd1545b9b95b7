package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The subcommands whose logic lives in a package of its own are reached
// from the command line, with their flags, streams and exit codes.
func TestSubcommandsWired(t *testing.T) {
	for _, c := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"loadtest", "-h"}, 0, "", "usage: sinopay loadtest"},
		{[]string{"loadtest", "--concurrency", "many"}, 2, "", "invalid value"},
		{[]string{"loadtest", "--mode", "storm", "--shop", "http://example.com"}, 2, "", `--shop: "example.com" is not a loopback address`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("sinopay %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), code, c.code, stdout.String(), stderr.String())
		}
	}
}
