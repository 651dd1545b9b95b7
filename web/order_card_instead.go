package web

import (
	"net/http"
	"net/url"
)

// orderCardInstead (POST /orders/{no}/card-instead) replaces the
// customer's unpaid ATM order with a card order of the same purchase and
// sends the browser to its page, where the card page is one click away
// (payment.Service.CardInstead). Clicked twice, it goes to the same card
// order. The ATM order's page then shows no account to transfer to.
func (s *Server) orderCardInstead(w http.ResponseWriter, r *http.Request) {
	c := s.loggedIn(r.Context(), w, r)
	if c == nil {
		return
	}
	if _, err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	no := r.PathValue("no")
	o, err := s.pay.CardInstead(r.Context(), c.ID, no)
	if err != nil {
		s.failBack(w, r, err, "/orders/"+url.PathEscape(no))
		return
	}
	http.Redirect(w, r, "/orders/"+url.PathEscape(o.No), http.StatusSeeOther)
}
