package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
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
	if !strings.Contains(out.String(), "CPU of the shop: ") || !strings.Contains(out.String(), "CPU of the sandbox: in the shop's process") {
		t.Errorf("notify output lacks the CPU per notification:\n%s", out.String())
	}

	// The same as one JSON result: the shop's CPU per notification from
	// its /metrics, the embedded sandbox's counted in it.
	c.JSON = true
	out.Reset()
	progress.Reset()
	if code := Run(context.Background(), c, &out, &progress); code != 0 {
		t.Fatalf("notify --json: exit %d\n%s\n%s", code, out.String(), progress.String())
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out.String())
	}
	if r.Ops == 0 || len(r.CPU) != 2 || r.CPU[0].Process != "shop" || r.CPU[0].PerOpMicros <= 0 || !r.CPU[1].InShop || r.Latency.P50 <= 0 {
		t.Errorf("notify --json result %+v", r)
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
		func(c *Config) { c.Shop = "" },
		func(c *Config) { c.Sandbox = "" },
		func(c *Config) { c.Bank = "http://127.0.0.1:8081/QPay.WebAPI/api" },
		func(c *Config) { c.Mode = ModeBank },
		func(c *Config) { c.Mode, c.Shop = ModeBank, ""; c.Bank = "http://127.0.0.1:8081" },
		func(c *Config) { c.Mode, c.Shop, c.Sandbox = ModeBank, "", "" },
		func(c *Config) { c.Mode, c.Shop, c.Sandbox, c.Bank = ModeBank, "", "", "http://10.0.0.1/api" },
		func(c *Config) { c.ShopMetrics = "http://10.0.0.1:9100/metrics" },
	} {
		c := ok
		bad(&c)
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), c, &out, &errOut); code != 2 || !strings.HasPrefix(errOut.String(), "sinopay loadtest: --") {
			t.Errorf("%+v: exit %d, want 2\n%s", c, code, errOut.String())
		}
	}
	for _, good := range []Config{
		{Mode: ModeBank, Sandbox: "http://127.0.0.1:8081", Duration: time.Second, Concurrency: 1},
		{Mode: ModeBank, Bank: "http://127.0.0.1:8081/QPay.WebAPI/api", Duration: time.Second, Concurrency: 1},
	} {
		if _, _, err := good.check(); err != nil {
			t.Errorf("%+v: %v", good, err)
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

// A load test aims only where it is told: without --shop and --sandbox it
// refuses, naming both, and sends nothing.
func TestRefusesWithoutTargets(t *testing.T) {
	for _, c := range []Config{
		{Mode: ModeFlow, Duration: time.Second, Concurrency: 1},
		{Mode: ModeNotify, Duration: time.Second, Concurrency: 1},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), c, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "--shop: required") || !strings.Contains(errOut.String(), "--sandbox: required") || out.Len() > 0 {
			t.Errorf("%s: exit %d\n%s%s", c.Mode, code, out.String(), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), Config{Mode: ModeBank, Duration: time.Second, Concurrency: 1}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--sandbox: required") {
		t.Errorf("bank: exit %d\n%s", code, errOut.String())
	}
}

// fakeMetrics serves a process_cpu_seconds_total that grows by a
// millisecond at every scrape.
func fakeMetrics(t *testing.T, h http.Handler) *httptest.Server {
	var cpu atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\nprocess_start_time_seconds 1.7e+09\n", float64(cpu.Add(1))/1000)
	})
	mux.Handle("/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// --mode bank loads a sandbox over HTTP with the funbiz client, every
// call answered and opened, and --json prints one result that parses,
// with the sandbox's CPU per call.
func TestBankMode(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv := fakeMetrics(t, sb)
	c := Config{Mode: ModeBank, Sandbox: srv.URL, Duration: time.Second, Concurrency: 4, ShopNo: sandbox.DemoShopNo, JSON: true}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), c, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	var r Result
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not one JSON result: %v\n%s", err, out.String())
	}
	if dec.More() {
		t.Fatalf("more than one JSON value on stdout")
	}
	if r.Mode != ModeBank || r.Op != "bank call" || r.Ops == 0 || r.Failed != 0 || r.PerSecond <= 0 || !r.OK || r.Latency.P99 <= 0 || r.Latency.P50 > r.Latency.P99 {
		t.Errorf("result %+v", r)
	}
	var services []string
	for _, s := range r.Steps {
		services = append(services, s.Name)
		if s.Count == 0 {
			t.Errorf("step %+v", s)
		}
	}
	slices.Sort(services)
	if !slices.Equal(services, []string{funbiz.ServiceOrderCreate, funbiz.ServiceOrderPayQuery, funbiz.ServiceOrderQuery}) {
		t.Errorf("steps %v", services)
	}
	if len(r.CPU) != 1 || r.CPU[0].Process != "sandbox" || r.CPU[0].Error != "" || r.CPU[0].Seconds != 0.001 || r.CPU[0].PerOpMicros != 1000/float64(r.Ops) {
		t.Errorf("CPU %+v", r.CPU)
	}
	// The tables a person reads went to stderr.
	if !strings.Contains(errOut.String(), "bank calls") || !strings.Contains(errOut.String(), "OrderPayQuery") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	// The sandbox holds every order the run made: OrderCreate was real.
	created := 0
	for _, s := range r.Steps {
		if s.Name == funbiz.ServiceOrderCreate {
			created = s.Count
		}
	}
	if n := len(sb.Orders(sandbox.Filter{}, "")); n != bankSeeds+created {
		t.Errorf("the sandbox holds %d orders, want %d", n, bankSeeds+created)
	}
}

