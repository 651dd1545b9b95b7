package loadtest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
)

func TestMain(m *testing.M) { os.Exit(proctest.Main(m)) }

// config is a short run against the shop at shop.
func config(s *proctest.Shop) Config {
	return Config{
		Shop: s.URL, Sandbox: s.Sandbox.URL(), Duration: 2 * time.Second, Concurrency: 2,
		ATMShare: 0.5, DeclineShare: 0.5, DupShare: 0.5, Mode: ModeFlow, Settle: 60 * time.Second, ShopNo: sandbox.DemoShopNo,
	}
}

// Short load runs against a real shop with its embedded sandbox: every
// step of every purchase is timed and every order audited; and a flood of
// forged notifications is acknowledged.
func TestRun(t *testing.T) {
	s := proctest.StartShop(t, proctest.ShopOptions{Env: []string{"SINOPAY_CONFIRM_RATE=off"}})

	var out, progress bytes.Buffer
	if code := Run(context.Background(), config(s), &out, &progress); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), progress.String())
	}
	for _, want := range []string{"purchases in", "checkout_submit", "p99", "return", "atm_confirmed", "declined_card_confirmed", "nothing lost, nothing doubled"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "2 customers for 2s") {
		t.Errorf("progress:\n%s", progress.String())
	}

	c := config(s)
	c.Mode, c.Duration = ModeNotify, time.Second
	out.Reset()
	progress.Reset()
	if code := Run(context.Background(), c, &out, &progress); code != 0 {
		t.Fatalf("notify: exit %d\n%s\n%s", code, out.String(), progress.String())
	}
	if !strings.Contains(out.String(), "notifications acknowledged in") || !strings.Contains(out.String(), "notify_ack") || strings.Contains(out.String(), "errors:") {
		t.Errorf("notify output:\n%s", out.String())
	}
}

// A load test only ever goes to this machine, and refuses shares out of
// range; every bad setting is named at once.
func TestConfig(t *testing.T) {
	ok := Config{Shop: "http://127.0.0.1:8080", Sandbox: "http://127.0.0.1:8081", Duration: time.Second, Concurrency: 1, Mode: ModeFlow}
	if _, _, err := ok.check(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.Shop = "http://example.com" },
		func(c *Config) { c.Sandbox = "http://10.0.0.1:8081" },
		func(c *Config) { c.Shop = "http://[::2]:8080" },
		func(c *Config) { c.Shop = "ftp://127.0.0.1" },
		func(c *Config) { c.ATMShare = 1.5 },
		func(c *Config) { c.DupShare = -0.1 },
		func(c *Config) { c.Concurrency = 0 },
		func(c *Config) { c.Duration = 25 * time.Hour },
		func(c *Config) { c.Mode = "storm" },
	} {
		c := ok
		bad(&c)
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), c, &out, &errOut); code != 2 || !strings.HasPrefix(errOut.String(), "sinopay loadtest: --") {
			t.Errorf("%+v: exit %d, want 2\n%s", c, code, errOut.String())
		}
	}
	all := Config{Shop: "http://example.com", Concurrency: 0, Mode: "storm"}
	_, _, err := all.check()
	for _, want := range []string{"--shop", "--sandbox", "--concurrency", "--duration", "--mode"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %s", err, want)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.9.9.9", "http://127.0.0.1:8080/"} {
		if _, err := loopbackURL("--shop", u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
