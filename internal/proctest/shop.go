package proctest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/shopclient"
)

// Shop is a running `sinopay serve` process.
type Shop struct {
	*Proc
	URL  string // http://ADDR
	Addr string
	// Sandbox is the embedded sandbox's control API; nil with
	// ShopOptions.Bank.
	Sandbox *sandbox.ControlClient
	// Options are the options it was started with, the defaults filled
	// in: StartShop(t, s.Options) starts it again in the same place, on
	// the same database (after a Kill, say).
	Options ShopOptions
}

// ShopOptions configure StartShop. The zero value is the shop with its
// embedded sandbox on free ports and a fresh SQLite file.
type ShopOptions struct {
	Name string // for messages; "shop" by default
	// DB is --db: a SQLite path or a postgres:// URL. Default: a fresh
	// SQLite file in a temporary folder.
	DB string
	// Bank is the sandbox process the shop uses as its bank (with
	// --sandbox-addr off). Without one, the shop runs the embedded
	// sandbox on a free port.
	Bank *Sandbox
	// Addr is the listen address; default a free loopback port.
	Addr string
	// SandboxAddr is the embedded sandbox's address; default a free
	// loopback port. Unused with Bank.
	SandboxAddr string
	// BaseURL is --base-url, where the bank calls back; default the
	// shop's own URL.
	BaseURL string
	// Args are more flags for `sinopay serve` (--migrate=false…).
	Args []string
	// Env is more environment, KEY=VALUE (SINOPAY_SWEEP_EVERY=1s…), on
	// top of an environment without any other SINOPAY_* variable.
	Env []string
	// Dir is the working folder; default an empty one, so no .env is read.
	Dir string
	// Healthy bounds the wait for /healthz [60s]: migrations on a fresh
	// PostgreSQL database take a few hundred milliseconds, a cold start
	// under the race detector much longer.
	Healthy time.Duration
}

// StartShop starts `sinopay serve` and waits until /healthz answers 200.
// It is stopped (SIGTERM) when t ends.
func StartShop(t testing.TB, o ShopOptions) *Shop {
	t.Helper()
	s, err := TryStartShop(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TryStartShop is StartShop returning the error: for tests of start-up
// failures, and for starting several shops at once off the test's
// goroutine.
func TryStartShop(t testing.TB, o ShopOptions) (*Shop, error) {
	if o.Name == "" {
		o.Name = "shop"
	}
	if o.DB == "" {
		o.DB = filepath.Join(t.TempDir(), "shop.db")
	}
	if o.Healthy == 0 {
		o.Healthy = 60 * time.Second
	}
	// A free port is found by listening and closing, so another process
	// can take it before the binary listens; only that case is retried,
	// and only for ports this function chose.
	var err error
	for range 3 {
		var s *Shop
		chose := o.Addr == "" || (o.Bank == nil && o.SandboxAddr == "")
		s, err = tryStartShop(t, o)
		if err == nil {
			return s, nil
		}
		if !chose || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, err
}

func tryStartShop(t testing.TB, o ShopOptions) (*Shop, error) {
	addrs, err := FreeAddrs(2)
	if err != nil {
		return nil, err
	}
	if o.Addr == "" {
		o.Addr = addrs[0]
	}
	if o.Bank == nil && o.SandboxAddr == "" {
		o.SandboxAddr = addrs[1]
	}
	shopURL := "http://" + o.Addr
	if o.BaseURL == "" {
		o.BaseURL = shopURL
	}
	args := []string{"serve", "--addr", o.Addr, "--db", o.DB, "--base-url", o.BaseURL}
	env := Env(o.Env...)
	s := &Shop{URL: shopURL, Addr: o.Addr, Options: o}
	if o.Bank != nil {
		args = append(args, "--sandbox-addr", "off")
		env = append(env, o.Bank.BankEnv()...)
	} else {
		args = append(args, "--sandbox-addr", o.SandboxAddr)
		s.Sandbox = sandbox.NewControlClient("http://"+o.SandboxAddr, nil)
	}
	args = append(args, o.Args...)
	p, err := start(t, o.Name, o.Dir, env, args...)
	if err != nil {
		return nil, err
	}
	s.Proc = p
	if err := p.waitHTTP(shopURL+"/healthz", o.Healthy); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Output())
	}
	// The banner is written before the shop answers; wait for it to come
	// through the pipe too, so tests that read it find it.
	if err := p.WaitOutput("shop:", 5*time.Second); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Output())
	}
	return s, nil
}

// Password is every test customer's password.
const Password = "proctest-password-1"

// NewCustomer signs a new customer up at shopURL with Password.
func NewCustomer(ctx context.Context, shopURL, email string) (*shopclient.Customer, error) {
	return shopclient.SignUp(ctx, nil, shopURL, email, Password)
}
