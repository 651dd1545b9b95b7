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
	// The funbiz tools read the process's environment.
	t.Setenv("SINOPAY_HASH", "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953,7FB3385F414E4F91")
	for _, c := range []struct {
		stdin          string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"", []string{"loadtest", "-h"}, 0, "", "usage: sinopay loadtest"},
		{"", []string{"loadtest", "--concurrency", "many"}, 2, "", "invalid value"},
		{"", []string{"loadtest", "--mode", "storm", "--shop", "http://example.com"}, 2, "", `--shop: "example.com" is not a loopback address`},
		{"", []string{"funbiz", "help"}, 0, "\n  order-create ", ""},
		{"", []string{"funbiz"}, 2, "", "usage: sinopay funbiz"},
		{"", []string{"funbiz", "refund"}, 2, "", `unknown subcommand "refund"`},
		{`{"ShopNo":"NA0249_001"}`, []string{"funbiz", "sign", "--nonce", "NjM3Njc5NTg1MTE2NjUuNDoz"}, 0, `"signString": "ShopNo=NA0249_001"`, ""},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(c.stdin), &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("sinopay %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), code, c.code, stdout.String(), stderr.String())
		}
	}
}
