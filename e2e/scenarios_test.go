package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/storage/storagetest"
)

// env is what a scenario runs against: one binary on one database, and one
// Chromium shared by the scenarios (each customer in a browser context of
// their own).
type env struct {
	db      string // sqlite or postgres: the screenshot folder
	dsn     string // the database, for the command line (sinopay admin create)
	app     *app
	browser context.Context
	vp      viewport // the screen; the zero viewport is the desktop's window
}

// newTab opens a tab for one customer of the scenario, on the scenario's
// screen.
func (e *env) newTab(t *testing.T, s *shots, label string) *tab {
	b := newTab(t, e.browser, s, label)
	b.emulate(e.vp)
	return b
}

// browserDatabases are the databases each browser suite runs on.
var browserDatabases = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "shop.db") }},
	// Skips without a PostgreSQL server, unless CI is set.
	{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
}

// groupTimeout bounds the run of one database on one screen: the browser
// and every action live under it.
const groupTimeout = 420 * time.Second

// TestBrowser runs every scenario in Chromium against the real binary, on
// SQLite and on PostgreSQL, each on the desktop and on a phone's screen
// (screenshots in screenshots/<db>/<screen>/<scenario>/).
func TestBrowser(t *testing.T) {
	requireChromium(t)
	requireAxe(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, e *env, s *shots)
	}{
		{"atm-purchase", atmPurchase},
		{"card-success", cardSuccessFlow},
		{"card-declined-then-paid", cardDeclinedThenPaid},
		{"language-switch", languageSwitch},
		{"isolation", isolation},
		{"orders-on-a-phone", ordersLayout},
		{"page-follows-payment", pageFollowsPayment},
		{"refund-shown", refundShown},
		{"names-follow-language", namesFollowLanguage},
		{"guest-checkout", guestCheckout},
		{"pay-type-kept", payTypeKept},
		{"password-rule", passwordRule},
		{"forged-return", forgedReturn},
		{"card-instead", cardInstead},
		{"pages-in-english", pagesInEnglish},
	}
	for _, db := range browserDatabases {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			a := startApp(t, dsn)
			for _, vp := range viewports {
				t.Run(vp.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), groupTimeout)
					defer cancel()
					e := &env{db: db.name, dsn: dsn, app: a, vp: vp}
					e.browser = newBrowser(t, ctx)
					for _, sc := range scenarios {
						t.Run(sc.name, func(t *testing.T) {
							sc.run(t, e, newShots(t, filepath.Join(db.name, vp.name), sc.name))
						})
					}
				})
			}
		})
	}
}

// atmPurchase: sign up, fill the cart, pay by ATM transfer; the order page
// shows the virtual account; the transfer is made on the bank's ATM page;
// the bank notifies the shop and my orders shows the order as paid.
func atmPurchase(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("atm"))
	c := b.fillCart(2, 0, 1) // 2 bones, 1 bowl
	no := b.payWith("atm")
	b.shot("order-atm")

	if got := b.text("#bank-code"); got != "807" {
		b.fatalf("bank code %q, want 807", got)
	}
	account := digits(b.text("#account"))
	if len(account) != 14 || !strings.HasPrefix(account, "99922") {
		b.fatalf("virtual account %q, want 14 digits starting 99922", account)
	}
	if box := b.text(`.card:has(#account)`); !strings.Contains(box, ntd(c.Total)) {
		b.fatalf("the transfer box does not show the amount %s:\n%s", ntd(c.Total), box)
	}

	// The shop links to the bank's WebATM page when the bank gave one.
	if n, _ := eval[int](b, `document.querySelectorAll('a[href*="/_sandbox/atm/"]').length`); n > 0 {
		b.clickNav("go to the WebATM page", `a[href*="/_sandbox/atm/"]`, 200)
	} else {
		b.open(e.app.SandboxURL+"/_sandbox/atm/"+account, 200)
	}
	b.waitFor("the bank's ATM page", `document.querySelector("button[name=which][value=exact]")`)
	if page := b.text("main"); !strings.Contains(page, account) || !strings.Contains(page, ntd(c.Total)) {
		b.fatalf("the ATM page does not show account %s and amount %s:\n%s", account, ntd(c.Total), page)
	}
	b.shot("bank-atm")
	b.clickNav("transfer the exact amount", `button[name=which][value=exact]`, 200)
	b.waitFor("the bank's receipt", `document.querySelector("main .alert-success") && !document.querySelector("button[name=which]")`)
	b.shot("bank-atm-paid")

	// The sandbox notifies the shop; a job of the shop confirms it with
	// OrderPayQuery. My orders shows it once that is done.
	b.reloadUntil("the order paid in my orders", e.app.URL+"/orders", orderRowHas(no, "付款成功"))
	b.shot("orders-paid")
	b.clickNav("open the order", fmt.Sprintf(`#orders a[href="/orders/%s"]`, no), 200)
	b.waitFor("the paid order page", `document.querySelector("#status.text-bg-success")`)
	if n, _ := eval[int](b, `document.querySelectorAll("#bank-code").length`); n != 0 {
		b.fatalf("a paid order still shows the account to transfer to")
	}
	b.shot("order-paid")
}

