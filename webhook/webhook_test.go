package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
	"github.com/sinopay/sinopay/webhook"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// receiver is a merchant's endpoint: it answers with the statuses given
// in turn (200 when they run out) and keeps what it was sent.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	body      []byte
	signature string
	event     webhook.Event
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev webhook.Event
		json.Unmarshal(body, &ev)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, received{body, req.Header.Get("Sinopay-Signature"), ev})
		status := 200
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		w.WriteHeader(status)
		io.WriteString(w, strings.Repeat("x", 5000))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// apiPayment makes an API payment of key k, created at the bank.
func apiPayment(t *testing.T, db *storage.DB, k *shop.APIKey) (*shop.APIPayment, *shop.Order) {
	t.Helper()
	ctx := context.Background()
	account, err := db.APIAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := &shop.Order{No: shop.NewOrderNo(t0), CustomerID: account, PayType: shop.PayATM, Amount: 1500,
		Items: []shop.Item{{Name: "訂單 #1", NameZH: "訂單 #1", NameEN: "訂單 #1", UnitPrice: 1500, Qty: 1}}}
	p := &shop.APIPayment{ID: shop.NewAPIPaymentID(), KeyID: k.ID, Description: "訂單 #1", Reference: "1001"}
	if err := db.CreateAPIPayment(ctx, p, o, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.SetBank(ctx, o.ID, shop.BankOrder{State: shop.BankCreated, AtmPayNo: "9993000000000001", ExpireDate: "20261210"}, t0); err != nil {
		t.Fatal(err)
	}
	return p, o
}

// A payment's events reach each endpoint of its key, signed with the
// key's secret, in order; an endpoint that answers 500 is tried again
// after the backoff, and its answer is kept, cut short; nothing goes to
// another key's endpoints or for a shop order.
func TestDeliveries(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		k, _, err := db.CreateAPIKey(ctx, "woo", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := db.CreateAPIKey(ctx, "other", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		good, flaky, stranger := newReceiver(t), newReceiver(t, 500), newReceiver(t)
		for _, e := range []struct {
			key int64
			url string
		}{{k.ID, good.URL + "/hooks"}, {k.ID, flaky.URL + "/hooks"}, {other.ID, stranger.URL}} {
			if _, err := db.AddWebhookEndpoint(ctx, e.key, e.url, t0); err != nil {
				t.Fatal(err)
			}
		}
		p, o := apiPayment(t, db, k)
		now := t0.Add(time.Minute)
		clock := func() time.Time { return now }
		if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: shop.SourceNotify, Amount: 1500}, now); err != nil {
			t.Fatal(err)
		}
		s := webhook.New(webhook.Config{DB: db, BaseURL: "https://pay.example", Now: clock})
		if n, err := s.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("first round: %d %v", n, err)
		}
		g := good.all()
		if len(g) != 1 || g[0].event.Type != "payment.succeeded" || g[0].event.Data.Payment.ID != p.ID || g[0].event.Data.Payment.Status != "succeeded" ||
			g[0].event.Data.Payment.HostedURL != "https://pay.example/pay/"+p.ID {
			t.Fatalf("the good endpoint got %+v", g)
		}
		if err := webhook.Verify(g[0].signature, k.WebhookSecret, g[0].body, now.Add(time.Minute), 5*time.Minute); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if err := webhook.Verify(g[0].signature, other.WebhookSecret, g[0].body, now, 5*time.Minute); err == nil {
			t.Fatal("another key's secret verified the signature")
		}
		if err := webhook.Verify(g[0].signature, k.WebhookSecret, g[0].body, now.Add(10*time.Minute), 5*time.Minute); err == nil {
			t.Fatal("an old signature verified")
		}
		if len(stranger.all()) != 0 {
			t.Fatal("another key's endpoint got the event")
		}
		ds, err := db.Deliveries(ctx, k.ID, 10)
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries: %+v %v", ds, err)
		}
		var failed *shop.WebhookDelivery
		for _, d := range ds {
			if d.Status == shop.DeliveryQueued {
				failed = d
			}
		}
		if failed == nil || failed.LastStatus != 500 || len(failed.Response) != 1024 || !failed.NextAt.Equal(now.Add(30*time.Second)) {
			t.Fatalf("the failed delivery: %+v", failed)
		}
		// Before its backoff it waits; after, it goes, with the same body.
		if n, _ := s.RunOnce(ctx); n != 0 {
			t.Fatalf("sent again before its time: %d", n)
		}
		now = now.Add(31 * time.Second)
		if n, _ := s.RunOnce(ctx); n != 1 {
			t.Fatalf("second round: %d", n)
		}
		f := flaky.all()
		if len(f) != 2 || string(f[1].body) != string(g[0].body) {
			t.Fatalf("the flaky endpoint got %d, bodies differ: %v", len(f), len(f) == 2 && string(f[1].body) != string(g[0].body))
		}
		// A refund: the next event, in order.
		if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventRefunded, storage.EventMeta{Source: shop.SourceAdmin, Amount: 1500}, now); err != nil {
			t.Fatal(err)
		}
		s.RunOnce(ctx)
		if g = good.all(); len(g) != 2 || g[1].event.Type != "payment.refunded" || g[1].event.Data.Payment.Status != "refunded" {
			t.Fatalf("after the refund: %+v", g)
		}
	})
}

