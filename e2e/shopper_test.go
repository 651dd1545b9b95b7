package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// These scenarios are the shopper's side of what a first customer found
// rough, most of it on a phone: each runs on both screens, and in both
// languages where it has words.

// toEnglish and toChinese switch the language by the navigation bar's
// link, and wait for the page to come back in it.
func (b *tab) toEnglish() {
	b.t.Helper()
	b.clickNav("switch to English", `nav a[href^="/lang/en"]`, 200)
	b.waitFor("the page in English", `document.documentElement.lang === "en"`)
}

func (b *tab) toChinese() {
	b.t.Helper()
	b.clickNav("switch to Chinese", `nav a[href^="/lang/zh-TW"]`, 200)
	b.waitFor("the page in zh-TW", `document.documentElement.lang === "zh-TW"`)
}

// onScreen is a condition: the element sel is shown and lies inside the
// window's width.
func onScreen(sel string) string {
	return fmt.Sprintf(`(e => !!e && e.offsetParent !== null && e.getBoundingClientRect().left >= 0 && e.getBoundingClientRect().right <= innerWidth)(document.querySelector(%s))`, jsString(sel))
}

// oneLine is a condition: the text of sel is on one line (its text's
// boxes all share one top).
func oneLine(sel string) string {
	return fmt.Sprintf(`(e => {
		if (!e) return false;
		const r = document.createRange();
		r.selectNodeContents(e);
		const tops = new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
		return tops.size === 1;
	})(document.querySelector(%s))`, jsString(sel))
}

// ordersLayout: my orders shows each order's status and actions on the
// screen, dates on one line; the ATM page shows the account on one line
// with a copy button that copies it, in both languages.
func ordersLayout(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("layout"))
	b.fillCart(1)
	no := b.payWith("atm")
	b.shot("order-atm")
	for _, cond := range []string{oneLine("#account"), onScreen("#account"), onScreen("#copy-account"),
		`getComputedStyle(document.querySelector("#account")).userSelect === "all"`} {
		b.waitFor("the account on one line, with its copy button", cond)
	}
	account := digits(b.text("#account"))
	// A headless browser has no clipboard to write to: the page's copy is
	// caught where it reaches the clipboard.
	if _, err := eval[bool](b, `(navigator.clipboard.writeText = t => (window.copied = t, Promise.resolve()), true)`); err != nil {
		b.fatalf("catching the copy: %v", err)
	}
	b.click("copy the account", "#copy-account")
	b.waitFor("the copy button to say it copied", `document.querySelector("#copy-account").innerText.trim() === "已複製"`)
	if got, _ := eval[string](b, `window.copied || ""`); got != account {
		b.fatalf("copied %q, want %q", got, account)
	}

	b.open(e.app.URL+"/orders", 200)
	row := fmt.Sprintf(`#orders a[href="/orders/%s"]`, no)
	b.waitFor("my orders", `document.querySelector(`+jsString(row)+`)`)
	for _, cell := range []string{"td.order-status", "td.order-actions a.btn", "td.text-nowrap:nth-child(3)"} {
		sel := fmt.Sprintf(`#orders tbody tr:first-child %s`, cell)
		b.waitFor(cell+" on the screen", onScreen(sel))
	}
	b.waitFor("the order's date on one line", oneLine(`#orders tbody tr:first-child td:nth-child(3)`))
	if got := b.text(`#orders tbody tr:first-child td.order-status`); !strings.Contains(got, "尚未付款") {
		b.fatalf("status %q", got)
	}
	b.shot("orders-zh")
	b.toEnglish()
	b.waitFor("the English status on the screen", onScreen(`#orders tbody tr:first-child td.order-status`))
	if got := b.text(`#orders tbody tr:first-child td.order-actions`); !strings.Contains(got, "Show ATM account") && !strings.Contains(got, "ATM") {
		b.fatalf("English actions %q", got)
	}
	b.shot("orders-en")
	b.open(e.app.URL+"/orders/"+no, 200)
	b.waitFor("the English copy button", onScreen("#copy-account")+` && document.querySelector("#copy-account").innerText.trim() === "Copy"`)
	b.waitFor("the account on one line in English", oneLine("#account"))
	b.shot("order-atm-en")
}

