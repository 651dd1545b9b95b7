package web

import (
	"net/http"
	"net/url"

	"github.com/sinopay/sinopay/shop"
)

// adminPayTokenRetry asks the bank about a callback not confirmed yet at
// once rather than at its next try (POST /admin/paytokens/{id}/retry): a
// worker takes it within moments. Back to the log, at the query the
// admin came from.
func (s *Server) adminPayTokenRetry(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	back := "/admin/paytokens"
	if q := form.Get("q"); q != "" {
		back += "?q=" + url.QueryEscape(q)
	}
	if err := s.pay.ConfirmSoon(ctx, id); err != nil {
		if !shop.IsCode(err, shop.NotFound) {
			err = shop.Wrap(shop.Unavailable, "error.unavailable", err, "retry PayToken %d", id)
		}
		s.adminFail(w, r, a, err, back)
		return
	}
	s.log.InfoContext(r.Context(), "callback's confirmation tried again from the back office", "pay_token_id", id, "admin", a.Email)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
