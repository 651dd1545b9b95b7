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
	delivery, err := s.db.PayTokenByRef(ctx, r.PathValue("ref"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if delivery.Processed() && delivery.OrderNo != "" {
		http.Redirect(w, r, s.resultURL(ctx, delivery.OrderNo), http.StatusSeeOther)
		return
	}
	// One state at a time: waiting, or (the bank did not confirm a payment
	// for this return: a forged or broken return, or one the bank cannot
	// find) unconfirmed, with its own title.
	title := "payment.title"
	if delivery.Processed() {
		title = "payment.unconfirmed_title"
	}
	v := s.newView(r, s.visitor(ctx, r), title, struct{ Failed bool }{Failed: delivery.Processed()})
	if !delivery.Processed() {
		v.Refresh = true
		v.Poll, v.Version = "/payments/"+url.PathEscape(delivery.Ref)+"/status", "waiting"
	}
	s.render(w, http.StatusOK, "payment", v)
}