// cardSuccessFlow: pay by card on the bank's page with the success test
// card; the bank posts the browser back and the shop shows green.
func cardSuccessFlow(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("card"))
	c := b.fillCart(0, 1) // the dinner suit
	no := b.payWith("card")
	b.shot("order-card")
	b.clickNav("go to the bank's card page", "a#card-pay", 200)
	if page := b.text("main"); !strings.Contains(page, ntd(c.Total)) || !strings.Contains(page, no) {
		b.fatalf("the card page does not show order %s and amount %s:\n%s", no, ntd(c.Total), page)
	}
	b.payByCard(cardSuccess, "")
	b.waitFor("the green result page", resultIs(e.app.URL, no, "success"))
	if got := b.text("#result"); !strings.Contains(got, "刷卡成功") || !strings.Contains(got, ntd(c.Total)) {
		b.fatalf("result %q, want 刷卡成功 and %s", got, ntd(c.Total))
	}
	b.shot("result-paid")
	b.clickNav("go to my orders", `main a[href="/orders"]`, 200)
	b.waitFor("the order paid in my orders", orderRowHas(no, "付款成功"))
	b.shot("orders-paid")
}

// cardDeclinedThenPaid: a declined card gives the red result page with a
// button to try again; the second try, with a good card, gives green.
func cardDeclinedThenPaid(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.signUp(e.app.URL, newEmail("decline"))
	b.fillCart(0, 0, 0, 1, 1) // food and a blanket
	no := b.payWith("card")
	b.shot("order-card")
	b.clickNav("go to the bank's card page", "a#card-pay", 200)
	b.payByCard(cardDecline, "-decline")
	b.waitFor("the red result page", resultIs(e.app.URL, no, "danger")+` && document.querySelector("a#card-pay")`)
	if got := b.text("#result"); !strings.Contains(got, "刷卡失敗") {
		b.fatalf("result %q, want 刷卡失敗", got)
	}
	if got := b.text("a#card-pay"); got != "再次使用永豐信用卡刷卡" {
		b.fatalf("pay-again button %q", got)
	}
	b.shot("result-declined")

	b.clickNav("pay again by card", "a#card-pay", 200)
	b.payByCard(cardSuccess, "-again")
	b.waitFor("the green result page", resultIs(e.app.URL, no, "success"))
	b.shot("result-paid")
	b.open(e.app.URL+"/orders", 200)
	b.waitFor("the order paid in my orders", orderRowHas(no, "付款成功"))
	b.shot("orders-paid")
}

