package sandbox_test

import (
	"encoding/json"
	"fmt"
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
	gofiles = append(gofiles, "control.go", "flash.go")
	lit := regexp.MustCompile(`(?:\{\{-?\s*T|\(T|p\.t\(r,|said\(|c\.translate\(|p\.message\(w, r, [^,]+, "[a-z]+",)\s*"([a-z_.\-A-Z0-9]+)"(?:,\s*"([a-z_.\-A-Z0-9]+)")?`)
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
	for _, s := range []string{"short", "over", "expired", "paid", "not-found", "not-card", "no-backend-url", "invalid"} {
		used = append(used, "refused."+s)
	}
	for _, s := range []string{"card_page", "control_api", "atm_transfer", "atm_auto-pay", "scheduled_capture", "funbiztest"} {
		used = append(used, "source."+s)
	}
	for _, s := range []string{"500", "hang", "garbage", "nonce-expired"} {
		used = append(used, "chaos.api."+s)
	}
	for _, s := range []string{"delay", "duplicate", "drop", "reorder"} {
		used = append(used, "chaos.notify."+s)
	}
	used = append(used, "type.A", "type.C", "outcome.atm.success")
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
		`<form id="back" method="post" action="https://shop.example/r" data-autosubmit>`,
		`name="ShopNo" value="NA0249_001"`,
		`name="PayToken" value="` + token + `"`,
		`<noscript>`,
		`<script src="/_sandbox/static/sandbox.js?v=`,
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
	if resp.StatusCode != 303 || loc != "/_sandbox/atm/"+no {
		t.Fatalf("short transfer: %d %s", resp.StatusCode, loc)
	}
	if _, body := get(t, b, r.srv.URL+loc); !strings.Contains(body, "金額不足") {
		t.Fatal("the short transfer's refusal is not shown")
	}
	// Once only.
	if _, body := get(t, b, r.srv.URL+loc); strings.Contains(body, "金額不足") {
		t.Fatal("the refusal is shown again on the next visit")
	}
	if r.state() != before {
		t.Fatal("a short transfer changed the state")
	}
	resp, _ = postForm(t, b, u, url.Values{"which": {"exact"}})
	if resp.Header.Get("Location") != "/_sandbox/atm/"+no {
		t.Fatalf("exact transfer: %s", resp.Header.Get("Location"))
	}
	if _, body := get(t, b, u); !strings.Contains(body, "已繳費") || !strings.Contains(body, "轉帳成功，訂單已付款。") {
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
	for _, f := range []string{"sandbox.css", "sandbox.js"} {
		if status, _ := get(t, b, r.srv.URL+"/_sandbox/static/"+f); status != 200 {
			t.Fatalf("%s: %d", f, status)
		}
	}
	if status, _ := get(t, b, r.srv.URL+"/"); status != http.StatusFound {
		t.Fatalf("/ does not lead to the dashboard: %d", status)
	}
}

// No page shows text from its URL as a message: ?flash= and ?error= are
// ignored, on the dashboard, the ATM page and the card page, in both
// languages. A form's message is shown to the browser that sent it, once,
// in the page's language, and to no other.
func TestPagesShowNoMessageFromTheURL(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	no := r.createATM("F1", "20260305")
	r.createCard("F2", "")
	card := r.cardURL("F2")
	b := r.browser()
	forged := url.Values{"flash": {"你的帳號已凍結"}, "error": {"Your account is frozen"}}.Encode()
	for _, lang := range []string{"zh-TW", "en"} {
		for _, path := range []string{"/_sandbox/", "/_sandbox/atm/" + no, strings.TrimPrefix(card, r.srv.URL)} {
			u := r.srv.URL + path
			if strings.Contains(u, "?") {
				u += "&"
			} else {
				u += "?"
			}
			status, body := get(t, b, u+forged+"&lang="+lang)
			if status != 200 || strings.Contains(body, "凍結") || strings.Contains(body, "frozen") || strings.Contains(body, `class="alert alert-success"`) {
				t.Errorf("%s %s shows the URL's message (%d)", lang, path, status)
			}
		}
	}
	// A form's message: for the browser that posted, once, in its language.
	other := r.browser()
	for _, c := range []struct{ lang, want string }{{"zh-TW", "沙盒時鐘已前進 10m。"}, {"en", "The sandbox clock moved ahead 10m."}} {
		get(t, b, r.srv.URL+"/_sandbox/?lang="+c.lang)
		resp, _ := postForm(t, b, r.srv.URL+"/_sandbox/clock/advance", url.Values{"By": {"10m"}, "back": {"/_sandbox/"}})
		var id string
		for _, ck := range resp.Cookies() {
			if ck.Name == "sandbox_flash" {
				id = ck.Value
			}
		}
		if id == "" {
			t.Fatalf("no message cookie: %v", resp.Cookies())
		}
		// Another browser given the id (in its own cookie) sees nothing
		// once the first has seen it; the URL never carries it.
		if strings.Contains(resp.Header.Get("Location"), id) {
			t.Fatalf("the message id is in the URL: %s", resp.Header.Get("Location"))
		}
		_, body := get(t, b, r.srv.URL+"/_sandbox/")
		if !strings.Contains(body, c.want) {
			t.Fatalf("%s: the message %q is not shown", c.lang, c.want)
		}
		if _, body := get(t, b, r.srv.URL+"/_sandbox/"); strings.Contains(body, c.want) {
			t.Fatalf("%s: the message is shown twice", c.lang)
		}
		u, _ := url.Parse(r.srv.URL + "/_sandbox/")
		other.Jar.SetCookies(u, []*http.Cookie{{Name: "sandbox_flash", Value: id, Path: "/_sandbox/"}})
		if _, body := get(t, other, r.srv.URL+"/_sandbox/"); strings.Contains(body, "10m") && strings.Contains(body, "alert-success") {
			t.Fatalf("%s: a used message id showed again", c.lang)
		}
	}
	// A refusal, in the words of the catalogue.
	resp, _ := postForm(t, b, r.srv.URL+"/_sandbox/atm/transfer", url.Values{"AtmPayNo": {no}, "Amount": {"1"}, "back": {"/_sandbox/"}})
	if resp.StatusCode != 303 {
		t.Fatalf("short transfer from the dashboard: %d", resp.StatusCode)
	}
	if _, body := get(t, b, r.srv.URL+"/_sandbox/"); !strings.Contains(body, "Transfer turned back: the amount is short.") {
		t.Fatal("the dashboard does not show the refusal in English")
	}
}

// The dashboard pages its orders, newest first, 20 a page, and finds
// orders by any part of their OrderNo; the payments and notifications
// follow the search. In both languages.
func TestDashboardPagesAndSearch(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	for i := 1; i <= 45; i++ {
		r.createATM(fmt.Sprintf("PG%02d", i), "20260305")
	}
	b := r.browser()
	rows := regexp.MustCompile(`<tr data-order="([^"]+)">`)
	orders := func(body string) []string {
		var out []string
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for _, c := range []struct{ lang, page1, page3, found string }{
		{"zh-TW", "第 1／3 頁，共 45 筆", "第 3／3 頁，共 45 筆", "訂單編號含「pg07」的訂單：1 筆"},
		{"en", "Page 1 of 3, 45 in all", "Page 3 of 3, 45 in all", "Orders whose OrderNo holds “pg07”: 1"},
	} {
		_, body := get(t, b, r.srv.URL+"/_sandbox/?lang="+c.lang)
		got := orders(body)
		if len(got) != 20 || got[0] != "PG45" || got[19] != "PG26" {
			t.Fatalf("%s: page 1 lists %v", c.lang, got)
		}
		mustHave(t, body, c.page1, `href="/_sandbox/?page=2"`)
		_, body = get(t, b, r.srv.URL+"/_sandbox/?page=3")
		if got := orders(body); len(got) != 5 || got[0] != "PG05" || got[4] != "PG01" {
			t.Fatalf("%s: page 3 lists %v", c.lang, got)
		}
		mustHave(t, body, c.page3, `href="/_sandbox/?page=2"`)
		// A page past the end, or not a number, is the first.
		for _, bad := range []string{"99", "x", "-1"} {
			if _, body := get(t, b, r.srv.URL+"/_sandbox/?page="+bad); orders(body)[0] != "PG45" {
				t.Fatalf("page %q is not the first", bad)
			}
		}
		_, body = get(t, b, r.srv.URL+"/_sandbox/?q=pg07")
		if got := orders(body); len(got) != 1 || got[0] != "PG07" {
			t.Fatalf("%s: the search lists %v", c.lang, got)
		}
		// The dashboard's forms come back to the search.
		mustHave(t, body, html.EscapeString(c.found), `value="pg07"`, `id="search-clear"`, `name="back" value="/_sandbox/?q=pg07"`)
		_, body = get(t, b, r.srv.URL+"/_sandbox/?q=PG1")
		if got := orders(body); len(got) != 10 || got[0] != "PG19" {
			t.Fatalf("%s: the search for PG1 lists %v", c.lang, got)
		}
	}
	// The payments follow the search.
	no := r.sb.Orders(sandbox.Filter{OrderNo: "PG07"}, "")[0].AtmPayNo
	if _, err := r.sb.Transfer(no, 100, "", ""); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, b, r.srv.URL+"/_sandbox/?q=PG08")
	if strings.Contains(body, `id="payments-table"`) {
		t.Fatal("the search for PG08 lists PG07's payment")
	}
	_, body = get(t, b, r.srv.URL+"/_sandbox/?q=PG07")
	mustHave(t, body, `id="payments-table"`)
}

// The dashboard's words for payments and its messages are in the page's
// language: an ATM transfer is "received" (not a card's "authorised"), the
// source is in words, and the message after a transfer is translated.
func TestDashboardWords(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	no := r.createATM("W1", "20260305")
	r.createCard("W2", "")
	r.pay("W2", sandbox.OutcomeSuccess)
	b := r.browser()
	for _, c := range []struct{ lang, flash, atmOutcome, atmSource, cardOutcome, chaos string }{
		{"zh-TW", "轉帳成功，訂單已付款。", "轉帳入帳", "ATM 轉帳", "授權成功", `<option value="duplicate">送兩次</option>`},
		{"en", "Transfer received; the order is paid.", "Transfer received", "ATM transfer", "Approved", `<option value="duplicate">sent twice</option>`},
	} {
		get(t, b, r.srv.URL+"/_sandbox/?lang="+c.lang)
		if c.lang == "zh-TW" {
			resp, _ := postForm(t, b, r.srv.URL+"/_sandbox/atm/transfer", url.Values{"AtmPayNo": {no}, "Amount": {"100"}, "back": {"/_sandbox/"}})
			if resp.StatusCode != 303 {
				t.Fatalf("transfer: %d", resp.StatusCode)
			}
		} else {
			resp, _ := postForm(t, b, r.srv.URL+"/_sandbox/run", url.Values{"back": {"/_sandbox/"}})
			if resp.StatusCode != 303 {
				t.Fatalf("run: %d", resp.StatusCode)
			}
			c.flash = "Everything due has been done."
		}
		_, body := get(t, b, r.srv.URL+"/_sandbox/")
		row := regexp.MustCompile(`(?s)<tr>\s*<td><code title="[0-9a-f]+">[^<]*</code></td>\s*<td><code>W1</code></td>.*?</tr>`).FindString(body)
		if !strings.Contains(row, c.atmOutcome) || !strings.Contains(row, c.atmSource) || strings.Contains(row, "授權成功") || strings.Contains(row, "Approved") {
			t.Fatalf("%s: the ATM payment's row:\n%s", c.lang, row)
		}
		mustHave(t, body, c.flash, c.cardOutcome, c.chaos)
		for _, raw := range []string{">ATM transfer<", ">card page<", ">control API<", "transfer received", "due work done"} {
			if c.lang == "zh-TW" && strings.Contains(body, raw) {
				t.Errorf("zh-TW: the dashboard shows %q", raw)
			}
		}
	}
}

func mustHave(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
}
