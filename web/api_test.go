package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
	"github.com/sinopay/sinopay/webhook"
)

// apiCall sends a JSON API request with key as its bearer and returns
// the status and the decoded body.
func (r *rig) apiCall(method, path, key, body string, header map[string]string) (int, map[string]any, http.Header) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		r.t.Fatalf("%s %s: HTTP %d, not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, resp.Header
}

func (r *rig) apiKey(mode shop.APIMode) string {
	r.t.Helper()
	_, secret, err := r.db.CreateAPIKey(context.Background(), "test shop", mode, r.web.now())
	if err != nil {
		r.t.Fatal(err)
	}
	return secret
}

func errCode(body map[string]any) (code, param string) {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	p, _ := e["param"].(string)
	return c, p
}

// An ATM payment through the API: 201 with the virtual account; paid by
// a transfer at the bank, GET says succeeded. The shop's API account is
// sent no e-mail about it.
func TestAPIPaymentATM(t *testing.T) {
	eachDB(t, func(t *testing.T, r *rig) {
		key := r.apiKey(shop.APITest)
		status, p, _ := r.apiCall("POST", "/api/v1/payments", key,
			`{"amount": 1500, "method": "atm", "description": "訂單 #1001", "reference": "1001", "metadata": {"cart": "42"}}`, nil)
		if status != http.StatusCreated || p["status"] != "pending" || p["amount"] != 1500.0 || p["reference"] != "1001" {
			t.Fatalf("create: %d %v", status, p)
		}
		atm, _ := p["atm"].(map[string]any)
		account, _ := atm["account"].(string)
		if atm["bank_code"] != "807" || len(account) < 10 || atm["expires_at"] == "" || p["card"] != nil {
			t.Fatalf("the ATM account: %v", p)
		}
		id := p["id"].(string)
		hosted, _ := p["hosted_url"].(string)
		if hosted != r.srv.URL+"/pay/"+id {
			t.Fatalf("hosted_url %q", hosted)
		}
		// The hosted page shows the buyer the account, the amount and the
		// deadline, and follows the payment.
		page := r.browser().get("/pay/" + id)
		mustContain(t, page.Body, `id="bank-code">807`, `data-digits="`+account+`"`, `id="expire-date"`, "NT$1,500", `data-status="pending"`,
			`data-poll="/pay/`+id+`/status"`, "訂單 #1001", `id="lang-switch"`)
		mustNotContain(t, page.Body, `href="/login`, `href="/orders"`, `href="/signup`)
		en := r.browser()
		en.header.Set("Accept-Language", "en")
		mustContain(t, en.get("/pay/"+id).Body, `lang="en"`, "Bank code")
		if st := r.browser().get("/pay/" + id + "/status"); st.Status != http.StatusOK || !strings.Contains(st.Body, `"version"`) {
			t.Fatalf("status: %d %s", st.Status, st.Body)
		}
		if nf := r.browser().get("/pay/pay_000000000000000000000000"); nf.Status != http.StatusNotFound {
			t.Fatalf("no such payment's page: %d", nf.Status)
		}
		r.bank.Transfer(account, 1500)
		r.eventually("the payment succeeded", func() bool {
			_, got, _ := r.apiCall("GET", "/api/v1/payments/"+id, key, "", nil)
			return got["status"] == "succeeded"
		})
		_, got, _ := r.apiCall("GET", "/api/v1/payments/"+id, key, "", nil)
		if got["atm"] != nil || got["metadata"].(map[string]any)["cart"] != "42" {
			t.Fatalf("paid: %v", got)
		}
		mustContain(t, r.browser().get("/pay/"+id).Body, `data-status="succeeded"`)
		ms, _, err := r.db.Mails(context.Background(), storage.MailFilter{}, 10, 0)
		if err != nil || len(ms) != 0 {
			t.Fatalf("mails about an API payment: %+v %v", ms, err)
		}
		// Another key does not see it.
		other := r.apiKey(shop.APITest)
		if status, body, _ := r.apiCall("GET", "/api/v1/payments/"+id, other, "", nil); status != http.StatusNotFound {
			t.Fatalf("another key's payment: %d %v", status, body)
		}
		// The server logged every request (at debug), never a key.
		if logs := r.logs.String(); !strings.Contains(logs, "/api/v1/payments") || strings.Contains(logs, "sk_test_") {
			t.Fatalf("the log lacks the requests or holds a key:\n%s", logs)
		}
	})
}