// A payment's events wait behind an earlier one to the same endpoint
// that has not gone through; after three days a delivery is given up.
func TestOrderAndGiveUp(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		k, _, err := db.CreateAPIKey(ctx, "woo", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		always503 := make([]int, 1000)
		for i := range always503 {
			always503[i] = 503
		}
		down := newReceiver(t, always503...)
		if _, err := db.AddWebhookEndpoint(ctx, k.ID, down.URL, t0); err != nil {
			t.Fatal(err)
		}
		_, o := apiPayment(t, db, k)
		now := t0
		s := webhook.New(webhook.Config{DB: db, BaseURL: "https://pay.example", Now: func() time.Time { return now }})
		db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: shop.SourceNotify, Amount: 1500}, now)
		db.ApplyEvent(ctx, o.ID, shop.EventRefunded, storage.EventMeta{Source: shop.SourceAdmin, Amount: 1500}, now)
		for range 71 {
			s.RunOnce(ctx)
			now = now.Add(time.Hour)
		}
		got := down.all()
		for _, r := range got {
			if r.event.Type != "payment.succeeded" {
				t.Fatalf("the refund went before the payment got through: %+v", r.event)
			}
		}
		for range 3 {
			s.RunOnce(ctx)
			now = now.Add(time.Hour)
		}
		ds, _ := db.Deliveries(ctx, k.ID, 10)
		var first *shop.WebhookDelivery
		for _, d := range ds {
			if d.Type == "payment.succeeded" {
				first = d
			}
		}
		if first == nil || first.Status != shop.DeliveryFailed || first.Attempts < 3 {
			t.Fatalf("after three days: %+v", first)
		}
		// Given up, the next event goes.
		if got = down.all(); got[len(got)-1].event.Type != "payment.refunded" {
			t.Fatalf("the refund after the first was given up: %s", got[len(got)-1].event.Type)
		}
	})
}

