package loadtest

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// Modes of a run.
const (
	// ModeFlow drives whole purchases and audits every order.
	ModeFlow = "flow"
	// ModeNotify floods the shop's notification endpoint with forged
	// PayTokens.
	ModeNotify = "notify"
	// ModeBank loads a bank (the sandbox, or any bank API on this machine)
	// with the funbiz client: OrderCreate, OrderQuery and OrderPayQuery.
	ModeBank = "bank"
	// ModeAPI makes payments through the shop's JSON API, as another
	// shop's server would, pays them at the sandbox and follows them
	// through the API until they succeed; then audits them.
	ModeAPI = "api"
)

// Config is one run. Its errors name each setting by its flag of
// `sinopay loadtest`, which sets it.
type Config struct {
	// Shop and Sandbox are the base URLs of the shop and of its bank's
	// sandbox (--shop, --sandbox); both must be on this machine. Neither
	// has a default: a load test aims only where it is told. ModeBank
	// takes the sandbox, or Bank instead, and no shop.
	Shop, Sandbox string
	// Bank is the API base URL of a bank on this machine for ModeBank
	// (--bank), such as http://127.0.0.1:8081/QPay.WebAPI/api; with
	// Sandbox instead, the sandbox's API is loaded.
	Bank string
	// Hash is the shop's hash values at the bank, for ModeBank (--hash);
	// the sandbox's demo merchant's when zero.
	Hash funbiz.Hash
	// ShopMetrics and SandboxMetrics are where the two processes serve
	// their Prometheus metrics (--shop-metrics, --sandbox-metrics); by
	// default /metrics on Shop and Sandbox. CPU per operation is read
	// from their process_cpu_seconds_total.
	ShopMetrics, SandboxMetrics string
	// JSON prints one machine-readable result on stdout, and the tables
	// on the progress writer (--json).
	JSON bool
	// Live redraws one progress line in place (a terminal) instead of
	// printing a line every 2 s.
	Live bool
	// Duration is how long new purchases start (--duration).
	Duration time.Duration
	// Concurrency is the number of customers, or senders (--concurrency).
	Concurrency int
	// ATMShare is the share of ATM purchases, the rest by card (--atm).
	ATMShare float64
	// DeclineShare is the share of card purchases declined once before
	// they pay (--decline).
	DeclineShare float64
	// DupShare is the share of payments whose notification the sandbox
	// sends twice (--dup).
	DupShare float64
	// Mode is ModeFlow or ModeNotify (--mode).
	Mode string
	// Settle bounds the audit's wait for the orders to converge (--settle).
	Settle time.Duration
	// ShopNo is the shop number the sandbox knows the shop by (--shop-no).
	ShopNo string
	// APIKey is the secret API key (sk_test_…) ModeAPI pays with
	// (--api-key, or SINOPAY_API_KEY).
	APIKey string
	// From is the loopback address ModeNotify posts from (--from): the
	// shop takes notifications from an address it knows as the bank's
	// (127.0.0.2 for its embedded sandbox) on the bank's own path, and
	// every other sender's in a lane of their own. Empty: the system's
	// choice, 127.0.0.1.
	From string
}

// check validates c, naming every bad setting at once, and returns the
// two URLs.
func (c Config) check() (shop, sandbox *url.URL, err error) {
	var errs []error
	target := func(name, s, what string) *url.URL {
		if s == "" {
			errs = append(errs, fmt.Errorf("%s: required: %s (a load test aims only where it is told)", name, what))
			return nil
		}
		u, err := loopbackURL(name, s)
		if err != nil {
			errs = append(errs, err)
		}
		return u
	}
	if c.Mode == ModeBank {
		switch {
		case c.Shop != "":
			errs = append(errs, errors.New("--shop: --mode bank loads a bank only: give --sandbox or --bank"))
		case c.Sandbox != "" && c.Bank != "":
			errs = append(errs, errors.New("--bank: give --sandbox or --bank, not both"))
		case c.Bank != "":
			target("--bank", c.Bank, "")
		default:
			sandbox = target("--sandbox", c.Sandbox, "the sandbox's URL, such as http://127.0.0.1:8081, or --bank with a bank API URL")
		}
	} else {
		shop = target("--shop", c.Shop, "the shop's URL, such as http://127.0.0.1:8080")
		sandbox = target("--sandbox", c.Sandbox, "the shop's bank sandbox's URL, such as http://127.0.0.1:8081")
		if c.Bank != "" {
			errs = append(errs, errors.New("--bank: only --mode bank loads a bank"))
		}
	}
	for _, m := range []struct{ name, v string }{{"--shop-metrics", c.ShopMetrics}, {"--sandbox-metrics", c.SandboxMetrics}} {
		if m.v != "" {
			if _, err := loopbackURL(m.name, m.v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"--atm", c.ATMShare}, {"--decline", c.DeclineShare}, {"--dup", c.DupShare}} {
		if f.v < 0 || f.v > 1 || math.IsNaN(f.v) {
			errs = append(errs, fmt.Errorf("%s: want a share from 0 to 1, got %v", f.name, f.v))
		}
	}
	if c.Concurrency < 1 || c.Concurrency > 1000 {
		errs = append(errs, fmt.Errorf("--concurrency: want 1 to 1000, got %d", c.Concurrency))
	}
	if c.Duration <= 0 || c.Duration > 24*time.Hour {
		errs = append(errs, fmt.Errorf("--duration: want up to 24h, got %v", c.Duration))
	}
	if c.From != "" {
		if ip := net.ParseIP(c.From); ip == nil || !ip.IsLoopback() {
			errs = append(errs, fmt.Errorf("--from: want a loopback address such as 127.0.0.2, got %q", c.From))
		} else if c.Mode != ModeNotify {
			errs = append(errs, errors.New("--from: only --mode notify posts from another address"))
		}
	}
	if c.Mode != ModeFlow && c.Mode != ModeNotify && c.Mode != ModeBank && c.Mode != ModeAPI {
		errs = append(errs, fmt.Errorf("--mode: want flow, notify, bank or api, got %q", c.Mode))
	}
	if c.Mode == ModeAPI && c.APIKey == "" {
		errs = append(errs, errors.New("--api-key: required with --mode api: a test key of the shop (sinopay apikey create --name load)"))
	}
	return shop, sandbox, errors.Join(errs...)
}

// loopbackURL accepts only URLs on this machine: a load test must never
// reach anything else.
func loopbackURL(name, s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: want an http URL, got %q", name, s)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s: %q is not a loopback address; load is only ever sent to this machine", name, host)
	}
	return u, nil
}
