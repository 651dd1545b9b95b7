package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// adminOpResolve asks the bank again what became of an operation whose
// answer was lost (POST /admin/orders/{no}/ops/{id}/resolve), and goes
// back to the order page.
func (s *Server) adminOpResolve(w http.ResponseWriter, r *http.Request) {
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
	if _, err := s.pay.ResolveOp(ctx, id); err != nil {
		s.adminFail(w, r, a, err, back)
		return
	}
	http.Redirect(w, r, back+"?op="+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