// A card payment: its pay_url is the bank's card page; the buyer's
// return is confirmed with the bank and sent on to the merchant's
// return_url with the payment's id and status.
func TestAPIPaymentCard(t *testing.T) {
	eachDB(t, func(t *testing.T, r *rig) {
		key := r.apiKey(shop.APITest)
		status, p, _ := r.apiCall("POST", "/api/v1/payments", key,
			`{"amount": 990, "method": "card", "description": "Order 1002", "reference": "1002", "return_url": "https://merchant.example/thanks?lang=en"}`, nil)
		card, _ := p["card"].(map[string]any)
		if status != http.StatusCreated || card == nil || !strings.HasPrefix(card["pay_url"].(string), r.bank.ServerURL) {
			t.Fatalf("create: %d %v", status, p)
		}
		tok := r.bank.PayCard(p["order_no"].(string), sandbox.OutcomeSuccess)
		ret := r.bankReturn(tok)
		if ret.Status != http.StatusSeeOther || ret.Location != "/pay/"+p["id"].(string)+"/return" {
			t.Fatalf("return: %d %q", ret.Status, ret.Location)
		}
		back := r.browser().get(ret.Location)
		u, err := url.Parse(back.Location)
		if back.Status != http.StatusSeeOther || err != nil || u.Host != "merchant.example" || u.Query().Get("payment_id") != p["id"] ||
			u.Query().Get("status") != "succeeded" || u.Query().Get("lang") != "en" || u.Query().Get("reference") != "1002" {
			t.Fatalf("to the merchant: %d %q", back.Status, back.Location)
		}
		_, got, _ := r.apiCall("GET", "/api/v1/payments/"+p["id"].(string), key, "", nil)
		if got["status"] != "succeeded" || got["card"] != nil {
			t.Fatalf("paid: %v", got)
		}
	})
}

// The same Idempotency-Key and body give the same payment and one bank
// order, even sent at once; the key with another body is refused.
func TestAPIIdempotency(t *testing.T) {
	eachDB(t, func(t *testing.T, r *rig) {
		key := r.apiKey(shop.APITest)
		body := `{"amount": 700, "method": "atm", "description": "訂單 #7"}`
		h := map[string]string{"Idempotency-Key": "order-7"}
		var wg sync.WaitGroup
		ids := make([]string, 5)
		codes := make([]int, 5)
		for i := range ids {
			wg.Go(func() {
				code, p, _ := r.apiCall("POST", "/api/v1/payments", key, body, h)
				codes[i] = code
				ids[i], _ = p["id"].(string)
			})
		}
		wg.Wait()
		for i := range ids {
			if codes[i] != http.StatusCreated || ids[i] == "" || ids[i] != ids[0] {
				t.Fatalf("answers: %v %v", codes, ids)
			}
		}
		var orders int
		if err := r.db.SQL.QueryRow(`SELECT COUNT(*) FROM api_payments`).Scan(&orders); err != nil || orders != 1 {
			t.Fatalf("%d payments (%v)", orders, err)
		}
		status, e, _ := r.apiCall("POST", "/api/v1/payments", key, `{"amount": 701, "method": "atm", "description": "訂單 #7"}`, h)
		if code, _ := errCode(e); status != http.StatusConflict || code != "idempotency_key_reused" {
			t.Fatalf("the key again with another body: %d %v", status, e)
		}
		// Keys are per API key: another key's same Idempotency-Key is a new payment.
		if status, p, _ := r.apiCall("POST", "/api/v1/payments", r.apiKey(shop.APITest), body, h); status != http.StatusCreated || p["id"] == ids[0] {
			t.Fatalf("another key, same idempotency key: %d %v", status, p)
		}
	})
}