// A live key's events never reach this machine, whatever the URL names.
func TestLiveKeysStayPublic(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		k, _, err := db.CreateAPIKey(ctx, "live", shop.APILive, t0)
		if err != nil {
			t.Fatal(err)
		}
		var hits atomic.Int32
		local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
		defer local.Close()
		// The check at the door refuses 127.0.0.1; a row written another
		// way (an old version, a name resolving here) must still not go.
		if _, err := db.AddWebhookEndpoint(ctx, k.ID, "https://shop.example/hooks", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $1`, local.URL); err != nil {
			t.Fatal(err)
		}
		_, o := apiPayment(t, db, k)
		db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: shop.SourceNotify, Amount: 1500}, t0)
		s := webhook.New(webhook.Config{DB: db, BaseURL: "https://pay.example", Now: func() time.Time { return t0 }})
		if n, _ := s.RunOnce(ctx); n != 1 {
			t.Fatalf("tried %d", n)
		}
		ds, _ := db.Deliveries(ctx, k.ID, 10)
		if hits.Load() != 0 || len(ds) != 1 || ds[0].Status != shop.DeliveryQueued || !strings.Contains(ds[0].LastError, "private") {
			t.Fatalf("a live key's event went to this machine: %d hits, %+v", hits.Load(), ds)
		}
	})
}

// An endpoint down for a day: its payment's events are tried again and
// again (30 s doubling to an hour), the later one waiting behind the
// earlier; meanwhile the merchant reads them from the list of events;
// once the endpoint is back, the next attempt delivers both, in order,
// with the bodies the list gave.
func TestEndpointDownForADay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		k, _, err := db.CreateAPIKey(ctx, "woo", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		down := &receiver{}
		var up atomic.Bool
		down.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if !up.Load() {
				body, _ := io.ReadAll(req.Body)
				down.mu.Lock()
				down.got = append(down.got, received{body: body})
				down.mu.Unlock()
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			body, _ := io.ReadAll(req.Body)
			var ev webhook.Event
			json.Unmarshal(body, &ev)
			down.mu.Lock()
			down.got = append(down.got, received{body, req.Header.Get("Sinopay-Signature"), ev})
			down.mu.Unlock()
		}))
		t.Cleanup(down.Close)
		if _, err := db.AddWebhookEndpoint(ctx, k.ID, down.URL, t0); err != nil {
			t.Fatal(err)
		}
		_, o := apiPayment(t, db, k)
		now := t0
		s := webhook.New(webhook.Config{DB: db, BaseURL: "https://pay.example", Now: func() time.Time { return now }})
		if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: shop.SourceNotify, Amount: 1500}, now); err != nil {
			t.Fatal(err)
		}
		for now.Before(t0.Add(24 * time.Hour)) {
			if now.Equal(t0.Add(2 * time.Hour)) {
				if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventRefunded, storage.EventMeta{Source: shop.SourceAdmin, Amount: 1500}, now); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if now.Equal(t0.Add(2 * time.Hour)) {
				// The refund's delivery waits behind the payment's, its body
				// does not: it tells of the payment as the refund left it.
				evs, _, err := db.APIEvents(ctx, k.ID, "", 10)
				if err != nil || len(evs) != 2 || !strings.Contains(evs[1].Body, `"status":"refunded"`) {
					t.Fatalf("the refund's event after a poll: %+v %v", evs, err)
				}
			}
			now = now.Add(5 * time.Minute)
		}
		tries := down.all()
		if len(tries) < 20 || len(tries) > 40 {
			t.Fatalf("%d attempts in a day; the backoff gives about 30", len(tries))
		}
		// The merchant catches up from the list: both events, in order,
		// the refund waiting behind the payment that has not gone through.
		evs, more, err := db.APIEvents(ctx, k.ID, "", 10)
		if err != nil || more || len(evs) != 2 || evs[0].Type != "payment.succeeded" || evs[1].Type != "payment.refunded" {
			t.Fatalf("the list of events: %+v %v %v", evs, more, err)
		}
		for _, r := range tries {
			if !strings.Contains(string(r.body), `"payment.succeeded"`) {
				t.Fatalf("the refund was tried before the payment got through: %s", r.body)
			}
		}
		// Back up: the next attempt (within the hour) gets both through.
		up.Store(true)
		for range 13 {
			now = now.Add(5 * time.Minute)
			if _, err := s.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var got []received
		for _, r := range down.all() {
			if r.signature != "" {
				got = append(got, r)
			}
		}
		if len(got) != 2 || got[0].event.Type != "payment.succeeded" || got[1].event.Type != "payment.refunded" || got[1].event.Data.Payment.Status != "refunded" {
			t.Fatalf("after the endpoint came back: %d %+v", len(got), got)
		}
		if err := webhook.Verify(got[0].signature, k.WebhookSecret, got[0].body, now, time.Hour); err != nil {
			t.Fatal(err)
		}
		if evs, _, _ = db.APIEvents(ctx, k.ID, "", 10); evs[0].Body != string(got[0].body) {
			t.Fatalf("the list and the webhook differ:\n%s\n%s", evs[0].Body, got[0].body)
		}
		ds, err := db.Deliveries(ctx, k.ID, 10)
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries: %+v %v", ds, err)
		}
		for _, d := range ds {
			if d.Status != shop.DeliveryDelivered {
				t.Fatalf("a delivery after the endpoint came back: %+v", d)
			}
		}
	})
}
