package proctest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// Sandbox is a running `sinopay sandbox` process.
type Sandbox struct {
	*Proc
	*sandbox.ControlClient        // its control API; URL() is http://127.0.0.1:PORT
	Addr                   string // 127.0.0.1:PORT
	// NotifyFrom is the address its notifications come from, which
	// BankEnv names as the bank's to the shop.
	NotifyFrom string
}

// NotifyFrom is the address sandboxes started here send their
// notifications from, as the embedded sandbox of `sinopay serve` does:
// the shop confirms them before anyone else's posts from 127.0.0.1.
const NotifyFrom = "127.0.0.2"

// SandboxOptions configure StartSandbox.
type SandboxOptions struct {
	// Addr is the listen address; the default lets the sandbox pick a
	// free port, which it prints. Give the old address to restart a
	// sandbox in its place.
	Addr string
	// Args are more flags for `sinopay sandbox` (--db, --notify-interval…).
	Args []string
	// NotifyFrom is --notify-from [NotifyFrom]; "off" leaves the choice to
	// the system (127.0.0.1), as anyone else's posts.
	NotifyFrom string
}

var reListening = regexp.MustCompile(`listening on (http://\S+)`)

// StartSandbox starts `sinopay sandbox` and waits until its control API
// answers. It is stopped when t ends.
func StartSandbox(t testing.TB, o SandboxOptions) *Sandbox {
	t.Helper()
	sb, err := TryStartSandbox(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// TryStartSandbox is StartSandbox returning the error, for use off the
// test's goroutine.
func TryStartSandbox(t testing.TB, o SandboxOptions) (*Sandbox, error) {
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	args := []string{"sandbox", "--addr", addr}
	switch o.NotifyFrom {
	case "":
		o.NotifyFrom = NotifyFrom
		fallthrough
	default:
		args = append(args, "--notify-from", o.NotifyFrom)
	case "off":
		o.NotifyFrom = ""
	}
	p, err := start(t, "sandbox", "", Env(), append(args, o.Args...)...)
	if err != nil {
		return nil, err
	}
	// The banner names the address it listens on, which is the only way
	// to learn a port the sandbox picked.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var root string
	err = waitfor.Until(ctx, 10*time.Millisecond, func(context.Context) error {
		exited := p.exited()
		if m := reListening.FindStringSubmatch(p.Output()); m != nil {
			root = m[1]
			return nil
		}
		if exited {
			return waitfor.Stop(fmt.Errorf("exited at start: %v", p.err))
		}
		return errors.New("no address printed yet")
	})
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("sandbox's address: %w\n%s", err, p.Output())
	}
	sb := &Sandbox{Proc: p, ControlClient: sandbox.NewControlClient(root, nil), Addr: root[len("http://"):], NotifyFrom: o.NotifyFrom}
	if err := p.waitHTTP(root+"/_sandbox/clock", 30*time.Second); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Output())
	}
	return sb, nil
}

// BankEnv is the environment that points `sinopay serve` at this sandbox
// as the demo merchant.
func (s *Sandbox) BankEnv() []string {
	env := []string{"SINOPAY_FUNBIZ_URL=" + s.APIURL(), "SINOPAY_SHOP_NO=" + DemoShopNo, "SINOPAY_HASH=" + DemoHash}
	if s.NotifyFrom != "" {
		env = append(env, "SINOPAY_NOTIFY_FROM="+s.NotifyFrom)
	}
	return env
}

// BankHTTP is an HTTP client whose connections come from NotifyFrom, the
// address a shop started here knows as the bank's: a test that posts a
// notification as the bank would uses it (shopclient.NewBank), since
// anyone else's wait behind the bank's.
func BankHTTP() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second,
		LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(NotifyFrom), 0))}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = d.DialContext
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}
