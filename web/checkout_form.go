package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// checkoutPage is the cart priced by the server, ready to pay.
type checkoutPage struct {
	Items []shop.Item
	Total shop.Money
	Key   string // one checkout form, one order, however often it is sent
	// ATMMax is the shop's own limit on ATM orders (0: none); ATMOK says
	// the total is within it.
	ATMMax shop.Money
	ATMOK  bool
	// ATMLarge: the total is more than most banks let an ATM transfer to a
	// non-designated account carry, so the page says how else to pay.
	ATMLarge bool
	BackURL  string
	// Pay is the pay type chosen: ?pay= when the page was drawn again (a
	// language switch keeps the choice there), else ATM when it can take
	// the total, else card.
	Pay shop.PayType
}

// checkoutForm prices the cart of the query and offers the two ways to pay
// (GET /checkout). Prices come from the catalogue, never from the browser.
func (s *Server) checkoutForm(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	c := s.loggedIn(ctx, w, r)
	if c == nil {
		return
	}
	lines, err := parseCart(r.URL.Query())
	if err != nil {
		s.failBack(w, r, err, "/")
		return
	}
	products, err := s.db.Products(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := langOf(r)
	items, total, err := shop.PriceCart(products, lines, lang)
	if err != nil {
		s.failBack(w, r, err, "/")
		return
	}
	p := checkoutPage{
		Items: items, Total: total, Key: randomHex(16),
		ATMMax: s.pay.ATMMax(), ATMOK: s.pay.Payable(shop.PayATM, total) == nil, ATMLarge: total > shop.NonDesignatedLimit,
		BackURL: "/?" + cartQuery(items),
		Pay:     shop.PayType(r.URL.Query().Get("pay")),
	}
	if !p.Pay.Valid() || (p.Pay == shop.PayATM && !p.ATMOK) {
		p.Pay = shop.PayATM
		if !p.ATMOK {
			p.Pay = shop.PayCard
		}
	}
	v := s.newView(r, c, "checkout.title", p)
	s.render(w, http.StatusOK, "checkout", v)
}