// Bad keys and bad requests get the error format, with the right status
// and param, and make nothing.
func TestAPIRefusals(t *testing.T) {
	eachDB(t, func(t *testing.T, r *rig) {
		key := r.apiKey(shop.APITest)
		live := r.apiKey(shop.APILive)
		for _, c := range []struct {
			key, body string
			status    int
			code      string
			param     string
		}{
			{"", `{}`, 401, "missing_api_key", ""},
			{"sk_test_" + strings.Repeat("0", 48), `{}`, 401, "invalid_api_key", ""},
			{"not a key", `{}`, 401, "invalid_api_key", ""},
			{live, `{"amount": 100, "method": "atm", "description": "x"}`, 403, "mode_unavailable", ""},
			{key, `not json`, 400, "invalid_json", ""},
			{key, `{"amount": 100, "method": "atm", "description": "x"} {}`, 400, "invalid_json", ""},
			{key, `{"amount": 100, "method": "atm", "description": "x", "colour": "red"}`, 400, "unknown_parameter", "colour"},
			{key, `{"method": "atm", "description": "x"}`, 400, "missing", "amount"},
			{key, `{"amount": 10.5, "method": "atm", "description": "x"}`, 400, "invalid", "amount"},
			{key, `{"amount": "100", "method": "atm", "description": "x"}`, 400, "invalid", "amount"},
			{key, `{"amount": 0, "method": "atm", "description": "x"}`, 400, "invalid", "amount"},
			{key, `{"amount": -5, "method": "atm", "description": "x"}`, 400, "invalid", "amount"},
			{key, `{"amount": 100, "method": "cash", "description": "x"}`, 400, "invalid", "method"},
			{key, `{"amount": 100, "description": "x"}`, 400, "missing", "method"},
			{key, `{"amount": 100, "method": "atm"}`, 400, "missing", "description"},
			{key, `{"amount": 100, "method": "atm", "description": "` + strings.Repeat("狗", 21) + `"}`, 400, "invalid", "description"},
			{key, `{"amount": 100, "method": "card", "description": "x"}`, 400, "missing", "return_url"},
			{key, `{"amount": 100, "method": "card", "description": "x", "return_url": "javascript:alert(1)"}`, 400, "invalid", "return_url"},
			{key, `{"amount": 100, "method": "atm", "description": "x", "capture": "manual"}`, 400, "invalid", "capture"},
			{key, `{"amount": 100, "method": "atm", "description": "x", "reference": "` + strings.Repeat("r", 65) + `"}`, 400, "invalid", "reference"},
			{key, `{"amount": 100, "method": "atm", "description": "x", "expires_in": 60}`, 400, "invalid", "expires_in"},
			{key, `{"amount": 100, "method": "atm", "description": "x", "expires_in": 0}`, 400, "invalid", "expires_in"},
			{key, `{"amount": 100, "method": "atm", "description": "x", "expires_in": 99999999999999999}`, 400, "invalid", "expires_in"},
			{key, `{"amount": 100, "method": "atm", "description": "x", "expires_in": 3600.5}`, 400, "invalid", "expires_in"},
			{key, `{"amount": 100, "method": "card", "description": "x", "return_url": "https://m.example/", "expires_in": 3600}`, 400, "invalid", "expires_in"},
			{key, `{"amount": 100, "method": "atm", "description": "x", "metadata": {"a": "` + strings.Repeat("r", 64<<10) + `"}}`, 413, "body_too_large", ""},
		} {
			status, e, h := r.apiCall("POST", "/api/v1/payments", c.key, c.body, nil)
			code, param := errCode(e)
			if status != c.status || code != c.code || param != c.param {
				t.Errorf("%.40q with %.12q: %d %s %s, want %d %s %s (%v)", c.body, c.key, status, code, param, c.status, c.code, c.param, e)
			}
			if status == 401 && h.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		}
		var n int
		if err := r.db.SQL.QueryRow(`SELECT COUNT(*) FROM api_payments`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("refused requests made %d payments (%v)", n, err)
		}
		if status, e, _ := r.apiCall("GET", "/api/v1/payments/pay_nope", key, "", nil); status != 404 {
			t.Fatalf("no such payment: %d %v", status, e)
		}
		if status, e, _ := r.apiCall("GET", "/api/v1/nothing", key, "", nil); status != 404 || e["error"] == nil {
			t.Fatalf("no such endpoint: %d %v", status, e)
		}
		// A revoked key opens nothing.
		k, err := r.db.AuthAPIKey(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.db.RevokeAPIKey(context.Background(), k.ID, r.web.now()); err != nil {
			t.Fatal(err)
		}
		if status, _, _ := r.apiCall("GET", "/api/v1/payments/pay_nope", key, "", nil); status != 401 {
			t.Fatalf("a revoked key: %d", status)
		}
	})
}

// The merchant's endpoint hears of the payment, signed with the key's
// secret; the back office lists the delivery with the endpoint's answer
// and sends it again on demand.
func TestAPIWebhook(t *testing.T) {
	eachDB(t, func(t *testing.T, r *rig) {
		var mu sync.Mutex
		var got []string
		var sigs []string
		hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			body, _ := io.ReadAll(req.Body)
			mu.Lock()
			got, sigs = append(got, string(body)), append(sigs, req.Header.Get("Sinopay-Signature"))
			mu.Unlock()
			io.WriteString(w, "thanks")
		}))
		defer hooks.Close()
		secret := r.apiKey(shop.APITest)
		k, err := r.db.AuthAPIKey(context.Background(), secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.db.AddWebhookEndpoint(context.Background(), k.ID, hooks.URL+"/sinopay", r.web.now()); err != nil {
			t.Fatal(err)
		}
		_, p, _ := r.apiCall("POST", "/api/v1/payments", secret, `{"amount": 800, "method": "atm", "description": "訂單 #9"}`, nil)
		r.bank.Transfer(p["atm"].(map[string]any)["account"].(string), 800)
		sender := webhook.New(webhook.Config{DB: r.db, BaseURL: r.srv.URL})
		r.eventually("the webhook delivered", func() bool {
			sender.RunOnce(context.Background())
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 1
		})
		var ev webhook.Event
		if err := json.Unmarshal([]byte(got[0]), &ev); err != nil || ev.Type != "payment.succeeded" || ev.Data.Payment.ID != p["id"] {
			t.Fatalf("event: %+v %v", ev, err)
		}
		if err := webhook.Verify(sigs[0], k.WebhookSecret, []byte(got[0]), time.Now(), 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		a := r.adminBrowser("boss@example.com")
		page := a.get("/admin/apikeys")
		mustContain(t, page.Body, `data-status="delivered" data-type="payment.succeeded"`, "HTTP 200", "thanks")
		ds, err := r.db.Deliveries(context.Background(), k.ID, 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries: %+v %v", ds, err)
		}
		resend := "/admin/apikeys/" + strconv.FormatInt(k.ID, 10) + "/deliveries/" + strconv.FormatInt(ds[0].ID, 10) + "/resend"
		if res := a.post(resend, nil); res.Status != http.StatusSeeOther {
			t.Fatalf("resend: %d", res.Status)
		}
		sender.RunOnce(context.Background())
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n != 2 || got[1] != got[0] {
			t.Fatalf("sent again: %d, same body %v", n, n == 2 && got[1] == got[0])
		}
		// Another key's delivery is not this key's to resend.
		other := r.apiKey(shop.APITest)
		ok, _ := r.db.AuthAPIKey(context.Background(), other)
		if res := a.post("/admin/apikeys/"+strconv.FormatInt(ok.ID, 10)+"/deliveries/"+strconv.FormatInt(ds[0].ID, 10)+"/resend", nil); res.Status != http.StatusNotFound {
			t.Fatalf("resend through another key: %d", res.Status)
		}
	})
}