// pageFollowsPayment: the ATM page of an unpaid order shows it paid once
// the transfer lands, without a reload; the bank's ATM page links back to
// the shop.
func pageFollowsPayment(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("follow"))
	b.fillCart(1)
	no := b.payWith("atm")
	account := digits(b.text("#account"))
	if got := b.text("#follows"); !strings.Contains(got, "自動更新") {
		b.fatalf("the page does not say it follows the payment: %q", got)
	}
	b.shot("order-waiting")

	// The bank's ATM page leads back to the shop.
	b.open(e.app.SandboxURL+"/_sandbox/atm/"+account, 200)
	b.waitFor("the link back to the shop", onScreen("#back-to-shop"))
	b.shot("bank-atm")
	b.clickNav("back to the shop", "#back-to-shop", 200)
	if got := b.location(); got != e.app.URL+"/" {
		b.fatalf("the bank's link went to %s", got)
	}
	b.open(e.app.URL+"/orders/"+no, 200)
	b.waitFor("the waiting order", `document.querySelector("#status[data-status=W]")`)
	// A mark on this document: it is gone if the page reloads.
	if _, err := eval[bool](b, `(window.stayed = true)`); err != nil {
		b.fatalf("marking the page: %v", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, bankTimeout)
	defer cancel()
	amount, err := eval[int64](b, `parseInt(document.querySelector("#amount").dataset.amount, 10)`)
	if err != nil {
		b.fatalf("reading the amount: %v", err)
	}
	if _, err := sandbox.NewControlClient(e.app.SandboxURL, nil).Transfer(ctx, account, amount); err != nil {
		b.fatalf("the transfer: %v", err)
	}
	b.waitFor("the page to show paid without a reload", `window.stayed === true && document.querySelector("#status.text-bg-success")`)
	if n, _ := eval[int](b, `document.querySelectorAll("#account, main[data-poll]").length`); n != 0 {
		b.fatalf("a paid order still shows the account, or still asks")
	}
	b.shot("order-paid-in-place")
}

// refundShown: after a partial refund in the back office, the customer
// sees "已退款 NT$100" with its date on the order page and in my orders,
// and in English, and never who made it.
func refundShown(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("refund"))
	no, _ := b.buyByCard(e.app.URL, 1)
	admin := newEmail("boss")
	createAdmin(t, e.dsn, admin)
	adminRefund(t, e.app.URL, admin, no, 100, "a scratch on the bone")

	b.reloadUntil("the refund on the order page", e.app.URL+"/orders/"+no, `document.querySelector("#refunded")`)
	today := time.Now().In(time.FixedZone("Asia/Taipei", 8*3600)).Format("2006-01-02")
	if got := b.text("#refunded"); got != "已退款 NT$100" {
		b.fatalf("refund badge %q", got)
	}
	if got := b.text("#refunds"); !strings.Contains(got, "退款 NT$100") || !strings.Contains(got, today) {
		b.fatalf("refunds %q, want NT$100 on %s", got, today)
	}
	if page := b.text("body"); strings.Contains(page, admin) || strings.Contains(page, "scratch") || strings.Contains(page, "管理員") {
		b.fatalf("the customer sees the back office's notes:\n%s", page)
	}
	b.shot("order-refunded-zh")
	b.open(e.app.URL+"/orders", 200)
	b.waitFor("the refund in my orders", orderRowHas(no, "已退款 NT$100"))
	b.shot("orders-refunded-zh")
	b.toEnglish()
	b.waitFor("the refund in English", orderRowHas(no, "Refunded NT$100"))
	b.shot("orders-refunded-en")
	b.open(e.app.URL+"/orders/"+no, 200)
	if got := b.text("#refunds"); !strings.Contains(got, "Refund of NT$100") {
		b.fatalf("English refunds %q", got)
	}
	b.shot("order-refunded-en")
}

