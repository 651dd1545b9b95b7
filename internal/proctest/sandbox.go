package proctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// Sandbox is a running `sinopay sandbox` process.
type Sandbox struct {
	*Proc
	SandboxAPI        // its control API; URL is http://127.0.0.1:PORT
	Addr       string // 127.0.0.1:PORT
}

// SandboxAPI calls the control API (funbiz/sandbox/README.md) of the
// sandbox at URL: a sandbox process, or the one a shop embeds. Safe for
// concurrent use.
type SandboxAPI struct {
	URL string
}

// SandboxOptions configure StartSandbox.
type SandboxOptions struct {
	// Addr is the listen address; the default lets the sandbox pick a
	// free port, which it prints. Give the old address to restart a
	// sandbox in its place.
	Addr string
	// Args are more flags for `sinopay sandbox` (--db, --notify-interval…).
	Args []string
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
	p, err := start(t, "sandbox", "", Env(), append([]string{"sandbox", "--addr", addr}, o.Args...)...)
	if err != nil {
		return nil, err
	}
	// The banner names the address it listens on, which is the only way
	// to learn a port the sandbox picked.
	deadline := time.Now().Add(30 * time.Second)
	var root string
	for root == "" {
		if m := reListening.FindStringSubmatch(p.Output()); m != nil {
			root = m[1]
			break
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("sandbox exited at start: %v\n%s", p.err, p.Output())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("sandbox printed no address in 30s:\n%s", p.Output())
		}
	}
	sb := &Sandbox{Proc: p, SandboxAPI: SandboxAPI{URL: root}, Addr: root[len("http://"):]}
	if err := p.waitHTTP(root+"/_sandbox/clock", 30*time.Second); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Output())
	}
	return sb, nil
}

// APIURL is the bank API's base URL, for SINOPAY_FUNBIZ_URL.
func (s SandboxAPI) APIURL() string { return s.URL + "/QPay.WebAPI/api" }

// BankEnv is the environment that points `sinopay serve` at this sandbox
// as the demo merchant.
func (s *Sandbox) BankEnv() []string {
	return []string{"SINOPAY_FUNBIZ_URL=" + s.APIURL(), "SINOPAY_SHOP_NO=" + DemoShopNo, "SINOPAY_HASH=" + DemoHash}
}

var controlClient = &http.Client{Timeout: 30 * time.Second}

// Post calls the sandbox's control API with a JSON body and decodes the
// answer into out (when not nil). Anything but 200 is an error carrying
// the body.
func (s SandboxAPI) Post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return doJSON(req, out)
}

// Get reads from the sandbox's control API.
func (s SandboxAPI) Get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	return doJSON(req, out)
}

func doJSON(req *http.Request, out any) error {
	resp, err := controlClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d %s", req.Method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Payment is what the sandbox answers for a payment it made.
type Payment struct {
	PayToken string
	Status   string // S or F
	OrderNo  string
	Outcome  string
}

// PayCard pays a card order of the demo merchant as the card page would;
// outcome is "success", "decline", "insufficient"… The sandbox then
// notifies the order's BackendURL.
func (s SandboxAPI) PayCard(ctx context.Context, orderNo, outcome string) (Payment, error) {
	var p Payment
	err := s.Post(ctx, "/_sandbox/card/pay", map[string]string{"ShopNo": DemoShopNo, "OrderNo": orderNo, "Outcome": outcome}, &p)
	return p, err
}

// Transfer pays amount (whole NT$) into an ATM virtual account.
func (s SandboxAPI) Transfer(ctx context.Context, atmPayNo string, amount int64) (Payment, error) {
	var p Payment
	err := s.Post(ctx, "/_sandbox/atm/transfer", map[string]any{"AtmPayNo": atmPayNo, "Amount": amount}, &p)
	return p, err
}

// Order is an order as the sandbox lists it.
type Order struct {
	OrderNo   string
	PayType   string
	Amount    int64
	PayStatus string
	State     string
	AtmPayNo  string
	PaidAt    string
	PayTokens []string
}

// Orders lists the sandbox's orders, all of them when orderNo is empty.
func (s SandboxAPI) Orders(ctx context.Context, orderNo string) ([]Order, error) {
	var out []Order
	err := s.Get(ctx, "/_sandbox/orders?OrderNo="+url.QueryEscape(orderNo), &out)
	return out, err
}

// Delivery is one notification of a PayToken with its attempts.
type Delivery struct {
	ID       int64
	OrderNo  string
	PayToken string
	URL      string
	State    string // pending, delivered, gave-up, dropped
	Attempts []Attempt
}

// Attempt is one try at a delivery; OK when the shop acknowledged it.
type Attempt struct {
	HTTPStatus int
	Error      string
	Problem    string
	OK         bool
}

// Deliveries lists the sandbox's notifications.
func (s SandboxAPI) Deliveries(ctx context.Context) ([]Delivery, error) {
	var out []Delivery
	err := s.Get(ctx, "/_sandbox/deliveries", &out)
	return out, err
}

// Chaos arms one chaos rule (see funbiz/sandbox/README.md).
func (s SandboxAPI) Chaos(ctx context.Context, rule map[string]any) error {
	return s.Post(ctx, "/_sandbox/chaos", rule, nil)
}
