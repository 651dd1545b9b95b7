package web

import (
	"encoding/hex"
	"net/http"
	"net/url"

	"github.com/sinopay/sinopay/shop"
)

// checkoutSubmit places the order (POST /checkout) and sends the browser to
// its page. The form carries the cart lines, the pay type, where the goods
// go (a field that is wrong brings the form back, saying why next to it)
// and the checkout key; any amount in it is ignored, since payment.Checkout prices the cart
// again from the catalogue. A second submit of the same form finds the
// first order by its key; when that order is paid another way than the
// form now asks, its page says so: the form may come back from the
// browser's history with another pay type chosen, and the customer must
// not think that choice was taken.
func (s *Server) checkoutSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context() // Checkout bounds its own bank call
	c := s.loggedIn(ctx, w, r)
	if c == nil {
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lines, err := parseCart(form)
	if err != nil {
		s.failBack(w, r, err, "/")
		return
	}
	key := form.Get("key")
	if _, err := hex.DecodeString(key); err != nil || len(key) != 32 {
		s.failBack(w, r, shop.Errorf(shop.Invalid, "checkout.expired_form", "bad checkout key"), backToCart(form))
		return
	}
	payType := shop.PayType(form.Get("pay_type"))
	if !payType.Valid() {
		s.failBack(w, r, shop.Errorf(shop.Invalid, "checkout.bad_pay_type", "pay type %q", payType), backToCart(form))
		return
	}
	ship := shop.NormShipTo(shop.ShipTo{Name: form.Get("ship_name"), Phone: form.Get("ship_phone"), PostalCode: form.Get("ship_postal"),
		City: form.Get("ship_city"), District: form.Get("ship_district"), Street: form.Get("ship_street")})
	if problems := ship.Problems(); len(problems) > 0 {
		// The form comes back with what was typed and, next to each
		// field, what is wrong with it.
		tctx, cancel := s.timeout(r)
		defer cancel()
		p, err := s.newCheckoutPage(tctx, r, lines, key, payType)
		if err != nil {
			s.failBack(w, r, err, "/")
			return
		}
		p.ShipTo, p.Problems = ship, problems
		s.render(w, http.StatusBadRequest, "checkout", s.newView(r, c, "checkout.title", p))
		return
	}
	o, err := s.pay.CheckoutTo(ctx, c.ID, key, lines, payType, ship)
	if err != nil {
		s.failBack(w, r, err, backToCart(form))
		return
	}
	// An order of another pay type than asked for is the one the form
	// made before: its page says so, and that the choice was not taken. A
	// second submit with the same choice (a double click) is the order
	// wanted, and says nothing.
	to := "/orders/" + url.PathEscape(o.No)
	if o.PayType != payType {
		to += "?again=" + string(payType)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