// The key's payments page by page, newest first, narrowed by reference
// and status; its events oldest first, as the webhooks carried them.
func TestAPILists(t *testing.T) {
	eachDB(t, func(t *testing.T, r *rig) {
		key := r.apiKey(shop.APITest)
		var ids []string
		for i := range 5 {
			_, p, _ := r.apiCall("POST", "/api/v1/payments", key,
				`{"amount": `+strconv.Itoa(100+i)+`, "method": "atm", "description": "訂單", "reference": "ref-`+strconv.Itoa(i%2)+`"}`, nil)
			ids = append(ids, p["id"].(string))
		}
		// Another key's payment is never listed.
		r.apiCall("POST", "/api/v1/payments", r.apiKey(shop.APITest), `{"amount": 100, "method": "atm", "description": "x"}`, nil)
		var seen []string
		after := ""
		for page := 0; ; page++ {
			path := "/api/v1/payments?limit=2"
			if after != "" {
				path += "&starting_after=" + after
			}
			status, body, _ := r.apiCall("GET", path, key, "", nil)
			data, _ := body["data"].([]any)
			if status != http.StatusOK || body["object"] != "list" || len(data) == 0 || len(data) > 2 {
				t.Fatalf("page %d: %d %v", page, status, body)
			}
			for _, d := range data {
				seen = append(seen, d.(map[string]any)["id"].(string))
			}
			after = seen[len(seen)-1]
			if body["has_more"] != true {
				break
			}
		}
		if len(seen) != 5 || seen[0] != ids[4] || seen[4] != ids[0] {
			t.Fatalf("listed %v, made %v", seen, ids)
		}
		_, body, _ := r.apiCall("GET", "/api/v1/payments?reference=ref-1", key, "", nil)
		if data := body["data"].([]any); len(data) != 2 {
			t.Fatalf("by reference: %v", body)
		}
		// Pay one: it is the one succeeded.
		_, one, _ := r.apiCall("GET", "/api/v1/payments/"+ids[2], key, "", nil)
		r.bank.Transfer(one["atm"].(map[string]any)["account"].(string), 102)
		r.eventually("paid", func() bool {
			_, b, _ := r.apiCall("GET", "/api/v1/payments?status=succeeded", key, "", nil)
			d := b["data"].([]any)
			return len(d) == 1 && d[0].(map[string]any)["id"] == ids[2]
		})
		if _, b, _ := r.apiCall("GET", "/api/v1/payments?status=pending", key, "", nil); len(b["data"].([]any)) != 4 {
			t.Fatalf("pending: %v", b)
		}
		for _, bad := range []string{"?status=paid", "?limit=0", "?limit=101", "?created_after=yesterday", "?starting_after=pay_nope"} {
			if status, b, _ := r.apiCall("GET", "/api/v1/payments"+bad, key, "", nil); status != http.StatusBadRequest {
				t.Errorf("%s: %d %v", bad, status, b)
			}
		}
		status, evs, _ := r.apiCall("GET", "/api/v1/events", key, "", nil)
		data, _ := evs["data"].([]any)
		if status != http.StatusOK || len(data) != 1 {
			t.Fatalf("events: %d %v", status, evs)
		}
		ev := data[0].(map[string]any)
		if ev["type"] != "payment.succeeded" || ev["data"].(map[string]any)["payment"].(map[string]any)["id"] != ids[2] {
			t.Fatalf("event: %v", ev)
		}
		if _, more, _ := r.apiCall("GET", "/api/v1/events?starting_after="+ev["id"].(string), key, "", nil); len(more["data"].([]any)) != 0 || more["has_more"] != false {
			t.Fatalf("after the last event: %v", more)
		}
	})
}

