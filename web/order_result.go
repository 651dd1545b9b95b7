package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// orderResult shows the outcome of paying an order by card (GET
// /orders/{no}/result), where the return from the bank's card page ends.
// While the bank's answer is not in, the page says so and reloads itself.
func (s *Server) orderResult(w http.ResponseWriter, r *http.Request) {
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
	v := s.newView(r, c, "result.title", newOrderView(o, s.now()))
	// Only a card payment has an answer to wait for here; an ATM order
	// waits for a transfer that may take days.
	if o.PayType == shop.PayCard && o.Status == shop.StatusWaiting && o.Bank.State != shop.BankRefused {
		v.Refresh = true
		v.Poll, v.Version = "/orders/"+o.No+"/status", orderVersion(o)
	}
	s.render(w, http.StatusOK, "result", v)
}
