package faults

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/crash"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/webhook"
)

// The shop is killed right after it committed an API payment's change,
// and the webhook event that change sends, before its sender could post
// it. Started again on the same database, it posts the event, signed,
// and the same event is in the list of events; on both databases.
func TestWebhookAfterCrash(t *testing.T) {
	t.Parallel()
	for _, kind := range dbKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			webhookAfterCrash(t, kind)
		})
	}
}

func webhookAfterCrash(t *testing.T, kind string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var got []webhook.Event
	var sigs, bodies []string
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev webhook.Event
		json.Unmarshal(body, &ev)
		mu.Lock()
		got, sigs, bodies = append(got, ev), append(sigs, r.Header.Get("Sinopay-Signature")), append(bodies, string(body))
		mu.Unlock()
	}))
	defer merchant.Close()
	received := func() []webhook.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]webhook.Event(nil), got...)
	}

	target := dbTarget(t, kind)
	opts := proctest.ShopOptions{
		Name: "shop (" + kind + ")",
		DB:   target,
		Env:  append(append([]string{}, fastEnv...), crash.EnvVar+"=event-recorded:1"),
		Args: []string{"--sandbox-db", filepath.Join(t.TempDir(), "sandbox.db")},
	}
	s := proctest.StartShop(t, opts)
	logs.watch(s.Proc, false)
	db, err := storage.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k, secret, err := db.CreateAPIKey(ctx, "woo", shop.APITest, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddWebhookEndpoint(ctx, k.ID, merchant.URL+"/hooks", time.Now()); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/api/v1/payments",
		strings.NewReader(`{"amount": 1500, "method": "atm", "description": "訂單 #1", "reference": "1"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		ID  string `json:"id"`
		ATM struct {
			Account string `json:"account"`
		} `json:"atm"`
	}
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || p.ATM.Account == "" {
		t.Fatalf("POST /api/v1/payments: %d %+v", resp.StatusCode, p)
	}
	// The transfer's notification is confirmed, the payment's change
	// committed with its event: there the shop dies.
	if _, err := s.Sandbox.Transfer(ctx, p.ATM.Account, 1500); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Exited():
	case <-ctx.Done():
		t.Fatalf("the shop did not die at event-recorded:\n%s", s.Output())
	}
	if strings.Contains(s.Output(), "shutting down") {
		t.Fatal("the shop shut down gracefully instead of dying at event-recorded")
	}
	evs, _, err := db.APIEvents(ctx, k.ID, "", 10)
	if err != nil || len(evs) != 1 || evs[0].Type != "payment.succeeded" {
		t.Fatalf("the event after the crash: %+v %v", evs, err)
	}
	if n := len(received()); n != 0 {
		t.Fatalf("the event went out before the crash (%d): the point is not between recording and sending", n)
	}

	opts = s.Options
	opts.Env = fastEnv
	s = proctest.StartShop(t, opts)
	logs.watch(s.Proc, false)
	for len(received()) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the event never reached the merchant after the restart:\n%s", s.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	ev := received()[0]
	mu.Lock()
	sig, body := sigs[0], bodies[0]
	mu.Unlock()
	if ev.ID != evs[0].ID || ev.Type != "payment.succeeded" || ev.Data.Payment.ID != p.ID || ev.Data.Payment.Status != "succeeded" {
		t.Fatalf("the event delivered: %+v", ev)
	}
	if err := webhook.Verify(sig, k.WebhookSecret, []byte(body), time.Now(), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	// The API says the same, and the bank's resent notification made no
	// second event.
	if evs, _, err = db.APIEvents(ctx, k.ID, "", 10); err != nil || len(evs) != 1 || evs[0].Body != body {
		t.Fatalf("the events after the restart: %+v %v", evs, err)
	}
}
