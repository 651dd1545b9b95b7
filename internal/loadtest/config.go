package loadtest

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"
)

// Modes of a run.
const (
	// ModeFlow drives whole purchases and audits every order.
	ModeFlow = "flow"
	// ModeNotify floods the shop's notification endpoint with forged
	// PayTokens.
	ModeNotify = "notify"
)

// Config is one run. Its errors name each setting by its flag of
// `sinopay loadtest`, which sets it.
type Config struct {
	// Shop and Sandbox are the base URLs of the shop and of its bank's
	// sandbox (--shop, --sandbox); both must be on this machine.
	Shop, Sandbox string
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
}

// check validates c, naming every bad setting at once, and returns the
// two URLs.
func (c Config) check() (shop, sandbox *url.URL, err error) {
	var errs []error
	if shop, err = loopbackURL("--shop", c.Shop); err != nil {
		errs = append(errs, err)
	}
	if sandbox, err = loopbackURL("--sandbox", c.Sandbox); err != nil {
		errs = append(errs, err)
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
	if c.Mode != ModeFlow && c.Mode != ModeNotify {
		errs = append(errs, fmt.Errorf("--mode: want flow or notify, got %q", c.Mode))
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
