package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chromedp/chromedp"
)

// What a customer sees and types, in one place.
const (
	password = "kummy-dog-house-2026"

	// The sandbox's test cards (funbiz/sandbox/README.md).
	cardSuccess = "4000-2211-1111-1111"
	cardDecline = "4000-0000-0000-0002"
)

// cardExpiry is a card expiry (MM/YY) safely in the future.
func cardExpiry() string { return fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100) }

var emailSeq atomic.Int64

// newEmail is a fresh address for one customer of one scenario.
func newEmail(who string) string {
	return fmt.Sprintf("%s-%d-%d@example.com", who, time.Now().UnixNano(), emailSeq.Add(1))
}

// ntd writes whole NT$ as the pages do: NT$1,234.
func ntd(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return "NT$" + s
}

// signUp goes from the catalogue to the sign-up form by the navigation
// bar, opens an account and comes back to the catalogue logged in.
func (b *tab) signUp(shop, email string) {
	b.t.Helper()
	b.open(shop+"/", 200)
	b.shot("catalogue-visitor")
	b.clickNav("open the sign-up form", `nav a[href^="/signup"]`, 200)
	b.waitFor("the sign-up form", `document.querySelector("form[action='/signup'] #email")`)
	b.shot("signup")
	b.fillInput("email", email)
	b.fillInput("password", password)
	b.clickNav("sign up", `form[action="/signup"] button[type=submit]`, 200)
	b.waitFor("the catalogue, logged in",
		fmt.Sprintf(`location.pathname === "/" && document.querySelector("nav .navbar-text")?.innerText.trim() === %s`, jsString(email)))
}

// fillInput types value into the input with that id, replacing what is
// there, as a person would.
func (b *tab) fillInput(id, value string) {
	b.t.Helper()
	// Cleared through the value property, not the attribute: chromedp's
	// Clear sets the attribute, and the DOM event that follows races (in
	// chromedp v0.23) with SendKeys reading the node's attributes, which
	// the race detector reports. (chromedp.SetValue cannot set "".)
	b.do("find #"+id, chromedp.WaitReady(chromedp.ID(id)))
	if _, err := eval[bool](b, fmt.Sprintf(`(e => (e.value = "", true))(document.getElementById(%s))`, jsString(id))); err != nil {
		b.fatalf("clearing #%s: %v", id, err)
	}
	b.do("type into #"+id, chromedp.SendKeys(chromedp.ID(id), value))
	if got, err := eval[string](b, fmt.Sprintf(`document.getElementById(%s).value`, jsString(id))); err != nil || got != value {
		b.fatalf("#%s holds %q after typing %q (%v)", id, got, value, err)
	}
}

// cart is what the customer put in the cart and what it costs.
type cart struct {
	Total int64
	Lines int
}

// fillCart sets quantities on the catalogue, one per product in catalogue
// order (0 leaves a product out), checks the live total the page shows,
// and goes to checkout. It returns the cart as the catalogue priced it.
func (b *tab) fillCart(qty ...int) cart {
	b.t.Helper()
	b.waitFor("the catalogue", `location.pathname === "/" && document.querySelector("#cart input[data-price]")`)
	type product struct {
		ID    string `json:"id"`
		Price int64  `json:"price"`
	}
	products, err := eval[[]product](b, `[...document.querySelectorAll("#cart input[data-price]")].map(i => ({id: i.id, price: parseInt(i.dataset.price, 10)}))`)
	if err != nil {
		b.fatalf("reading the catalogue: %v", err)
	}
	if len(products) < len(qty) {
		b.fatalf("the catalogue has %d products, want at least %d", len(products), len(qty))
	}
	var c cart
	for i, n := range qty {
		if n == 0 {
			continue
		}
		b.fillInput(products[i].ID, strconv.Itoa(n))
		c.Total += int64(n) * products[i].Price
		c.Lines++
	}
	// The total is a preview by static/cart.js; seeing it proves the
	// script loaded under the page's Content-Security-Policy.
	b.waitFor("the catalogue's live total "+ntd(c.Total),
		fmt.Sprintf(`document.querySelector("#total").innerText.trim() === %s`, jsString(ntd(c.Total))))
	b.shot("catalogue-cart")
	b.clickNav("go to checkout", `#cart button[type=submit]`, 200)
	b.waitFor("the checkout page", `location.pathname === "/checkout" && document.querySelector("form[action='/checkout'][method=post]")`)
	if got := b.text("#total"); got != ntd(c.Total) {
		b.fatalf("checkout total %q, want %q (the server prices the cart again)", got, ntd(c.Total))
	}
	if n, _ := eval[int](b, `document.querySelectorAll("form[action='/checkout'] input[name^='q_']").length`); n != c.Lines {
		b.fatalf("checkout carries %d cart lines, want %d", n, c.Lines)
	}
	return c
}