// A manual-capture card payment captured, refunded in part twice with
// one Idempotency-Key (one refund), over what is left refused; an ATM
// payment cannot be refunded through the bank; the events follow.
func TestAPIOperations(t *testing.T) {
	eachDB(t, func(t *testing.T, r *rig) {
		key := r.apiKey(shop.APITest)
		_, p, _ := r.apiCall("POST", "/api/v1/payments", key,
			`{"amount": 1000, "method": "card", "capture": "manual", "description": "Order 5", "return_url": "https://merchant.example/back"}`, nil)
		id := p["id"].(string)
		r.bankReturn(r.bank.PayCard(p["order_no"].(string), sandbox.OutcomeSuccess))
		r.eventually("authorised", func() bool {
			_, got, _ := r.apiCall("GET", "/api/v1/payments/"+id, key, "", nil)
			return got["status"] == "requires_capture"
		})
		status, got, _ := r.apiCall("POST", "/api/v1/payments/"+id+"/capture", key, "", nil)
		op, _ := got["operation"].(map[string]any)
		if status != http.StatusOK || got["status"] != "succeeded" || op["state"] != "done" || op["type"] != "capture" {
			t.Fatalf("capture: %d %v", status, got)
		}
		h := map[string]string{"Idempotency-Key": "refund-1"}
		for range 2 {
			status, got, _ = r.apiCall("POST", "/api/v1/payments/"+id+"/refunds", key, `{"amount": 300, "reason": "one bowl came broken"}`, h)
			if status != http.StatusOK || got["status"] != "partially_refunded" || got["amount_refunded"] != 300.0 {
				t.Fatalf("refund: %d %v", status, got)
			}
		}
		status, got, _ = r.apiCall("POST", "/api/v1/payments/"+id+"/refunds", key, `{"amount": 800}`, nil)
		if code, _ := errCode(got); status != http.StatusBadRequest && status != http.StatusConflict || code == "" {
			t.Fatalf("a refund over what is left: %d %v", status, got)
		}
		if status, got, _ = r.apiCall("POST", "/api/v1/payments/"+id+"/refunds", key, `{"amount": 700}`, nil); status != http.StatusOK || got["status"] != "refunded" {
			t.Fatalf("the rest refunded: %d %v", status, got)
		}
		_, evs, _ := r.apiCall("GET", "/api/v1/events", key, "", nil)
		var types []string
		for _, e := range evs["data"].([]any) {
			types = append(types, e.(map[string]any)["type"].(string))
		}
		if strings.Join(types, ",") != "payment.succeeded,payment.captured,payment.refunded,payment.refunded" {
			t.Fatalf("events: %v", types)
		}
		_, atm, _ := r.apiCall("POST", "/api/v1/payments", key, `{"amount": 500, "method": "atm", "description": "x"}`, nil)
		if status, e, _ := r.apiCall("POST", "/api/v1/payments/"+atm["id"].(string)+"/refunds", key, "", nil); status != http.StatusBadRequest {
			t.Fatalf("an ATM refund: %d %v", status, e)
		}
		if status, e, _ := r.apiCall("POST", "/api/v1/payments/pay_nope/capture", key, "", nil); status != http.StatusNotFound {
			t.Fatalf("no such payment: %d %v", status, e)
		}
	})
}