var adminKeyRE = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)

// adminRefund refunds amount of order no as the admin would, over HTTP:
// log in, open the refund form, send it.
func adminRefund(t *testing.T, shopURL, email, no string, amount int, reason string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: stepTimeout}
	post := func(path string, form url.Values) *http.Response {
		resp, err := hc.PostForm(shopURL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/admin/"}}); resp.StatusCode != 200 {
		t.Fatalf("admin log-in: %d", resp.StatusCode)
	}
	resp, err := hc.Get(shopURL + "/admin/orders/" + no + "/refund")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := adminKeyRE.FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("the refund form: %d", resp.StatusCode)
	}
	resp = post("/admin/orders/"+no+"/refund", url.Values{"key": {string(m[1])}, "amount": {fmt.Sprint(amount)}, "reason": {reason}})
	if resp.StatusCode != 200 {
		t.Fatalf("the refund: %d", resp.StatusCode)
	}
}

// namesFollowLanguage: an order placed in English shows its items in
// Chinese on the zh-TW order page, and the bank's card page names them in
// the shop's primary language, zh-TW.
func namesFollowLanguage(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("names"))
	b.toEnglish()
	b.fillCart(0, 0, 0, 0, 1) // the blanket
	en := b.text("main table tbody td")
	no := b.payWith("card")
	if got := b.text("#items tbody td"); got == "" || !isASCII(got) {
		b.fatalf("English order page names the item %q", got)
	}
	b.shot("order-en")
	b.toChinese()
	zh := b.text("#items tbody td")
	if zh == "" || isASCII(zh) {
		b.fatalf("the zh-TW order page names the item %q (English: %q)", zh, en)
	}
	b.shot("order-zh")
	b.clickNav("go to the bank's card page", "a#card-pay", 200)
	if page := b.text("main"); !strings.Contains(page, zh) || !strings.Contains(page, no) {
		b.fatalf("the bank's card page does not name %q:\n%s", zh, page)
	}
	b.shot("bank-card")
	b.waitFor("the link back to the shop", onScreen("#back-to-shop"))
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > 0x7f {
			return false
		}
	}
	return true
}

// guestCheckout: a visitor who presses 去結帳 is told why to log in, signs
// up from there, is welcomed, and lands on the checkout with the cart.
func guestCheckout(t *testing.T, e *env, s *shots) {
	for _, lang := range []string{"zh-TW", "en"} {
		b := e.newTab(t, s, lang)
		b.open(e.app.URL+"/", 200)
		if lang == "en" {
			b.toEnglish()
		}
		c := b.fillCartAsGuest(2)
		b.waitFor("the reason to log in", onScreen("#why-login"))
		want := map[string]string{"zh-TW": "購物車裡的東西都幫您留著", "en": "Your cart is kept"}[lang]
		if got := b.text("#why-login"); !strings.Contains(got, want) {
			b.fatalf("the login page says %q", got)
		}
		b.shot("login-why")
		b.clickNav("go to sign up", `main a[href^="/signup"]`, 200)
		b.waitFor("the sign-up form, still for the checkout", `document.querySelector("#why-login") && document.querySelector("form[action='/signup'] #email")`)
		b.fillInput("email", newEmail("guest"))
		b.fillInput("password", password)
		b.shot("signup-why")
		b.clickNav("sign up", `form[action="/signup"] button[type=submit]`, 200)
		b.waitFor("the checkout with a welcome", `location.pathname === "/checkout" && document.querySelector("#welcome")`)
		if got := b.text("#total"); got != ntd(c) {
			b.fatalf("the checkout's total %q, want %s: the cart was lost", got, ntd(c))
		}
		wantWelcome := map[string]string{"zh-TW": "歡迎加入庫米狗屋", "en": "Welcome to KummyShop"}[lang]
		if got := b.text("#welcome"); !strings.Contains(got, wantWelcome) {
			b.fatalf("welcome %q", got)
		}
		b.shot("checkout-welcome")
	}
}

