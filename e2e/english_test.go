package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// These scenarios walk the pages in English, so that axe (run on every
// page photographed) checks the English words too: their length changes
// what wraps and what is cut, and their lang what a screen reader speaks.

// inEnglish is a condition: the page is written in English.
const inEnglish = `document.documentElement.lang === "en"`

// pagesInEnglish: the catalogue, a product, sign-up, log-in, my orders,
// an ATM order waiting for its transfer, and a card order once paid, all
// in English.
func pagesInEnglish(t *testing.T, e *env, s *shots) {
	b := e.newTab(t, s, "")
	b.open(e.app.URL+"/", 200)
	b.toEnglish()
	b.shot("catalogue")
	b.clickNav("open a product", `#cart a[href^="/products/"]`, 200)
	b.waitFor("a product in English", `location.pathname.startsWith("/products/") && document.querySelector("#product-name") && `+inEnglish)
	b.shot("product")
	b.open(e.app.URL+"/login", 200)
	b.waitFor("the log-in page in English", `document.querySelector("form[action='/login'] #email") && `+inEnglish)
	b.shot("login")

	b.signUp(e.app.URL, newEmail("english")) // the catalogue and the sign-up form, in English
	b.waitFor("the catalogue in English, logged in", inEnglish)
	b.fillCart(2)
	atm := b.payWith("atm")
	b.waitFor("the ATM order in English", inEnglish)
	b.shot("order-atm")

	b.open(e.app.URL+"/", 200)
	b.fillCart(0, 1)
	card := b.payWith("card")
	b.clickNav("go to the bank's card page", "a#card-pay", 200)
	b.payByCard(cardSuccess, "")
	b.waitFor("the green result page", resultIs(e.app.URL, card, "success"))
	b.waitFor("the result in English", inEnglish)
	b.shot("result-paid")
	b.open(e.app.URL+"/orders/"+card, 200)
	b.waitFor("the paid card order in English", `document.querySelector("#status.text-bg-success") && `+inEnglish)
	b.shot("order-card-paid")

	// The unpaid ATM order is a tinted row, with its links and buttons.
	b.open(e.app.URL+"/orders", 200)
	b.waitFor("my orders in English", orderRowHas(atm, "Show ATM account")+` && `+orderRowHas(card, "Paid")+` && `+inEnglish)
	b.shot("orders")
}

// adminPagesInEnglish: every page of the back office in English, with
// orders in several states on the list: one waiting for a transfer, one
// waiting for capture, one paid by ATM.
func adminPagesInEnglish(t *testing.T, e *adminEnv, s *shots) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	paid := paidATMOrder(t, ctx, e)
	c := e.newTab(t, s, "customer")
	c.signUp(e.app.URL, newEmail("englishbuyer"))
	authorised, _ := c.buyByCard(e.app.URL, 1)
	c.open(e.app.URL+"/", 200)
	c.fillCart(1)
	waiting := c.payWith("atm")

	a := e.newTab(t, s, "admin")
	a.logIn(e.app.URL, e.admin, "/admin/orders")
	a.clickNav("switch to English", `#admin-nav a[href^="/lang/en"]`, 200)
	a.waitFor("the order list in English", `location.pathname === "/admin/orders" && `+inEnglish)
	for _, no := range []string{paid, authorised, waiting} {
		a.waitFor("order "+no+" listed", fmt.Sprintf(`document.querySelector('#orders tr[data-no=%q]')`, no))
	}
	a.shot("orders")
	for _, no := range []string{waiting, authorised, paid} {
		a.open(e.app.URL+"/admin/orders/"+no, 200)
		a.waitFor("order "+no+" in English", `document.querySelector("#ours .card-header")?.innerText === "Our record"`)
		a.shot("order-" + no)
	}
	a.open(e.app.URL+"/admin/orders/"+authorised+"/capture", 200)
	a.waitFor("the capture form in English", `document.getElementById("reason") && `+inEnglish)
	a.shot("capture-form")
	for _, p := range []struct{ path, ready, name string }{
		{"/admin/orders?status=to_ship", `document.querySelector("#orders")`, "to-ship"},
		{"/admin/packing?no=" + paid, `document.getElementById("slip-` + paid + `")`, "packing-list"},
		{"/admin/products", `document.querySelector("#products tbody tr a")`, "products"},
		{"/admin/products/new", `document.querySelector("form[action='/admin/products']")`, "product-new"},
		{"/admin/paytokens", `document.querySelector("h1")`, "paytokens"},
		{"/admin/jobs", `document.querySelector("h1")`, "jobs"},
		{"/admin/reports", `document.querySelector("h1")`, "reports"},
		{"/admin/mail", `document.querySelector("h1")`, "mail"},
		{"/admin/apikeys", `document.querySelector("h1")`, "apikeys"},
	} {
		a.open(e.app.URL+p.path, 200)
		a.waitFor(p.name+" in English", p.ready+` && `+inEnglish)
		a.shot(p.name)
	}
	a.open(e.app.URL+"/admin/products", 200)
	a.clickNav("open a product", `#products tbody tr a[href^="/admin/products/"]`, 200)
	a.waitFor("a product's form in English", `document.querySelector("form[action^='/admin/products/']") && `+inEnglish)
	a.shot("product-edit")
	a.open(e.app.URL+"/admin/nothing-here", 404)
	a.waitFor("the back office's 404 in English", inEnglish)
	a.shot("not-found")
}
