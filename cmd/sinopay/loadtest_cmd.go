package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sinopay/sinopay/internal/loadtest"
)

const loadtestUsage = `usage: sinopay loadtest [flags]

Drives synthetic customers through full ATM and card purchases against a
running shop and its sandbox (over HTTP, no browser; the sandbox's control
API pays), prints throughput and latency per step, then audits every order
against the sandbox's records: paid at the bank ⇔ paid in the shop, same
amount, one payment each. Exits 1 on any difference.

With --mode notify it instead floods the shop's notification endpoint with
forged PayTokens and reports acknowledgements per second.

Targets must be loopback addresses.

flags:
`

// runLoadtest reads the flags of `sinopay loadtest` and runs it.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c loadtest.Config
	fs.StringVar(&c.Shop, "shop", "http://127.0.0.1:8080", "the shop's URL")
	fs.StringVar(&c.Sandbox, "sandbox", "http://127.0.0.1:8081", "the sandbox's URL")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "how long to send new purchases")
	fs.IntVar(&c.Concurrency, "concurrency", 8, "concurrent customers")
	fs.Float64Var(&c.ATMShare, "atm", 0.3, "share of ATM purchases (the rest by card), 0–1")
	fs.Float64Var(&c.DeclineShare, "decline", 0.1, "share of card purchases declined once before paying again, 0–1")
	fs.Float64Var(&c.DupShare, "dup", 0.2, "share of payments whose notification the sandbox sends twice, 0–1")
	fs.StringVar(&c.Mode, "mode", loadtest.ModeFlow, `"flow" (purchases) or "notify" (notification endpoint only)`)
	fs.DurationVar(&c.Settle, "settle", 60*time.Second, "how long the audit waits for orders to converge")
	fs.StringVar(&c.ShopNo, "shop-no", "NA0249_001", "the shop number the sandbox knows the shop by")
	fs.Usage = func() { fmt.Fprint(stderr, loadtestUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	return loadtest.Run(ctx, c, stdout, stderr)
}