// testShopNo is the test bank's merchant in TestAPITestBank: beside a
// live bank, the test bank must have a ShopNo of its own.
const testShopNo = "TS0001_001"

// Beside a live bank, a test bank (the embedded sandbox, in production)
// takes the test keys' payments: each payment is made at its key's bank,
// asked about there, and settled only by that bank's word. The test
// bank's keys are public, so it must never settle a live payment, even
// for an order of the live payment's number and amount paid there.
func TestAPITestBank(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) { testAPITestBank(t, db) })
}

func testAPITestBank(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	tb := funbiztest.New(t, funbiztest.WithMerchant(testShopNo, sandbox.DemoHash()))
	r := newRigOn(t, db, func(p *payment.Config, w *Config) {
		p.TestBank = tb.ClientFor(testShopNo, sandbox.DemoHash())
		w.APIMode = shop.APILive
	})
	live, test := r.apiKey(shop.APILive), r.apiKey(shop.APITest)
	body := `{"amount": 990, "method": "card", "description": "Order 1", "return_url": "https://merchant.example/done"}`
	status, lp, _ := r.apiCall("POST", "/api/v1/payments", live, body, nil)
	if card, _ := lp["card"].(map[string]any); status != http.StatusCreated || !strings.HasPrefix(card["pay_url"].(string), r.bank.ServerURL) {
		t.Fatalf("the live key's payment: %d %v", status, lp)
	}
	status, tp, _ := r.apiCall("POST", "/api/v1/payments", test, body, nil)
	if card, _ := tp["card"].(map[string]any); status != http.StatusCreated || !strings.HasPrefix(card["pay_url"].(string), tb.ServerURL) {
		t.Fatalf("the test key's payment: %d %v", status, tp)
	}
	lo, to := r.shop.Order(lp["order_no"].(string)), r.shop.Order(tp["order_no"].(string))
	if lo.TestBank || !to.TestBank {
		t.Fatalf("orders' banks: live %v, test %v", lo.TestBank, to.TestBank)
	}
	if _, found, err := r.pay.BankOrder(ctx, to); err != nil || !found {
		t.Fatalf("the test order at the test bank: %v %v", found, err)
	}
	if n := len(r.bank.Sandbox.Orders(sandbox.Filter{OrderNo: to.No}, r.bank.ServerURL)); n != 0 {
		t.Fatalf("the test order reached the live bank: %d", n)
	}
	if status, _, _ := r.apiCall("GET", "/api/v1/payments/"+tp["id"].(string), live, "", nil); status != http.StatusNotFound {
		t.Fatalf("the live key sees the test key's payment: %d", status)
	}
	// The back office tells the test order from the live one.
	admin := r.adminBrowser("boss@example.com")
	mustContain(t, admin.get("/admin/orders/"+to.No).Body, `id="test-bank"`)
	mustNotContain(t, admin.get("/admin/orders/"+lo.No).Body, `id="test-bank"`)
	if list := admin.get("/admin/orders").Body; strings.Count(list, "data-test-bank") != 1 {
		t.Fatalf("the orders list marks %d orders as the test bank's", strings.Count(list, "data-test-bank"))
	}

	// Paid at the test bank, whose notification settles the test payment.
	card := sandbox.Card{Left: "400022", Right: "1111", Exp: "1230"}
	if _, err := tb.Sandbox.PayCard(testShopNo, to.No, sandbox.OutcomeSuccess, card, "test"); err != nil {
		t.Fatal(err)
	}
	tb.Sandbox.RunDue()
	r.eventually("the test payment succeeded", func() bool {
		_, got, _ := r.apiCall("GET", "/api/v1/payments/"+tp["id"].(string), test, "", nil)
		return got["status"] == "succeeded"
	})

	// The forgery: an order of the live payment's number and amount made
	// at the test bank with its public keys, and paid there. Its
	// notification and its browser return both reach the shop, and the
	// live payment stays pending.
	if _, err := tb.ClientFor(testShopNo, sandbox.DemoHash()).OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: lo.No, Amount: 990,
		PayType: funbiz.PayTypeCard, PrdtName: "x", ReturnURL: r.srv.URL + "/funbiz/return", BackendURL: r.srv.URL + "/funbiz/notify",
		Card: &funbiz.CardParams{AutoBilling: true}}); err != nil {
		t.Fatal(err)
	}
	res, err := tb.Sandbox.PayCard(testShopNo, lo.No, sandbox.OutcomeSuccess, card, "forger")
	if err != nil {
		t.Fatal(err)
	}
	tb.Sandbox.RunDue()
	form := url.Values{"ShopNo": {testShopNo}, "PayToken": {res.PayToken}}
	r.browser().post("/funbiz/return", form)
	for _, d := range r.shop.Processed(res.PayToken, 2) {
		if d.Outcome.Kind != shop.OutcomeNotOurs {
			t.Fatalf("the test bank's word on a live order: %+v", d.Outcome)
		}
	}
	if o := r.shop.Order(lo.No); o.Status != shop.StatusWaiting {
		t.Fatalf("the live order after the forgery: %s", o.Status)
	}

	// The live payment is settled by the live bank; the books hold it,
	// and not the test bank's money.
	r.bank.PayCard(lo.No, sandbox.OutcomeSuccess)
	r.eventually("the live payment succeeded", func() bool {
		_, got, _ := r.apiCall("GET", "/api/v1/payments/"+lp["id"].(string), live, "", nil)
		return got["status"] == "succeeded"
	})
	ledger, err := r.db.Ledger(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(ledger) != 1 || ledger[0].OrderNo != lo.No {
		t.Fatalf("the ledger: %+v %v", ledger, err)
	}
}