// A sign-up the shop holds back (429, per-address throttle) is tried
// again no sooner than its Retry-After asks, and then goes through.
func TestSignUpHonoursRetryAfter(t *testing.T) {
	var tries atomic.Int64
	var first, waited atomic.Int64
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/signup" {
			http.NotFound(w, r)
			return
		}
		switch tries.Add(1) {
		case 1:
			first.Store(time.Now().UnixNano())
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			waited.Store(time.Now().UnixNano() - first.Load())
			http.Redirect(w, r, "/", http.StatusSeeOther)
		}
	}))
	defer shop.Close()
	var progress bytes.Buffer
	l := newLoad(Config{Concurrency: 1}, shop.URL, "", &progress)
	if _, err := l.newCustomer(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tries.Load() != 2 || time.Duration(waited.Load()) < time.Second {
		t.Errorf("%d tries, the second %s after the first; want 2, at least 1s", tries.Load(), time.Duration(waited.Load()))
	}
	if !strings.Contains(progress.String(), "Retry-After") {
		t.Errorf("progress does not say why it waits:\n%s", progress.String())
	}
}

// --from posts the notifications from another loopback address, as the
// bank's would come, and only in notify mode, only from loopback.
func TestNotifyFrom(t *testing.T) {
	var mu sync.Mutex
	peers := map[string]int{}
	shop := fakeMetrics(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		peers[host]++
		mu.Unlock()
		io.WriteString(w, `{"Status":"S"}`)
	}))
	sb := fakeMetrics(t, http.NotFoundHandler())
	c := Config{Shop: shop.URL, Sandbox: sb.URL, Mode: ModeNotify, From: "127.0.0.2", Duration: 300 * time.Millisecond,
		Concurrency: 2, ShopNo: "NA0249_001"}
	var out, progress bytes.Buffer
	if code := Run(context.Background(), c, &out, &progress); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), progress.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(peers) != 1 || peers["127.0.0.2"] == 0 {
		t.Fatalf("notifications came from %v, want 127.0.0.2 alone", peers)
	}
	if !strings.Contains(progress.String(), "from 127.0.0.2") {
		t.Errorf("progress does not name the address:\n%s", progress.String())
	}

	for _, bad := range []Config{
		{Shop: shop.URL, Sandbox: sb.URL, Mode: ModeNotify, From: "192.0.2.1", Duration: time.Second, Concurrency: 1},
		{Shop: shop.URL, Sandbox: sb.URL, Mode: ModeFlow, From: "127.0.0.2", Duration: time.Second, Concurrency: 1},
	} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), bad, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--from:") {
			t.Errorf("%s from %s: exit %d\n%s", bad.Mode, bad.From, code, errOut.String())
		}
	}
}

// A short run through the JSON API, with a key made by the command a
// merchant uses: card and ATM payments are made, paid and followed to
// succeeded, each audited against the sandbox; the key's rate limit is
// waited out, not counted as a failure.
func TestRunAPI(t *testing.T) {
	s := proctest.StartShop(t, proctest.ShopOptions{Env: []string{"SINOPAY_CONFIRM_RATE=off", "SINOPAY_API_RATE=20"}})
	res := proctest.Run(t, nil, "apikey", "create", "--name", "load", "--db", s.Options.DB)
	key := regexp.MustCompile(`sk_test_[0-9a-f]+`).FindString(res.Output)
	if res.Code != 0 || key == "" {
		t.Fatalf("sinopay apikey create: %d\n%s", res.Code, res.Output)
	}
	c := config(s)
	c.Mode, c.APIKey = ModeAPI, key
	var out, progress bytes.Buffer
	if code := Run(context.Background(), c, &out, &progress); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), progress.String())
	}
	for _, want := range []string{"payments in", "api_create", "card_confirmed", "atm_confirmed", "CPU of the shop: ", "paid at the bank ⇔ succeeded in the API"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	c.APIKey = "sk_test_" + strings.Repeat("0", 48)
	out.Reset()
	if code := Run(context.Background(), c, &out, &progress); code != 1 || !strings.Contains(out.String(), "the API refuses the key: HTTP 401") {
		t.Fatalf("a bad key: exit %d\n%s", code, out.String())
	}
}