// languageSwitch: a zh-TW browser gets Chinese; the English link switches
// every page to English, also after signing up; the Chinese link switches
// back.
func languageSwitch(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.open(e.app.URL+"/", 200)
	b.waitFor("the catalogue in zh-TW", `document.documentElement.lang === "zh-TW"`)
	nav := b.text("nav")
	for _, want := range []string{"我的訂單", "庫米狗屋", "English"} {
		if !strings.Contains(nav, want) {
			b.fatalf("zh-TW navigation bar %q lacks %q", nav, want)
		}
	}
	if got := b.text("h1"); got != "庫米狗屋商品" {
		b.fatalf("zh-TW catalogue title %q, want 庫米狗屋商品", got)
	}
	b.shot("catalogue-zh")

	b.clickNav("switch to English", `nav a[href^="/lang/en"]`, 200)
	b.waitFor("the catalogue in English", `location.pathname === "/" && document.documentElement.lang === "en"`)
	if nav := b.text("nav"); !strings.Contains(nav, "My orders") || !strings.Contains(nav, "中文") {
		b.fatalf("English navigation bar %q", nav)
	}
	if got := b.text("h1"); got != "KummyShop products" {
		b.fatalf("English catalogue title %q, want KummyShop products", got)
	}
	b.shot("catalogue-en")

	// The choice is a cookie: it holds on every page, logged in or not.
	b.clickNav("open the sign-up form", `nav a[href^="/signup"]`, 200)
	b.waitFor("the English sign-up form", `document.documentElement.lang === "en"`)
	if got := b.text("form[action='/signup'] button[type=submit]"); got != "Sign up" {
		b.fatalf("sign-up button %q, want Sign up", got)
	}
	b.shot("signup-en")
	email := newEmail("lang")
	b.fillInput("email", email)
	b.fillInput("password", password)
	b.clickNav("sign up", `form[action="/signup"] button[type=submit]`, 200)
	b.waitFor("the English catalogue, logged in",
		fmt.Sprintf(`document.documentElement.lang === "en" && document.querySelector("nav .navbar-text")?.innerText.trim() === %s`, jsString(email)))
	b.shot("catalogue-en-logged-in")
	b.clickNav("open my orders", `nav a[href="/orders"]`, 200)
	b.waitFor("my orders in English", `document.documentElement.lang === "en"`)
	if got := b.text("h1"); got != "My orders" {
		b.fatalf("orders title %q, want My orders", got)
	}
	b.shot("orders-en")

	b.clickNav("switch back to Chinese", `nav a[href^="/lang/zh-TW"]`, 200)
	b.waitFor("my orders in zh-TW", `location.pathname === "/orders" && document.documentElement.lang === "zh-TW"`)
	if got := b.text("h1"); got != "我的訂單" {
		b.fatalf("orders title %q, want 我的訂單", got)
	}
	b.shot("orders-zh")
}

// isolation: customer B, in another browser context, cannot see customer
// A's order or its result; both answer the shop's 404 page.
func isolation(t *testing.T, e *env, s *shots) {
	a := e.newTab(t, s, "a")
	a.signUp(e.app.URL, newEmail("alice"))
	a.fillCart(1)
	no := a.payWith("atm")
	a.shot("order")

	b := e.newTab(t, s, "b")
	b.open(e.app.URL+"/", 200)
	if n, _ := eval[int](b, `document.querySelectorAll("nav .navbar-text").length`); n != 0 {
		b.fatalf("a new browser context is logged in already")
	}
	b.signUp(e.app.URL, newEmail("bob"))
	for _, path := range []string{"/orders/" + no, "/orders/" + no + "/result"} {
		b.open(e.app.URL+path, 404)
		if got := b.text("#message"); got != "找不到這個頁面或訂單。" {
			b.fatalf("%s: message %q, want the not-found text", path, got)
		}
		if page := b.text("body"); strings.Contains(page, no) {
			b.fatalf("%s: the 404 page shows A's order number", path)
		}
		b.shot("not-found" + strings.ReplaceAll(strings.TrimPrefix(path, "/orders/"+no), "/", "-"))
	}
	b.open(e.app.URL+"/orders", 200)
	if n, _ := eval[int](b, `document.querySelectorAll("#orders tbody tr").length`); n != 0 {
		b.fatalf("B's order list has %d rows, want none", n)
	}
	b.shot("orders-empty")

	// A still sees it: the 404 is about B, not a broken order.
	a.open(e.app.URL+"/orders/"+no, 200)
	a.waitFor("A's order page", `document.querySelector("#bank-code")`)
	a.shot("order-again")
}
