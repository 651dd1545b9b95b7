package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// runningSandbox is `sinopay sandbox` running in the test.
type runningSandbox struct {
	root    string
	started time.Duration // from the call to the first answered request
	stop    func() int
	stderr  *syncBuffer
	banner  []string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startSandbox(t *testing.T, args ...string) *runningSandbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	rs := &runningSandbox{stderr: &syncBuffer{}}
	code := make(chan int, 1)
	begin := time.Now()
	go func() {
		code <- runSandbox(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), pw, rs.stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		l := lines.Text()
		rs.banner = append(rs.banner, l)
		if root, ok := strings.CutPrefix(strings.TrimSpace(l), "API base URL:"); ok {
			rs.root = strings.TrimSuffix(strings.TrimSpace(root), sandbox.APIPrefix)
		}
		if strings.HasPrefix(strings.TrimSpace(l), "State:") {
			break
		}
	}
	if rs.root == "" {
		cancel()
		t.Fatalf("no API base URL printed; stderr: %s", rs.stderr)
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(rs.root + "/_sandbox/clock")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rs.started = time.Since(begin)
	stopped := false
	rs.stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("sandbox did not stop")
			return -1
		}
	}
	t.Cleanup(func() { rs.stop() })
	return rs
}

func TestSandboxCommand(t *testing.T) {
	rs := startSandbox(t)
	// The start-up target is 100 ms; the assertion leaves room for a
	// loaded CI machine, the log shows the figure.
	t.Logf("start-up to first answered request: %s", rs.started)
	if rs.started > time.Second {
		t.Errorf("start-up took %s", rs.started)
	}
	banner := strings.Join(rs.banner, "\n")
	for _, want := range []string{"/QPay.WebAPI/api", "/_sandbox/", "NA0249_001", "86D50DEF3EB7400E", "01FD27C09E5549E5", "9E004965F4244953", "7FB3385F414E4F91", "測試環境"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	c, err := funbiz.NewClient(funbiz.Config{BaseURL: rs.root + sandbox.APIPrefix, ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.OrderCreate(context.Background(), &funbiz.OrderCreateParams{OrderNo: "CLI1", Amount: 100, PayType: funbiz.PayTypeCard,
		PrdtName: "x", ReturnURL: "https://shop.example/r", Card: &funbiz.CardParams{AutoBilling: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Card.CardPayURL, rs.root+"/_sandbox/card/") {
		t.Fatalf("card URL %q does not default to the listen address", r.Card.CardPayURL)
	}
	if code := rs.stop(); code != 0 {
		t.Fatalf("exit code %d; stderr: %s", code, rs.stderr)
	}
}

func post(t *testing.T, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
	}
	return out
}

// A notification still pending when the sandbox stops goes out after a
// restart with the same --db.
func TestSandboxCommandResumesWithDB(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sandbox.db")
	var acked sync.Mutex
	ok := false
	got := make(chan string, 10)
	shop := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n funbiz.Notification
		json.NewDecoder(r.Body).Decode(&n)
		got <- n.PayToken
		acked.Lock()
		defer acked.Unlock()
		if !ok {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		funbiz.WriteAck(w)
	})}
	rcv := startReceiver(t, &shop)

	rs := startSandbox(t, "--db", db, "--notify-interval", "1m", "--merchant", "NA0001_001:65960834240E44B7:2831076A098E49E7:CB1AFFBF915A492B:7F242C0AA612454F")
	if strings.Contains(strings.Join(rs.banner, "\n"), "65960834240E44B7") {
		t.Fatal("a merchant's hash value was printed")
	}
	c, _ := funbiz.NewClient(funbiz.Config{BaseURL: rs.root + sandbox.APIPrefix, ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash()})
	if _, err := c.OrderCreate(context.Background(), &funbiz.OrderCreateParams{OrderNo: "DB1", Amount: 100, PayType: funbiz.PayTypeCard,
		PrdtName: "x", ReturnURL: "https://shop.example/r", BackendURL: rcv, Card: &funbiz.CardParams{AutoBilling: true}}); err != nil {
		t.Fatal(err)
	}
	pay := post(t, rs.root+"/_sandbox/card/pay", `{"OrderNo":"DB1"}`)
	tok := <-got // first attempt, refused
	// /_sandbox/run waits for the pass in flight, so the attempt is on
	// record before the sandbox stops.
	post(t, rs.root+"/_sandbox/run", ``)
	if tok != pay["PayToken"] {
		t.Fatalf("notified %q, paid %v", tok, pay["PayToken"])
	}
	if code := rs.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, rs.stderr)
	}

	acked.Lock()
	ok = true
	acked.Unlock()
	rs = startSandbox(t, "--db", db, "--notify-interval", "1m")
	post(t, rs.root+"/_sandbox/clock/advance", `{"By":"1m"}`)
	if again := <-got; again != tok {
		t.Fatalf("resumed notification carries %q", again)
	}
	resp, err := http.Get(rs.root + "/_sandbox/deliveries?OrderNo=DB1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ds []sandbox.DeliveryView
	json.NewDecoder(resp.Body).Decode(&ds)
	if len(ds) != 1 || ds[0].State != "delivered" || len(ds[0].Attempts) != 2 {
		t.Fatalf("deliveries after restart %+v", ds)
	}
}

func startReceiver(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/notify"
}

func TestSandboxCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--merchant", "NA0001_001:65960834240E44B7"},
		{"--merchant", "NA0001_001:ZZ960834240E44B7:2831076A098E49E7:CB1AFFBF915A492B:7F242C0AA612454F"},
		{"--notify-attempts", "0"},
		{"--nope"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		if code := runSandbox(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if strings.Contains(errb.String(), "2831076A098E49E7") {
			t.Errorf("%v: a hash value was echoed: %s", args, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := runSandbox(context.Background(), []string{"-h"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "-merchant") {
		t.Errorf("-h: exit %d, %s", code, out.String())
	}
}
