package web

import (
	"net/http"
	"net/url"
)

// paymentWait is where a return from the card page waits when the bank did
// not confirm it in time (GET /payments/{ref}). It reloads every 2 s and
// goes on to the order's result once the PayToken is confirmed. The page
// shows neither the PayToken nor anything else the bank sent: the ref is
// our own random reference.
func (s *Server) paymentWait(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	pt, err := s.db.PayTokenByRef(ctx, r.PathValue("ref"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !pt.ProcessedAt.IsZero() && pt.OrderNo != "" {
		http.Redirect(w, r, "/orders/"+url.PathEscape(pt.OrderNo)+"/result", http.StatusSeeOther)
		return
	}
	v := s.newView(r, s.visitor(ctx, r), "payment.title", struct{ Failed bool }{Failed: !pt.ProcessedAt.IsZero()})
	v.Refresh = pt.ProcessedAt.IsZero()
	s.render(w, http.StatusOK, "payment", v)
}