var orderPath = regexp.MustCompile(`/orders/([^/?#]+)$`)

// fillDelivery fills in the checkout's delivery, unless the page offers
// the customer's last one: then it checks that it does.
func (b *tab) fillDelivery() {
	b.t.Helper()
	if name, err := eval[string](b, `document.getElementById("ship_name").value`); err != nil {
		b.fatalf("the checkout has no delivery: %v", err)
	} else if name != "" {
		if phone, _ := eval[string](b, `document.getElementById("ship_phone").value`); phone != "0912345678" {
			b.fatalf("the last delivery offered again has phone %q", phone)
		}
		return
	}
	b.fillInput("ship_name", "王小明")
	b.fillInput("ship_phone", "0912345678")
	b.fillInput("ship_postal", "100")
	b.do("choose the city", chromedp.SetValue(chromedp.ID("ship_city"), "臺北市"))
	b.fillInput("ship_district", "中正區")
	b.fillInput("ship_street", "重慶南路一段122號")
}

// payWith fills in the delivery, chooses ATM ("atm") or card ("card") on the checkout page, places
// the order, and returns its number once the order page shows how to pay
// (the page reloads itself while the bank has not answered).
func (b *tab) payWith(how string) string {
	b.t.Helper()
	b.fillDelivery()
	b.click("choose "+how, "#pay_"+how)
	b.waitFor(how+" chosen", fmt.Sprintf(`document.querySelector("#pay_%s").checked`, how))
	b.shot("checkout-" + how)
	b.clickNav("place the order", `form[action="/checkout"] button[type=submit]`, 200)
	m := orderPath.FindStringSubmatch(b.location())
	if m == nil {
		b.fatalf("placing the order did not lead to an order page")
	}
	ready := `document.querySelector("#bank-code")`
	if how == "card" {
		ready = `document.querySelector("a#card-pay")`
	}
	b.waitFor("the order page with a way to pay", ready)
	return m[1]
}

// orderRowHas is a condition: the order list has a row for order no whose
// text contains want.
func orderRowHas(no, want string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.closest("tr")?.innerText || "").includes(%s)`,
		jsString(`#orders a[href="/orders/`+no+`"]`), jsString(want))
}

// digits keeps the digits of s.
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// payByCard fills the sandbox's card page with a test card and sends it.
// The page answers with a form that posts itself back to the shop, so the
// caller waits for where that ends.
func (b *tab) payByCard(number, name string) {
	b.t.Helper()
	b.waitFor("the bank's card page", `location.pathname.startsWith("/_sandbox/card/") && document.querySelector("#number")`)
	b.shot("card-page" + name)
	b.fillInput("number", number)
	b.fillInput("exp", cardExpiry())
	b.fillInput("cvc", "123")
	b.shot("card-filled" + name)
	b.click("pay on the card page", `button[name=action][value=card]`)
}

// resultIs is a condition: the browser is on order no's result page and it
// shows the given Bootstrap colour (success or danger).
func resultIs(shop, no, colour string) string {
	return fmt.Sprintf(`location.href === %s && document.querySelector("#result.text-bg-%s")`,
		jsString(shop+"/orders/"+no+"/result"), colour)
}