// fillCartAsGuest sets the quantities and presses 去結帳 as a visitor,
// which leads to the login page; it returns the cart's total.
func (b *tab) fillCartAsGuest(qty ...int) int64 {
	b.t.Helper()
	b.waitFor("the catalogue", `document.querySelector("#cart input[data-price]")`)
	var total int64
	for i, n := range qty {
		if n == 0 {
			continue
		}
		id, _ := eval[string](b, fmt.Sprintf(`document.querySelectorAll("#cart input[data-price]")[%d].id`, i))
		price, _ := eval[int64](b, fmt.Sprintf(`parseInt(document.querySelectorAll("#cart input[data-price]")[%d].dataset.price, 10)`, i))
		b.fillInput(id, fmt.Sprint(n))
		total += int64(n) * price
	}
	b.shot("catalogue-guest")
	b.clickNav("press 去結帳", `#cart button[type=submit]`, 200)
	b.waitFor("the login page", `location.pathname === "/login"`)
	return total
}

// payTypeKept: the card chosen at the checkout stays chosen when the
// language is switched, both ways.
func payTypeKept(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("keep"))
	b.fillCart(1)
	b.click("choose card", "#pay_card")
	b.waitFor("card chosen", `document.querySelector("#pay_card").checked`)
	b.toEnglish()
	b.waitFor("card still chosen in English", `location.pathname === "/checkout" && document.querySelector("#pay_card").checked`)
	b.shot("checkout-en-card")
	b.click("choose ATM", "#pay_atm")
	b.toChinese()
	b.waitFor("ATM chosen in zh-TW", `document.querySelector("#pay_atm").checked`)
	b.click("choose card", "#pay_card")
	b.toEnglish()
	b.waitFor("card chosen again", `document.querySelector("#pay_card").checked`)
	b.shot("checkout-en-card-again")
}

// passwordRule: the sign-up form says what the password rule counts, and
// a password of 25 Chinese characters is refused saying why, in both
// languages; 24 pass.
func passwordRule(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.open(e.app.URL+"/signup", 200)
	if got := b.text("#password-rule"); !strings.Contains(got, "24 個中文字") {
		b.fatalf("the rule says %q", got)
	}
	b.fillInput("email", newEmail("pw"))
	b.fillInput("password", strings.Repeat("狗", 25))
	b.wantRefused = append(b.wantRefused, e.app.URL+"/signup")
	b.clickNav("sign up", `form[action="/signup"] button[type=submit]`, 400)
	if got := b.text("#password.is-invalid ~ #password-error"); !strings.Contains(got, "72 個位元組") || !strings.Contains(got, "24 個中文字") {
		b.fatalf("the refusal says %q", got)
	}
	b.shot("password-long-zh")
	b.toEnglish()
	if got := b.text("#password-rule"); !strings.Contains(got, "24 Chinese characters") {
		b.fatalf("the English rule says %q", got)
	}
	b.fillInput("email", newEmail("pw"))
	b.fillInput("password", strings.Repeat("狗", 24))
	b.clickNav("sign up", `form[action="/signup"] button[type=submit]`, 200)
	b.waitFor("signed up, welcomed", `document.querySelector("#welcome")`)
	b.shot("password-24-en")
}

