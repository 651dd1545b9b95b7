package sandbox_test

import (
	"encoding/json"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

func readCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("locale/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]string
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Both catalogues have the same keys, and every key a template or the Go
// code can ask for is in them.
func TestCatalogues(t *testing.T) {
	zh, en := readCatalog(t, "zh-TW"), readCatalog(t, "en")
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("zh-TW lacks %q", k)
		}
	}
	var used []string
	files, _ := filepath.Glob("templates/*.html")
	gofiles, _ := filepath.Glob("*_page.go")
	lit := regexp.MustCompile(`(?:\{\{-?\s*T|\(T|p\.t\(r,|p\.message\(w, r, [^,]+, "[a-z]+",)\s*"([a-z_.\-A-Z0-9]+)"(?:,\s*"([a-z_.\-A-Z0-9]+)")?`)
	for _, f := range append(files, gofiles...) {
		b, _ := os.ReadFile(f)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			for _, k := range m[1:] {
				// A key ending in "." is a prefix completed from a value;
				// those families are listed below.
				if k != "" && !strings.HasSuffix(k, ".") {
					used = append(used, k)
				}
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in use; the pattern is broken", len(used))
	}
	// Keys built from values.
	for _, o := range []string{"success", "decline", "insufficient", "expired-card", "timeout"} {
		used = append(used, "outcome."+o)
	}
	for _, s := range []string{"1A200", "1A400", "1C200", "1C250", "1C300", "1C351", "1C400"} {
		used = append(used, "status."+s)
	}
	for _, s := range []string{"pending", "delivered", "gave-up", "dropped"} {
		used = append(used, "delivery."+s)
	}
	for _, s := range []string{"waiting", "paid", "expired"} {
		used = append(used, "atm.status."+s)
	}
	for _, s := range []string{"short", "over", "expired", "paid"} {
		used = append(used, "atm.refused."+s)
	}
	for _, s := range []string{"amount", "shop", "order"} {
		used = append(used, "mismatch."+s)
	}
	used = append(used, "type.A", "type.C")
	for _, k := range used {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q is used but not in the catalogues", k)
		}
	}
	unused := maps.Clone(zh)
	for _, k := range used {
		delete(unused, k)
	}
	if len(unused) > 0 {
		t.Errorf("keys in no template: %v", slices.Sorted(maps.Keys(unused)))
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
func (r *rig) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (r *rig) cardURL(orderNo string) string {
	return r.sb.Orders(sandbox.Filter{OrderNo: orderNo}, r.srv.URL)[0].CardPageURL
}

func checkPage(t *testing.T, body string) {
	t.Helper()
	if !strings.Contains(body, "SANDBOX / 測試環境") {
		t.Fatal("page has no SANDBOX banner")
	}
	if strings.Contains(body, "[[") {
		t.Fatalf("page shows a missing translation: %s", body[strings.Index(body, "[["):][:40])
	}
}

func TestCardPage(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	msg := cardMsg("P1", `{"AutoBilling":"Y"}`, `"Amount":10000`, `"Amount":120000`)
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", msg); a.Status != "S" {
		t.Fatal(a.Description)
	}
	b := r.browser()
	u := r.cardURL("P1")
	status, body := get(t, b, u)
	checkPage(t, body)
	for _, want := range []string{"信用卡付款", "NA0249_001", "P1", "NT$1,200", "4000-2211-1111-1111", "4000-0000-0000-0119", "銀行逾時"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("card page (%d) lacks %q", status, want)
		}
	}
	_, body = get(t, b, u+"?lang=en")
	checkPage(t, body)
	if !strings.Contains(body, "Card payment") || !strings.Contains(body, "Bank timed out") {
		t.Fatal("?lang=en did not give English")
	}
	if _, body = get(t, b, u); !strings.Contains(body, "Card payment") {
		t.Fatal("the language was not remembered")
	}

	// Server-side checks, errors on the page, nothing recorded.
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"action": {"card"}, "number": {"4111 1111 1111 1112"}, "exp": {"12/30"}, "cvc": {"123"}}, "Luhn"},
		{url.Values{"action": {"card"}, "number": {"4111"}, "exp": {"12/30"}, "cvc": {"123"}}, "13 to 19 digits"},
		{url.Values{"action": {"card"}, "number": {"4111111111111111"}, "exp": {"13/30"}, "cvc": {"123"}}, "MM/YY"},
		{url.Values{"action": {"card"}, "number": {"4111111111111111"}, "exp": {"02/26"}, "cvc": {"123"}}, "has expired"},
		{url.Values{"action": {"card"}, "number": {"4111111111111111"}, "exp": {"12/30"}, "cvc": {"12"}}, "CVC"},
	} {
		resp, body := postForm(t, b, u, c.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Fatalf("form %v: %d, want the error %q", c.form, resp.StatusCode, c.want)
		}
	}
	if n := len(r.sb.Payments(sandbox.Filter{})); n != 0 {
		t.Fatalf("%d payments after invalid forms", n)
	}

	// Each test card gives its outcome, and the page sends the browser
	// back to ReturnURL by an auto-submitting form.
	for _, tc := range sandbox.TestCards[1:] {
		resp, body := postForm(t, b, u, url.Values{"action": {"card"}, "number": {tc.Number}, "exp": {"12/30"}, "cvc": {"123"}})
		p := r.sb.Payments(sandbox.Filter{})[0]
		if resp.StatusCode != 200 || p.Status != "F" || p.Outcome != string(tc.Outcome) || p.Source != "card page" {
			t.Fatalf("card %s: %d, payment %+v", tc.Number, resp.StatusCode, p)
		}
		checkReturnForm(t, body, p.PayToken)
	}
	if !strings.Contains(r.sb.Payments(sandbox.Filter{})[0].Description, "逾時") {
		t.Fatal("the timeout card's payment does not say it timed out")
	}
	resp, body := postForm(t, b, u, url.Values{"action": {"card"}, "number": {"4000 2211 1111 1111"}, "exp": {"12/30"}, "cvc": {"123"}})
	p := r.sb.Payments(sandbox.Filter{})[0]
	if resp.StatusCode != 200 || p.Status != "S" || p.Card != "400022******1111" {
		t.Fatalf("the bank's test card: %d %+v", resp.StatusCode, p)
	}
	checkReturnForm(t, body, p.PayToken)

	// A paid order's page says so and takes no payment.
	if status, body := get(t, b, u); status != http.StatusConflict || !strings.Contains(body, "already paid") {
		t.Fatalf("page of a paid order: %d", status)
	}
	if resp, _ := postForm(t, b, u, url.Values{"action": {"success"}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("paying a paid order from the page: %d", resp.StatusCode)
	}
}

