package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
)

// trustProxies makes a rig's shop trust the proxies in list.
func trustProxies(list string) rigOption {
	return func(_ *payment.Config, c *Config) {
		p, err := ParseTrustedProxies(list)
		if err != nil {
			panic(err)
		}
		c.TrustedProxies = p
	}
}

// logLines are the rig's log lines as JSON objects.
func (r *rig) logLines() []map[string]any {
	var lines []map[string]any
	for _, l := range strings.Split(r.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// getWith sends GET path with the headers h.
func (r *rig) getWith(path string, h map[string]string) (*http.Response, string) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+path, nil)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var reGeneratedID = regexp.MustCompile(`^[bcdfghjkmnpqrstvwxz]{16}$`)

// Every answer carries a request id, new unless a trusted proxy sent a
// sound one; the request's log line has it, and so does the error page,
// in both languages.
func TestRequestIDs(t *testing.T) {
	r := newRig(t)
	resp, body := r.getWith("/no-such-page", map[string]string{"X-Request-ID": "chosen-by-the-client"})
	id := resp.Header.Get("X-Request-ID")
	if resp.StatusCode != http.StatusNotFound || !reGeneratedID.MatchString(id) {
		t.Fatalf("untrusted peer: %d, id %q", resp.StatusCode, id)
	}
	mustContain(t, body, "參考編號", "<code>"+id+"</code>")
	_, body = r.getWith("/no-such-page", map[string]string{"Accept-Language": "en"})
	mustContain(t, body, "Reference")
	mustNotContain(t, body, "參考編號")
	if resp2, _ := r.getWith("/", nil); resp2.Header.Get("X-Request-ID") == id {
		t.Error("two requests share an id")
	}
	found := false
	for _, l := range r.logLines() {
		if l["msg"] == "request" && l["request_id"] == id {
			found = true
			if l["route"] != "/" || l["method"] != "GET" || l["status"] != float64(404) || l["duration"] == nil {
				t.Errorf("access line %v", l)
			}
		}
	}
	if !found {
		t.Errorf("no access line with request_id %s in\n%s", id, r.logs)
	}

	// Behind a trusted proxy its id is kept, unless it is not a sound one.
	r = newRig(t, trustProxies("127.0.0.0/8, ::1"))
	resp, body = r.getWith("/no-such-page", map[string]string{"X-Request-ID": "edge-42.a:b_c"})
	if got := resp.Header.Get("X-Request-ID"); got != "edge-42.a:b_c" {
		t.Errorf("trusted proxy's id: got %q", got)
	}
	mustContain(t, body, "edge-42.a:b_c")
	for _, bad := range []string{"two words", `<script>`, strings.Repeat("x", 129), "naïve"} {
		resp, _ = r.getWith("/", map[string]string{"X-Request-ID": bad})
		if got := resp.Header.Get("X-Request-ID"); !reGeneratedID.MatchString(got) {
			t.Errorf("proxy's id %q: got %q", bad, got)
		}
	}
}

// The client's address is the peer's unless the peer is a trusted proxy;
// then X-Forwarded-For is read from the right, up to the first address
// that is not a trusted proxy.
func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{nil, "198.51.100.1:5000", nil, "198.51.100.1"},
		{nil, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"}, // no trusted proxies: the header is ignored
		{trusted, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{trusted, "10.1.2.3:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{trusted, "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"}, // 1.1.1.1 is the client's own claim
		{trusted, "10.1.2.3:5000", []string{"1.1.1.1", "203.0.113.9, 192.0.2.7"}, "203.0.113.9"},
		{trusted, "10.1.2.3:5000", []string{"garbage, 10.0.0.5"}, "10.0.0.5"},
		{trusted, "10.1.2.3:5000", []string{"10.0.0.5"}, "10.0.0.5"},
		{trusted, "10.1.2.3:5000", nil, "10.1.2.3"},
		{trusted, "[2001:db8::1]:5000", []string{"2001:db9::5"}, "2001:db9::5"},
		{trusted, "[::ffff:10.1.2.3]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
	} {
		s := &Server{trustedProxies: c.trusted}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = c.peer
		for _, v := range c.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientIP(req).String(); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: got %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix was taken")
	}
	if _, err := ParseTrustedProxies("proxy.example"); err == nil {
		t.Error("a host name was taken")
	}
}

// recordSpans makes OpenTelemetry's global provider record every span in
// memory until the test ends.
func recordSpans(t *testing.T) *tracetest.InMemoryExporter {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		tp.Shutdown(context.Background())
	})
	return exp
}

// A notification is one request: its span, the span of the transaction
// that recorded it as a child, and the span of its confirmation by a
// worker linked to it; the confirmation's log lines carry the request's id.
func TestNotificationTrace(t *testing.T) {
	exp := recordSpans(t)
	r := newRig(t)
	o := r.shop.Checkout("trace", shop.PayATM)
	r.bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
	r.shop.WaitStatus(o.No, shop.StatusPaid)

	// The confirmation's span ends once it returns, after the order is paid.
	var request, tx, job tracetest.SpanStub
	r.eventually("the notification's request, transaction and job spans", func() bool {
		spans := exp.GetSpans()
		for _, s := range spans {
			if s.Name != "POST /funbiz/notify" {
				continue
			}
			request, tx, job = s, tracetest.SpanStub{}, tracetest.SpanStub{}
			for _, c := range spans {
				if c.Name == "db.transaction" && c.Parent.SpanID() == s.SpanContext.SpanID() {
					tx = c
				}
				if c.Name == "confirm PayToken" && len(c.Links) == 1 && c.Links[0].SpanContext.SpanID() == s.SpanContext.SpanID() {
					job = c
				}
			}
			if tx.Name != "" && job.Name != "" {
				return true
			}
		}
		return false
	})
	if request.SpanKind != trace.SpanKindServer || job.SpanKind != trace.SpanKindConsumer {
		t.Errorf("kinds: request %v, job %v", request.SpanKind, job.SpanKind)
	}
	if job.SpanContext.TraceID() == request.SpanContext.TraceID() || job.Parent.IsValid() {
		t.Error("the job's span is not a root of its own trace")
	}
	attrs := map[string]string{}
	for _, a := range request.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["http.route"] != "/funbiz/notify" || attrs["http.response.status_code"] != "200" || attrs["sinopay.request_id"] == "" {
		t.Errorf("request span attributes %v", attrs)
	}

	// The confirmation's log lines carry the id of the request that
	// brought the notification.
	id := attrs["sinopay.request_id"]
	confirmed := false
	for _, l := range r.logLines() {
		if l["msg"] == "PayToken confirmed" && l["request_id"] == id && l["trace_id"] == job.SpanContext.TraceID().String() {
			confirmed = true
		}
	}
	if !confirmed {
		t.Errorf("no job line with request_id %s and the job's trace in\n%s", id, r.logs)
	}
}

// A call to the bank is a span named by its APIService, a child of the
// caller's, with the APIService and the HTTP status only: no key, hash,
// nonce, PayToken or message in any attribute.
func TestBankCallSpans(t *testing.T) {
	exp := recordSpans(t)
	bank := funbiztest.New(t, funbiztest.WithKeyID("key-id-secret"))
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: bank.URL, ShopNo: bank.ShopNo, Hash: bank.Hash, KeyID: "key-id-secret",
		HTTPClient: &http.Client{Transport: BankTracing(nil)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := otel.Tracer("test").Start(context.Background(), "caller")
	order, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: "T1", Amount: 990, PayType: funbiz.PayTypeATM,
		PrdtName: "抹茶狗骨頭", ATM: &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(time.Now().AddDate(0, 0, 7))}})
	if err != nil {
		t.Fatal(err)
	}
	token := bank.Transfer(order.ATM.AtmPayNo, 990)
	if _, err := client.OrderPayQuery(ctx, token); err != nil {
		t.Fatal(err)
	}
	parent.End()

	secrets := []string{"key-id-secret", token, order.TSNo, order.ATM.AtmPayNo, "T1", "990", "99000", "抹茶"}
	hashID, _ := bank.Hash.HashID()
	for _, h := range []string{string(bank.Hash.A1), string(bank.Hash.A2), string(bank.Hash.B1), string(bank.Hash.B2), hashID} {
		secrets = append(secrets, strings.ToUpper(h), strings.ToLower(h))
	}
	names := map[string]int{}
	for _, s := range exp.GetSpans() {
		if s.Name == "caller" {
			continue
		}
		names[s.Name]++
		if s.Parent.SpanID() != parent.SpanContext().SpanID() || s.SpanKind != trace.SpanKindClient {
			t.Errorf("%s: parent %v, kind %v", s.Name, s.Parent.SpanID(), s.SpanKind)
		}
		keys := map[string]string{}
		for _, a := range s.Attributes {
			keys[string(a.Key)] = a.Value.Emit()
		}
		if len(keys) != 2 || keys["funbiz.api_service"] != s.Name || keys["http.response.status_code"] != "200" {
			t.Errorf("%s: attributes %v", s.Name, keys)
		}
		if len(s.Events) != 0 || s.Status.Description != "" {
			t.Errorf("%s: events %v, status %v", s.Name, s.Events, s.Status)
		}
		dump, _ := json.Marshal(s.Attributes)
		for _, secret := range secrets {
			if strings.Contains(string(dump)+s.Name, secret) {
				t.Errorf("%s holds %q", s.Name, secret)
			}
		}
	}
	if names["Nonce"] != 2 || names[funbiz.ServiceOrderCreate] != 1 || names[funbiz.ServiceOrderPayQuery] != 1 {
		t.Errorf("spans %v", names)
	}
}
