// Package php_test runs the example PHP merchant (examples/php) against
// a running `sinopay serve`: PHP makes an ATM and a card payment with
// cURL, the sandbox takes the money, PHP's webhook endpoint (php -S)
// receives and verifies the signed events, its return page asks the API
// rather than trusting the browser, PHP refunds part of the card
// payment, and forged webhooks are refused by the PHP verifier.
package php_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/webhook"
)

func TestPHPMerchant(t *testing.T) {
	if _, err := exec.LookPath("php"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("php is not installed (.ci/run installs php-cli and php-curl)")
		}
		t.Skip("php is not installed")
	}
	if out, _ := exec.Command("php", "-m").Output(); !strings.Contains(string(out), "curl") {
		if os.Getenv("CI") != "" {
			t.Fatal("php has no curl module (.ci/run installs php-curl)")
		}
		t.Skip("php has no curl module")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	db := filepath.Join(dir, "shop.db")
	shop := proctest.StartShop(t, proctest.ShopOptions{DB: db})

	addrs, err := proctest.FreeAddrs(1)
	if err != nil {
		t.Fatal(err)
	}
	hooks := "http://" + addrs[0]
	cmd := exec.CommandContext(ctx, proctest.Binary(t), "apikey", "create", "--name", "PHP shop", "--webhook", hooks+"/webhook.php", "--db", db)
	cmd.Dir, cmd.Env = dir, proctest.Env()
	out, err := cmd.CombinedOutput()
	secret := regexp.MustCompile(`sk_test_[0-9a-f]{48}`).FindString(string(out))
	whsec := regexp.MustCompile(`whsec_[0-9a-f]{64}`).FindString(string(out))
	if err != nil || secret == "" || whsec == "" {
		t.Fatalf("sinopay apikey create: %v\n%s", err, out)
	}
	eventsLog := filepath.Join(dir, "events.log")
	env := append(os.Environ(), "SINOPAY_URL="+shop.URL, "SINOPAY_KEY="+secret, "SINOPAY_WHSEC="+whsec, "SINOPAY_EVENTS_LOG="+eventsLog)
	server := exec.CommandContext(ctx, "php", "-S", addrs[0], "-t", ".")
	server.Env = env
	server.Stdout, server.Stderr = io.Discard, io.Discard
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer server.Wait()
	defer server.Process.Kill()
	if err := waitfor.Until(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		resp, err := http.Get(hooks + "/return.php")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}); err != nil {
		t.Fatalf("php -S: %v", err)
	}
	php := func(args ...string) map[string]any {
		t.Helper()
		c := exec.CommandContext(ctx, "php", args...)
		c.Env = env
		out, err := c.Output()
		var v map[string]any
		if err != nil || json.Unmarshal(out, &v) != nil {
			t.Fatalf("php %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return v
	}
	events := func(want string) {
		t.Helper()
		if err := waitfor.Until(ctx, 100*time.Millisecond, func(context.Context) error {
			b, _ := os.ReadFile(eventsLog)
			if !strings.Contains(string(b), want) {
				return os.ErrNotExist
			}
			return nil
		}); err != nil {
			b, _ := os.ReadFile(eventsLog)
			t.Fatalf("the PHP endpoint never recorded %q; it has:\n%s", want, b)
		}
	}

	// ATM: PHP makes it (twice: one payment), the buyer transfers, the
	// endpoint hears of it.
	atm := php("create.php", "atm", "1500", "訂單 #1001", "1001")
	if again := php("create.php", "atm", "1500", "訂單 #1001", "1001"); again["id"] != atm["id"] {
		t.Fatalf("the same order twice made two payments: %v %v", atm["id"], again["id"])
	}
	account := atm["atm"].(map[string]any)["account"].(string)
	if _, err := shop.Sandbox.Transfer(ctx, account, 1500); err != nil {
		t.Fatal(err)
	}
	events("payment.succeeded " + atm["id"].(string) + " succeeded")

	// Card: the buyer pays at the bank's page and comes back through
	// sinopay to PHP's return page, which asks the API.
	card := php("create.php", "card", "990", "Order 1002", "1002", hooks+"/return.php")
	paid, err := shop.Sandbox.PayCard(ctx, sandbox.DemoShopNo, card["order_no"].(string), sandbox.OutcomeSuccess)
	if err != nil {
		t.Fatal(err)
	}
	bank := shopclient.NewBank(sandbox.DemoShopNo, nil)
	code, loc, err := bank.Return(ctx, shop.URL, paid.PayToken)
	if err != nil || code != http.StatusSeeOther {
		t.Fatalf("return: %d %v", code, err)
	}
	resp, err := http.Get(shop.URL + loc) // follows on to return.php
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Thank you: order 1002 is paid.") {
		t.Fatalf("PHP's return page: %d %q", resp.StatusCode, page)
	}
	events("payment.succeeded " + card["id"].(string) + " succeeded")

	// PHP refunds part of the card payment.
	refunded := php("refund.php", card["id"].(string), "300", "one bowl came broken")
	if refunded["status"] != "partially_refunded" || refunded["amount_refunded"] != 300.0 {
		t.Fatalf("refund: %v", refunded)
	}
	events("payment.refunded " + card["id"].(string) + " partially_refunded")

	// Forged webhooks are refused and recorded nowhere.
	before, _ := os.ReadFile(eventsLog)
	body := `{"id":"evt_forged","object":"event","type":"payment.succeeded","data":{"payment":{"id":"pay_forged","status":"succeeded"}}}`
	for name, sig := range map[string]string{
		"no signature":   "",
		"another secret": webhook.Sign("whsec_guess", time.Now().Unix(), []byte(body)),
		"old timestamp":  webhook.Sign(whsec, time.Now().Add(-time.Hour).Unix(), []byte(body)),
		"bad hex":        "t=" + strconv.FormatInt(time.Now().Unix(), 10) + ",v1=zz",
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hooks+"/webhook.php", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("Sinopay-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: the PHP endpoint answered %d", name, resp.StatusCode)
		}
	}
	if after, _ := os.ReadFile(eventsLog); string(after) != string(before) {
		t.Fatalf("a forged webhook was recorded:\n%s", after)
	}
}
