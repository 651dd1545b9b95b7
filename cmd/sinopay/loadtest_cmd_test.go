package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// `sinopay loadtest` without targets refuses, naming the flags it needs,
// and loads nothing: there is no default shop at :8080.
func TestLoadtestNeedsTargets(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"loadtest"}, []string{"--shop: required", "--sandbox: required"}},
		{[]string{"loadtest", "--shop", "http://127.0.0.1:1"}, []string{"--sandbox: required"}},
		{[]string{"loadtest", "--mode", "notify", "--sandbox", "http://127.0.0.1:1"}, []string{"--shop: required"}},
		{[]string{"loadtest", "--mode", "bank"}, []string{"--sandbox: required"}},
		{[]string{"loadtest", "--mode", "bank", "--shop", "http://127.0.0.1:1", "--sandbox", "http://127.0.0.1:2"}, []string{"--shop: --mode bank loads a bank only"}},
		{[]string{"loadtest", "--mode", "bank", "--sandbox", "http://127.0.0.1:2", "--hash", "1,2,3,4"}, []string{"--hash: "}},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, nil, &stdout, &stderr)
		if code != 2 || stdout.Len() > 0 {
			t.Errorf("%v: exit %d, stdout %q", c.args, code, stdout.String())
		}
		for _, w := range c.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, stderr.String())
			}
		}
	}
}
