package web

import (
	"context"
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
	// ShipTo is where the goods go: the customer's last address at
	// first, what they typed when the form comes back.
	ShipTo shop.ShipTo
	// Problems says, per field (ship_name…), what is wrong with it: a
	// locale key.
	Problems map[string]string
	// Cities are the choices of city or county.
	Cities []string
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
	p, err := s.newCheckoutPage(ctx, r, lines, randomHex(16), shop.PayType(r.URL.Query().Get("pay")))
	if err != nil {
		s.failBack(w, r, err, "/")
		return
	}
	if p.ShipTo, err = s.db.LastShipTo(ctx, c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newView(r, c, "checkout.title", p)
	s.render(w, http.StatusOK, "checkout", v)
}

// newCheckoutPage prices lines from the catalogue for the checkout page,
// with pay chosen when it can be.
func (s *Server) newCheckoutPage(ctx context.Context, r *http.Request, lines []shop.CartLine, key string, pay shop.PayType) (checkoutPage, error) {
	products, err := s.db.Products(ctx)
	if err != nil {
		return checkoutPage{}, err
	}
	items, total, err := shop.PriceCart(products, lines, langOf(r))
	if err != nil {
		return checkoutPage{}, err
	}
	p := checkoutPage{
		Items: items, Total: total, Key: key,
		ATMMax: s.pay.ATMMax(), ATMOK: s.pay.Payable(shop.PayATM, total) == nil, ATMLarge: total > shop.NonDesignatedLimit,
		BackURL: "/?" + cartQuery(items),
		Pay:     pay,
		Cities:  shop.Cities,
	}
	if !p.Pay.Valid() || (p.Pay == shop.PayATM && !p.ATMOK) {
		p.Pay = shop.PayATM
		if !p.ATMOK {
			p.Pay = shop.PayCard
		}
	}
	return p, nil
}
