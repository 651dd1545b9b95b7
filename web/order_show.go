package web

import (
	"net/http"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// orderPage is one order with its payment timeline.
type orderPage struct {
	orderView
	// Events is the timeline as the customer sees it: what happened and
	// when, with the amount of each refund; never who in the shop did it
	// or why (the back office's notes).
	Events []customerEvent
	// Refunds are the refunds made, oldest first.
	Refunds []refundLine
	// Again is set when a checkout form already used was sent again: the
	// pay type the second submit asked for. The page says that this is
	// the order the form made the first time, and no new one was made.
	Again shop.PayType
}

// customerEvent is one line of an order's timeline on the customer's page.
type customerEvent struct {
	At       time.Time
	Event    shop.Event
	From, To shop.Status
	Amount   shop.Money // a refund's amount; 0 for other events
}

// Moved says the event changed the order's status.
func (e customerEvent) Moved() bool { return e.From != e.To }

// refundLine is one refund, as the customer sees it.
type refundLine struct {
	At     time.Time
	Amount shop.Money
}

// isRefund says ev gave money back to the buyer.
func isRefund(ev shop.Event) bool {
	return ev == shop.EventRefunded || ev == shop.EventPartRefunded
}

// customerEvents turns the payment events into the customer's timeline
// and refunds. A whole refund the bank told us of (not the back office)
// carries no amount: it is what was left to refund.
func customerEvents(o *shop.Order, events []shop.PaymentEvent) ([]customerEvent, []refundLine) {
	var out []customerEvent
	var refunds []refundLine
	var counted shop.Money
	for _, e := range events {
		ce := customerEvent{At: e.At, Event: e.Event, From: e.From, To: e.To}
		if isRefund(e.Event) {
			amount := e.Amount
			if amount <= 0 {
				amount = max(0, refundTotal(o)-counted)
			}
			counted += amount
			ce.Amount = amount
			if amount > 0 {
				refunds = append(refunds, refundLine{At: e.At, Amount: amount})
			}
		}
		out = append(out, ce)
	}
	return out, refunds
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
	p := orderPage{orderView: newOrderView(o, s.now())}
	p.Events, p.Refunds = customerEvents(o, events)
	if again := shop.PayType(r.URL.Query().Get("again")); again.Valid() {
		p.Again = again
	}
	v := s.newView(r, c, "order.title", p)
	// An unpaid order's page follows it: the bank's answer to a fresh
	// order comes within seconds, a payment whenever the buyer makes it.
	if p.Unpaid() {
		v.Poll, v.Version = "/orders/"+o.No+"/status", orderVersion(o)
		v.Refresh = o.Bank.State == shop.BankCreating
	}
	s.render(w, http.StatusOK, "order", v)
}
