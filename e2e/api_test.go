package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
)

// apiHostedATM: a merchant's server, with a key made by `sinopay apikey
// create`, asks the JSON API for an ATM payment; the buyer opens its
// hosted page on the scenario's screen and sees the account, amount and
// deadline; the transfer arrives at the bank and the page says paid, by
// itself; the API says succeeded.
func apiHostedATM(t *testing.T, e *adminEnv, s *shots) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	secret := apiKey(ctx, t, e, "WooCommerce")
	raw := apiCall(ctx, t, e, secret, http.MethodPost, "/api/v1/payments",
		`{"amount": 2400, "method": "atm", "description": "WooCommerce 訂單 #88", "reference": "88"}`, http.StatusCreated)
	hosted, _ := raw["hosted_url"].(string)
	atm, _ := raw["atm"].(map[string]any)
	account, _ := atm["account"].(string)
	if hosted == "" || account == "" {
		t.Fatalf("the payment: %v", raw)
	}

	b := e.newTab(t, s, "buyer")
	b.open(hosted, 200)
	b.waitFor("the hosted page with the account", `document.getElementById("account")?.dataset.digits === `+jsString(account)+
		` && document.getElementById("bank-code")?.innerText.trim() === "807" && document.getElementById("expire-date")`)
	b.shot("hosted-atm")
	b.noSidewaysScroll("the hosted ATM page")
	if _, err := e.shop.Sandbox.Transfer(ctx, account, 2400); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the page says paid by itself", `document.getElementById("status")?.dataset.status === "succeeded"`)
	b.shot("hosted-paid")
}

// apiHostedCard: a merchant's server asks for a card payment that comes
// back to a page of its own, on another site; the buyer pays on the
// bank's card page and, once the shop has confirmed the payment with the
// bank, arrives at the merchant's page with the payment's id, status and
// reference. The browser follows the card page's form through the shop's
// redirects to another origin, which the pages' Content-Security-Policy
// must allow (a form-action violation would stop the buyer at the bank
// and show in the console, which fails the scenario).
func apiHostedCard(t *testing.T, e *adminEnv, s *shots) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	landed := make(chan url.Values, 1)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			w.WriteHeader(http.StatusNoContent) // no icon, and no 404 in the console
			return
		}
		if r.URL.Path != "/thanks" {
			http.NotFound(w, r)
			return
		}
		select {
		case landed <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Thanks</title></head><body><main><h1 id="merchant-thanks">Thank you</h1></main></body></html>`)
	}))
	defer merchant.Close()
	// Another origin than the shop's: the same address, another port.
	secret := apiKey(ctx, t, e, "Laravel")
	raw := apiCall(ctx, t, e, secret, http.MethodPost, "/api/v1/payments",
		`{"amount": 1800, "method": "card", "capture": "auto", "description": "Laravel order 89", "reference": "89", "return_url": `+
			jsString(merchant.URL+"/thanks?cart=7")+`}`, http.StatusCreated)
	id, _ := raw["id"].(string)
	card, _ := raw["card"].(map[string]any)
	payURL, _ := card["pay_url"].(string)
	if id == "" || payURL == "" {
		t.Fatalf("the payment: %v", raw)
	}

	b := e.newTab(t, s, "card-buyer")
	b.open(payURL, 200)
	b.payByCard(cardSuccess, "-api")
	b.waitFor("the merchant's own page", `location.origin === `+jsString(merchant.URL)+` && document.getElementById("merchant-thanks")`)
	var q url.Values
	select {
	case q = <-landed:
	case <-ctx.Done():
		t.Fatal("the merchant's page was not asked for")
	}
	if q.Get("payment_id") != id || q.Get("status") != "succeeded" || q.Get("reference") != "89" || q.Get("cart") != "7" {
		t.Fatalf("the buyer came back with %v, want payment_id %s, status succeeded, reference 89 and the merchant's own cart=7", q, id)
	}
	// The merchant asks the API rather than trust the browser's URL.
	if got := apiCall(ctx, t, e, secret, http.MethodGet, "/api/v1/payments/"+id, "", http.StatusOK); got["status"] != "succeeded" {
		t.Fatalf("GET the payment: %v", got)
	}
}

// apiKey makes a test API key with `sinopay apikey create`, as a merchant
// would, and returns its secret.
func apiKey(ctx context.Context, t *testing.T, e *adminEnv, name string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, proctest.Binary(t), "apikey", "create", "--name", name, "--db", e.dsn)
	cmd.Dir = t.TempDir()
	cmd.Env = proctest.Env()
	out, err := cmd.CombinedOutput()
	secret := regexp.MustCompile(`sk_test_[0-9a-f]{48}`).FindString(string(out))
	if err != nil || secret == "" {
		t.Fatalf("sinopay apikey create: %v\n%s", err, out)
	}
	return secret
}

// apiCall sends a JSON API request with the key and decodes its answer,
// which must have status want.
func apiCall(ctx context.Context, t *testing.T, e *adminEnv, secret, method, path, body string, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, e.app.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+secret)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != want {
		t.Fatalf("%s %s: %d %v %v", method, path, resp.StatusCode, raw, err)
	}
	return raw
}
