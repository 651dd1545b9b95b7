package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/internal/loadtest"
)

const loadtestUsage = `usage: sinopay loadtest --shop URL --sandbox URL [flags]
       sinopay loadtest --mode bank --sandbox URL | --bank API-URL [flags]

Drives synthetic customers through full ATM and card purchases against a
running shop and its sandbox (over HTTP, no browser; the sandbox's control
API pays), prints throughput and latency per step, then audits every order
against the sandbox's records: paid at the bank ⇔ paid in the shop, same
amount, one payment each. Exits 1 on any difference.

With --mode notify it instead floods the shop's notification endpoint with
forged PayTokens and reports acknowledgements per second; with --from
127.0.0.2 they come from the address the shop knows as its embedded bank's,
and take the bank's own path (each is recorded, then asked about and
refused by the bank), otherwise they are an unknown sender's.

With --mode bank it loads a bank alone with the funbiz client: OrderCreate,
OrderQuery and OrderPayQuery, each a Nonce and an /Order request; --sandbox
loads a sandbox's API, --bank any bank API URL on this machine.

With --mode api it makes payments through the shop's JSON API with a test
key (--api-key), as another shop's server would: each is created, paid at
the sandbox (a transfer, or the card page and the buyer's return) and read
back until it has succeeded; then every payment is audited against the
sandbox. Run the shop with SINOPAY_API_RATE=off to measure it without the
key's rate limit.

Every run reports the CPU each process spent per operation, read from its
/metrics (process_cpu_seconds_total, before and after), beside throughput
and latency; --json prints the whole result as one JSON object on stdout.

Targets must be given, and be loopback addresses.

flags:
`

// runLoadtest reads the flags of `sinopay loadtest` and runs it.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	var c loadtest.Config
	fs.StringVar(&c.Shop, "shop", "", "the shop's `URL`, such as http://127.0.0.1:8080 (required, except with --mode bank)")
	fs.StringVar(&c.Sandbox, "sandbox", "", "the sandbox's `URL`, such as http://127.0.0.1:8081 (required, or --bank with --mode bank)")
	fs.StringVar(&c.Bank, "bank", "", "with --mode bank: a bank's API base `URL` on this machine, instead of --sandbox")
	hash := fs.String("hash", "", "with --mode bank: the shop's hash values `A1,A2,B1,B2` at the bank (default: the sandbox's demo merchant's; or SINOPAY_HASH)")
	fs.StringVar(&c.ShopMetrics, "shop-metrics", "", "where the shop serves its metrics, for its CPU (default: /metrics on --shop; give its --metrics-addr's)")
	fs.StringVar(&c.SandboxMetrics, "sandbox-metrics", "", "where the sandbox or bank serves its metrics, for its CPU (default: /metrics on --sandbox)")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "how long to send new purchases")
	fs.IntVar(&c.Concurrency, "concurrency", 8, "concurrent customers")
	fs.Float64Var(&c.ATMShare, "atm", 0.3, "share of ATM purchases (the rest by card), 0–1")
	fs.Float64Var(&c.DeclineShare, "decline", 0.1, "share of card purchases declined once before paying again, 0–1")
	fs.Float64Var(&c.DupShare, "dup", 0.2, "share of payments whose notification the sandbox sends twice, 0–1")
	fs.StringVar(&c.From, "from", "", "with --mode notify: the loopback `address` to post from, such as 127.0.0.2, which the shop takes as its embedded bank's (default: the system's choice)")
	fs.StringVar(&c.Mode, "mode", loadtest.ModeFlow, `"flow" (purchases), "notify" (notification endpoint only), "bank" (bank calls only) or "api" (payments through the JSON API)`)
	fs.StringVar(&c.APIKey, "api-key", "", "with --mode api: the shop's secret API `key`, sk_test_… (or SINOPAY_API_KEY)")
	fs.DurationVar(&c.Settle, "settle", 60*time.Second, "how long the audit waits for orders to converge")
	fs.StringVar(&c.ShopNo, "shop-no", "NA0249_001", "the shop number the sandbox knows the shop by")
	fs.BoolVar(&c.JSON, "json", false, "print the result as one JSON object on stdout (the tables go to stderr)")
	if code, ok := parseFlags(ctx, fs, args, loadtestUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sinopay loadtest: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if c.APIKey == "" && c.Mode == loadtest.ModeAPI {
		c.APIKey = os.Getenv("SINOPAY_API_KEY")
	}
	if *hash == "" && c.Mode == loadtest.ModeBank {
		*hash = os.Getenv("SINOPAY_HASH")
	}
	if *hash != "" {
		h, err := funbiz.ParseHash(*hash)
		if err != nil {
			// The error names the field, never its value.
			fmt.Fprintf(stderr, "sinopay loadtest: --hash: %v\n", err)
			return 2
		}
		c.Hash = h
	}
	c.Live = isTerminal(stderr)
	return loadtest.Run(ctx, c, stdout, stderr)
}
