package sandbox_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// start is the sandbox clock's start in the tests: a Monday morning in
// Taipei, so "today" and "tomorrow" are plain.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, funbiz.Taipei)

// rig is a sandbox behind a real HTTP server, on a manual clock.
type rig struct {
	t     testing.TB
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	clock *sandbox.ManualClock
	keys  *funbiz.Keys
}

func newRig(t testing.TB, opts sandbox.Options) *rig {
	t.Helper()
	r := &rig{t: t}
	if opts.Clock == nil {
		r.clock = sandbox.NewManualClock(start)
		opts.Clock = r.clock
	}
	var sb *sandbox.Sandbox
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { sb.ServeHTTP(w, req) }))
	t.Cleanup(r.srv.Close)
	if opts.BaseURL == "" {
		opts.BaseURL = r.srv.URL
	}
	var err error
	sb, err = sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	r.sb = sb
	r.keys, err = funbiz.NewKeys(sandbox.DemoHash())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) api() string { return r.srv.URL + sandbox.APIPrefix }

// client is the funbiz client for the demo merchant.
func (r *rig) client() *funbiz.Client {
	r.t.Helper()
	c, err := funbiz.NewClient(funbiz.Config{BaseURL: r.api(), ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(), HTTPClient: r.srv.Client(), Retry: funbiz.NoRetry})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// post sends a raw body and returns the status and body.
func (r *rig) post(path string, body []byte, header http.Header) (int, []byte) {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// nonce asks /Nonce by hand.
func (r *rig) nonce(shopNo string) string {
	r.t.Helper()
	status, body := r.post(sandbox.APIPrefix+"/Nonce", []byte(`{"ShopNo":"`+shopNo+`"}`), nil)
	var n struct{ Nonce string }
	if status != 200 || json.Unmarshal(body, &n) != nil || n.Nonce == "" {
		r.t.Fatalf("Nonce: HTTP %d %s", status, body)
	}
	return n.Nonce
}

// answer is an /Order answer opened by hand.
type answer struct {
	HTTP        int
	Plain       bool // a plain {"Status","Description"} refusal
	Env         funbiz.Envelope
	Message     []byte // decrypted
	Status      string
	Description string
	Fields      map[string]any
}

func (a *answer) code() string {
	if len(a.Description) < 5 {
		return a.Description
	}
	return a.Description[:5]
}

// send seals msg (JSON text, encrypted byte for byte) for shopNo with a
// fresh nonce and opens the answer with keys, by hand: hex, AES and the
// Sign are checked with funbiz's primitives only.
func (r *rig) send(shopNo string, keys *funbiz.Keys, service, msg string) *answer {
	r.t.Helper()
	nonce := r.nonce(shopNo)
	sign, err := keys.Sign(nonce, []byte(msg))
	if err != nil {
		r.t.Fatal(err)
	}
	env := map[string]string{"Version": "1.0.0", "ShopNo": shopNo, "APIService": service, "Sign": sign, "Nonce": nonce, "Message": keys.Encrypt(nonce, []byte(msg))}
	body, _ := json.Marshal(env)
	return r.open(keys, body, nil)
}

// open posts an envelope body and opens the answer.
func (r *rig) open(keys *funbiz.Keys, body []byte, header http.Header) *answer {
	r.t.Helper()
	status, raw := r.post(sandbox.APIPrefix+"/Order", body, header)
	a := &answer{HTTP: status}
	if err := json.Unmarshal(raw, &a.Env); err != nil {
		r.t.Fatalf("answer is not JSON: %s", raw)
	}
	if a.Env.Message == "" {
		a.Plain = true
		var p struct{ Status, Description string }
		json.Unmarshal(raw, &p)
		a.Status, a.Description = p.Status, p.Description
		if p.Status != "F" || !strings.Contains(p.Description, " – ") {
			r.t.Fatalf("plain answer is not a bank-shaped refusal: %s", raw)
		}
		return a
	}
	plain, err := keys.Decrypt(a.Env.Nonce, a.Env.Message)
	if err != nil {
		r.t.Fatalf("answer does not decrypt: %v", err)
	}
	want, err := keys.Sign(a.Env.Nonce, plain)
	if err != nil || want != a.Env.Sign {
		r.t.Fatalf("answer Sign %s, computed %s (%v)", a.Env.Sign, want, err)
	}
	a.Message = plain
	d := json.NewDecoder(bytes.NewReader(plain))
	d.UseNumber()
	if err := d.Decode(&a.Fields); err != nil {
		r.t.Fatalf("answer message is not JSON: %s", plain)
	}
	a.Status, _ = a.Fields["Status"].(string)
	a.Description, _ = a.Fields["Description"].(string)
	return a
}

// control calls the control API with JSON and decodes the answer into out.
func (r *rig) control(method, path string, in, out any) int {
	r.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.srv.URL+path, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		r.t.Fatalf("%s %s: answer is %s, not JSON: %s", method, path, resp.Header.Get("Content-Type"), raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			r.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

// state is everything visible, to check that a refusal changed nothing.
func (r *rig) state() string {
	b, _ := json.Marshal([]any{r.sb.Orders(sandbox.Filter{}, ""), r.sb.Payments(sandbox.Filter{}), r.sb.Deliveries(sandbox.Filter{})})
	return string(b)
}

// receiver is a BackendURL that records notifications and answers with
// the function given (swappable with setAnswer).
type receiver struct {
	*httptest.Server
	got    chan notification
	answer atomic.Pointer[http.HandlerFunc]
}

type notification struct {
	ShopNo, PayToken string
	Header           http.Header
}

func newReceiver(t testing.TB, answer http.HandlerFunc) *receiver {
	rc := &receiver{got: make(chan notification, 100)}
	rc.answer.Store(&answer)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var n notification
		json.NewDecoder(req.Body).Decode(&n)
		n.Header = req.Header
		rc.got <- n
		(*rc.answer.Load())(w, req)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setAnswer(h http.HandlerFunc) { rc.answer.Store(&h) }

func ack(w http.ResponseWriter, _ *http.Request) { funbiz.WriteAck(w) }

func (rc *receiver) count() int { return len(rc.got) }

// keptStore is a sandbox.Store that keeps what is saved in memory across
// a sandbox's Close, so a test can restart a sandbox on the same state
// without a database driver (sqlitestore's own tests cover the file).
type keptStore struct {
	mu         sync.Mutex
	orders     map[[2]string][]byte
	payments   map[string][]byte
	deliveries map[int64][]byte
	offset     time.Duration
}

func newKeptStore() *keptStore {
	return &keptStore{orders: map[[2]string][]byte{}, payments: map[string][]byte{}, deliveries: map[int64][]byte{}}
}

func (s *keptStore) Load() (sandbox.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := sandbox.Snapshot{ClockOffset: s.offset}
	for k, doc := range s.orders {
		snap.Orders = append(snap.Orders, sandbox.OrderRecord{ShopNo: k[0], OrderNo: k[1], Doc: doc})
	}
	for tok, doc := range s.payments {
		snap.Payments = append(snap.Payments, sandbox.PaymentRecord{PayToken: tok, Doc: doc})
	}
	for id, doc := range s.deliveries {
		snap.Deliveries = append(snap.Deliveries, sandbox.DeliveryRecord{ID: id, Doc: doc})
	}
	slices.SortFunc(snap.Deliveries, func(a, b sandbox.DeliveryRecord) int { return cmp.Compare(a.ID, b.ID) })
	return snap, nil
}

func (s *keptStore) Save(c sandbox.Changes) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range c.Orders {
		s.orders[[2]string{o.ShopNo, o.OrderNo}] = o.Doc
	}
	for _, p := range c.Payments {
		s.payments[p.PayToken] = p.Doc
	}
	for _, d := range c.Deliveries {
		s.deliveries[d.ID] = d.Doc
	}
	if c.ClockOffset != nil {
		s.offset = *c.ClockOffset
	}
	return nil
}

func (s *keptStore) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders, s.payments, s.deliveries, s.offset = map[[2]string][]byte{}, map[string][]byte{}, map[int64][]byte{}, 0
	return nil
}

func (s *keptStore) Close() error { return nil }
