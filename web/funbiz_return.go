package web

import (
	"net/http"
	"net/url"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// funbizReturn is the ReturnURL (POST /funbiz/return): the bank's card page
// sends the customer's browser back with a form of ShopNo and PayToken.
// The post is cross-site, so it carries no session cookie (SameSite=Lax)
// and proves nothing by itself: it is recorded and confirmed with the bank
// like a notification, and the browser goes on with a 303 to a GET page,
// where its cookie is sent again: the result when the bank answered in
// time, else a page that waits for the answer.
func (s *Server) funbizReturn(w http.ResponseWriter, r *http.Request) {
	n, err := funbiz.ParseReturn(r)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "callback.bad_return")
		return
	}
	// As for a notification: nothing is recorded into a SQLite file that
	// is no longer at its path (the database logs that, once).
	if s.db.CheckFile() != nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	delivery, err := s.pay.Return(r.Context(), n)
	if err != nil {
		status := http.StatusServiceUnavailable
		if shop.IsCode(err, shop.Invalid) {
			status = http.StatusBadRequest
		} else {
			s.log.ErrorContext(r.Context(), "card return not recorded", "error", err)
		}
		s.renderError(w, r, status, shop.ErrorKey(err))
		return
	}
	if delivery.Processed() && delivery.OrderNo != "" {
		http.Redirect(w, r, s.resultURL(r.Context(), delivery.OrderNo), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/payments/"+url.PathEscape(delivery.Ref), http.StatusSeeOther)
}
