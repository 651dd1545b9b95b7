package e2e

import (
	"context"
	"encoding/json"
	"net/http"
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
	cmd := exec.CommandContext(ctx, proctest.Binary(t), "apikey", "create", "--name", "WooCommerce", "--db", e.dsn)
	cmd.Dir = t.TempDir()
	cmd.Env = proctest.Env()
	out, err := cmd.CombinedOutput()
	secret := regexp.MustCompile(`sk_test_[0-9a-f]{48}`).FindString(string(out))
	if err != nil || secret == "" {
		t.Fatalf("sinopay apikey create: %v\n%s", err, out)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL+"/api/v1/payments",
		strings.NewReader(`{"amount": 2400, "method": "atm", "description": "WooCommerce 訂單 #88", "reference": "88"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/payments: %d %v %v", resp.StatusCode, raw, err)
	}
	resp.Body.Close()
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