func checkReturnForm(t *testing.T, body, token string) {
	t.Helper()
	checkPage(t, body)
	for _, want := range []string{
		`<form id="back" method="post" action="https://shop.example/r">`,
		`name="ShopNo" value="NA0249_001"`,
		`name="PayToken" value="` + token + `"`,
		`<noscript>`,
		`document.getElementById("back").submit()`,
	} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Fatalf("return page lacks %q:\n%s", want, body)
		}
	}
}

func TestCardPageQuickButtonsAndExpiry(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("Q1", `{"AutoBilling":"N","ExpMinutes":5}`))
	b := r.browser()
	u := r.cardURL("Q1")
	resp, body := postForm(t, b, u, url.Values{"action": {"fail"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "付款失敗") {
		t.Fatalf("fail button: %d", resp.StatusCode)
	}
	r.sb.Advance(5*time.Minute + time.Second)
	status, body := get(t, b, u)
	checkPage(t, body)
	if status != http.StatusGone || !strings.Contains(body, "付款連結已逾期") {
		t.Fatalf("expired page: %d", status)
	}
	if resp, _ := postForm(t, b, u, url.Values{"action": {"success"}}); resp.StatusCode != http.StatusGone {
		t.Fatalf("paying an expired page: %d", resp.StatusCode)
	}
	if status, _ := get(t, b, r.srv.URL+"/_sandbox/card/nope"); status != 404 {
		t.Fatalf("unknown card page: %d", status)
	}
}

func TestATMPage(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	no := r.createATM("A1", "20260305")
	b := r.browser()
	u := r.srv.URL + "/_sandbox/atm/" + no
	status, body := get(t, b, u+"?TD=x&TK=y")
	checkPage(t, body)
	for _, want := range []string{no, "NT$100", "NT$99", "NT$101", "待繳費", "2026-03-05 23:59"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("ATM page lacks %q", want)
		}
	}
	before := r.state()
	resp, _ := postForm(t, b, u, url.Values{"which": {"short"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.Contains(loc, "error=") {
		t.Fatalf("short transfer: %d %s", resp.StatusCode, loc)
	}
	if _, body := get(t, b, r.srv.URL+loc); !strings.Contains(body, "金額不足") {
		t.Fatal("the short transfer's refusal is not shown")
	}
	if r.state() != before {
		t.Fatal("a short transfer changed the state")
	}
	resp, _ = postForm(t, b, u, url.Values{"which": {"exact"}})
	if !strings.Contains(resp.Header.Get("Location"), "flash=") {
		t.Fatalf("exact transfer: %s", resp.Header.Get("Location"))
	}
	if _, body := get(t, b, u); !strings.Contains(body, "已繳費") {
		t.Fatal("ATM page does not show paid")
	}
}

// The dashboard shows orders, payments, every delivery attempt with what
// was wrong, and refusals with the computed sign string.
func TestDashboard(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "https://shop.example/login", http.StatusFound)
	})
	r.createCard("D1", rc.URL)
	r.pay("D1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	r.open(r.keys, func() []byte {
		nonce := r.nonce(sandbox.DemoShopNo)
		b, _ := json.Marshal(map[string]string{"Version": "1.0.0", "ShopNo": sandbox.DemoShopNo, "APIService": "OrderQuery", "Sign": strings.Repeat("0", 64), "Nonce": nonce,
			"Message": r.keys.Encrypt(nonce, []byte(`{"ShopNo":"NA0249_001","OrderNo":"D1"}`))})
		return b
	}(), nil)
	b := r.browser()
	for _, lang := range []string{"zh-TW", "en"} {
		status, body := get(t, b, r.srv.URL+"/_sandbox/?lang="+lang)
		checkPage(t, body)
		body = html.UnescapeString(body)
		for _, want := range []string{"D1", "1C400", "PayOut", "redirect (HTTP 302", "https://shop.example/login", "OrderNo=D1&amp;ShopNo=NA0249_001", "E0105", "E0602", "86D50DEF3EB7400E", `action="/_sandbox/clock/advance"`, `action="/_sandbox/chaos"`, `action="/_sandbox/reset"`, `action="/_sandbox/notify/resend"`} {
			want = html.UnescapeString(want)
			if status != 200 || !strings.Contains(body, want) {
				t.Fatalf("dashboard (%s, %d) lacks %q", lang, status, want)
			}
		}
	}
	if status, css := get(t, b, r.srv.URL+"/_sandbox/static/bootstrap.min.css"); status != 200 || !strings.Contains(css, "Bootstrap") {
		t.Fatalf("bootstrap.min.css: %d", status)
	}
	if status, _ := get(t, b, r.srv.URL+"/"); status != http.StatusFound {
		t.Fatalf("/ does not lead to the dashboard: %d", status)
	}
}