// An instance on a live bank with no test bank refuses test keys, and
// one on the sandbox refuses live keys, each saying why.
func TestAPIModeUnavailable(t *testing.T) {
	r := newRig(t, func(_ *payment.Config, w *Config) { w.APIMode = shop.APILive })
	status, body, _ := r.apiCall("POST", "/api/v1/payments", r.apiKey(shop.APITest), `{"amount": 990, "method": "card", "description": "x"}`, nil)
	if code, _ := errCode(body); status != http.StatusForbidden || code != "mode_unavailable" {
		t.Fatalf("a test key on a live bank alone: %d %v", status, body)
	}
	r = newRig(t)
	status, body, _ = r.apiCall("POST", "/api/v1/payments", r.apiKey(shop.APILive), `{"amount": 990, "method": "card", "description": "x"}`, nil)
	if code, _ := errCode(body); status != http.StatusForbidden || code != "mode_unavailable" {
		t.Fatalf("a live key on the sandbox: %d %v", status, body)
	}
}

// Each key has its own rate: past it, 429 with Retry-After, and the
// other keys go on.
func TestAPIRateLimit(t *testing.T) {
	r := newRig(t, func(_ *payment.Config, w *Config) { w.APIRate = 0.5 }) // a burst of 1, then one every 2 s
	busy, calm := r.apiKey(shop.APITest), r.apiKey(shop.APITest)
	if status, _, _ := r.apiCall("GET", "/api/v1/payments", busy, "", nil); status != http.StatusOK {
		t.Fatalf("first request: %d", status)
	}
	status, body, h := r.apiCall("GET", "/api/v1/payments", busy, "", nil)
	if code, _ := errCode(body); status != http.StatusTooManyRequests || code != "rate_limited" || h.Get("Retry-After") != "2" {
		t.Fatalf("past the rate: %d %v Retry-After %q", status, body, h.Get("Retry-After"))
	}
	if status, _, _ := r.apiCall("GET", "/api/v1/payments", calm, "", nil); status != http.StatusOK {
		t.Fatalf("another key: %d", status)
	}
}

