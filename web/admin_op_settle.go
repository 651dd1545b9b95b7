package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// adminOpSettle records what an admin found at the bank's own portal
// about an operation whose answer was lost (POST
// /admin/orders/{no}/ops/{id}/settle, done=yes or no), and goes back to
// the order page.
func (s *Server) adminOpSettle(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	back := "/admin/orders/" + url.PathEscape(r.PathValue("no"))
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, back)
		return
	}
	if _, err := s.pay.SettleOp(ctx, id, form.Get("done") == "yes", a); err != nil {
		s.adminFail(w, r, a, err, back)
		return
	}
	http.Redirect(w, r, back+"?op="+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