// forgedReturn: a card return with a PayToken the bank never gave ends on
// one clear page, "could not confirm", with the shop's contact line and no
// "confirming" beside it, in both languages.
func forgedReturn(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("forged"))
	// The post comes from another site, as the bank's page sends it.
	b.do("open a blank page", chromedp.Navigate("about:blank"))
	form := fmt.Sprintf(`(() => {
		const f = document.createElement("form");
		f.method = "post";
		f.action = %s;
		for (const [k, v] of [["ShopNo", "NA0249_001"], ["PayToken", %s]]) {
			const i = document.createElement("input");
			i.type = "hidden"; i.name = k; i.value = v;
			f.appendChild(i);
		}
		document.body.appendChild(f);
		f.submit();
		return true;
	})()`, jsString(e.app.URL+"/funbiz/return"), jsString(strings.Repeat("0f", 32)))
	if _, err := eval[bool](b, form); err != nil {
		b.fatalf("posting the forged return: %v", err)
	}
	b.waitFor("the unconfirmed page", `location.pathname.startsWith("/payments/") && document.querySelector("#unconfirmed")`)
	if got := b.text("h1"); got != "無法確認這筆付款" {
		b.fatalf("title %q", got)
	}
	page := b.text("main")
	if strings.Contains(page, "確認付款中") || strings.Contains(page, "正在跟銀行確認") || !strings.Contains(page, shopContact) {
		b.fatalf("the page is not one clear state with the contact line:\n%s", page)
	}
	if got := b.text("#contact"); !strings.Contains(got, shopContact) {
		b.fatalf("footer %q", got)
	}
	b.shot("unconfirmed-zh")
	b.toEnglish()
	if got := b.text("h1"); got != "Payment not confirmed" {
		b.fatalf("English title %q", got)
	}
	if page := b.text("main"); strings.Contains(page, "Confirming") || !strings.Contains(page, shopContact) {
		b.fatalf("the English page:\n%s", page)
	}
	b.shot("unconfirmed-en")
}

// cardInstead: an unpaid ATM order's page offers to pay by card instead;
// the button leads to a card order in its place, paid on the bank's card
// page; the ATM order's page then shows no account and names the card
// order, in both languages.
func cardInstead(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("instead"))
	b.fillCart(1)
	atm := b.payWith("atm")
	b.waitFor("the offer to pay by card", `document.querySelector("#card-instead button")`)
	b.waitFor("the offer on the screen", onScreen("#card-instead button"))
	b.shot("atm-with-card-instead")
	b.clickNav("pay by card instead", "#card-instead button", 200)
	b.waitFor("the card order in its place", `document.querySelector("a#card-pay") && document.querySelector("#replaces")`)
	m := orderPath.FindStringSubmatch(b.location())
	if m == nil || m[1] == atm {
		b.fatalf("paying by card instead did not lead to a new order's page: %s", b.location())
	}
	card := m[1]
	if got := b.text("#replaces"); !strings.Contains(got, atm) {
		b.fatalf("the card order does not name the ATM order %s: %q", atm, got)
	}
	b.shot("card-instead")
	b.clickNav("go to the bank's card page", "a#card-pay", 200)
	b.payByCard(cardSuccess, "-instead")
	b.waitFor("the green result page", resultIs(e.app.URL, card, "success"))
	b.shot("card-instead-paid")

	b.open(e.app.URL+"/orders/"+atm, 200)
	b.waitFor("the replaced order's page", `document.querySelector("#replaced-by")`)
	if n, _ := eval[int](b, `document.querySelectorAll("#account, #card-instead").length`); n != 0 {
		b.fatalf("the replaced ATM order still offers its account or the card")
	}
	if got := b.text("#replaced-by"); !strings.Contains(got, card) || !strings.Contains(got, "請勿再轉帳") {
		b.fatalf("replaced order says %q, want the card order %s and not to transfer", got, card)
	}
	b.shot("atm-replaced")
	b.toEnglish()
	if got := b.text("#replaced-by"); !strings.Contains(got, "do not transfer") || !strings.Contains(got, card) {
		b.fatalf("replaced order in English says %q", got)
	}
	b.shot("atm-replaced-en")
	b.toChinese()
}