// expires_in sets an ATM account's last day to pay (the day in Taiwan
// of that moment) and a card page link's life, at the bank.
func TestAPIExpiresIn(t *testing.T) {
	r := newRig(t)
	key := r.apiKey(shop.APITest)
	status, p, _ := r.apiCall("POST", "/api/v1/payments", key, `{"amount": 700, "method": "atm", "description": "x", "expires_in": 172800}`, nil)
	want := time.Now().Add(48 * time.Hour).In(funbiz.Taipei).Format("2006-01-02")
	if atm, _ := p["atm"].(map[string]any); status != http.StatusCreated || atm["expires_at"] != want {
		t.Fatalf("an ATM payment of two days: %d %v, want expires_at %s", status, p, want)
	}
	status, p, _ = r.apiCall("POST", "/api/v1/payments", key, `{"amount": 700, "method": "card", "description": "x", "return_url": "https://m.example/", "expires_in": 300}`, nil)
	if status != http.StatusCreated {
		t.Fatalf("a card payment of five minutes: %d %v", status, p)
	}
	o := r.shop.Order(p["order_no"].(string))
	if left := time.Until(o.Bank.CardExpiresAt); left < 4*time.Minute || left > 5*time.Minute {
		t.Fatalf("the card page lives %s more", left)
	}
	// The bank was told so: the sandbox's card page expires with it.
	r.shop.Clock.Advance(6 * time.Minute)
	r.bank.Advance(6 * time.Minute)
	if _, err := r.bank.Sandbox.PayCard(r.bank.ShopNo, o.No, sandbox.OutcomeSuccess, sandbox.Card{Left: "400022", Right: "1111", Exp: "1230"}, "late"); err == nil {
		t.Fatal("the bank took a card payment after the link's life")
	}
}
