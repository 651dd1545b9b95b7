package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// orderPage is one order with its payment timeline.
type orderPage struct {
	orderView
	Events []shop.PaymentEvent
}

// orderShow shows one of the customer's orders (GET /orders/{no}): how to
// pay it, its items and its payment events. Another customer's order is
// not found, exactly like a missing one.
func (s *Server) orderShow(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	c := s.loggedIn(ctx, w, r)
	if c == nil {
		return
	}
	o, err := s.db.CustomerOrder(ctx, c.ID, r.PathValue("no"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := s.db.Events(ctx, o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newView(r, c, "order.title", orderPage{orderView: newOrderView(o, s.now()), Events: events})
	// The bank's answer to a fresh order comes within seconds.
	v.Refresh = o.Bank.State == shop.BankCreating
	s.render(w, http.StatusOK, "order", v)
}
