package shop

import "fmt"

// Status is the payment state of an order. It changes only through Next,
// the one transition table.
type Status string

const (
	StatusWaiting  Status = "W" // created at the bank, not paid yet
	StatusPaid     Status = "S" // the bank confirmed the payment
	StatusFailed   Status = "F" // the last card attempt failed; the buyer may pay again
	StatusExpired  Status = "E" // the bank confirmed it was never paid before expiry
	StatusRefunded Status = "R" // the whole amount was refunded
	StatusReview   Status = "V" // the bank's answer did not match the order; a person must look
)

// Statuses lists every status, for tests and admin filters.
var Statuses = []Status{StatusWaiting, StatusPaid, StatusFailed, StatusExpired, StatusRefunded, StatusReview}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether no event from the bank can change s any more.
func (s Status) Final() bool {
	return s == StatusRefunded || s == StatusReview
}

// Event is something the bank told us about an order, after we checked its
// signed answer. Callbacks never become events by themselves.
type Event string

const (
	EventPaid     Event = "paid"     // a payment of the right order and amount succeeded
	EventFailed   Event = "failed"   // a card attempt failed
	EventExpired  Event = "expired"  // the bank says the order is unpaid and past its expiry
	EventRefunded Event = "refunded" // the whole amount was refunded
	EventMismatch Event = "mismatch" // the bank's answer names our order with another amount

	// The back office's events: the bank accepted an OrderMaintain the
	// shop's staff asked for.
	EventCancelled    Event = "cancelled"     // an uncaptured card authorisation was cancelled: nothing is charged
	EventCaptured     Event = "captured"      // an authorisation was captured; the status stays paid (timeline only)
	EventPartRefunded Event = "part_refunded" // part of what was paid went back; the status stays paid (timeline only)

	// Shipping, marked in the back office (timeline only).
	EventShipped   Event = "shipped"   // the goods left, with a carrier and tracking number
	EventUnshipped Event = "unshipped" // a shipment marked by mistake was taken back
)

// Events lists every event.
var Events = []Event{EventPaid, EventFailed, EventExpired, EventRefunded, EventMismatch, EventCancelled, EventCaptured, EventPartRefunded,
	EventShipped, EventUnshipped}

// transitions is the whole state machine. An event absent for a state is
// ignored: a late or duplicate message never moves an order backwards, so
// nothing turns a paid order into a failed one. Money the bank confirms
// always counts: a payment after a failed attempt or after expiry makes the
// order paid, because the buyer's money has moved.
var transitions = map[Status]map[Event]Status{
	StatusWaiting: {
		EventPaid:     StatusPaid,
		EventFailed:   StatusFailed,
		EventExpired:  StatusExpired,
		EventMismatch: StatusReview,
	},
	StatusFailed: {
		EventPaid:     StatusPaid,
		EventExpired:  StatusExpired,
		EventMismatch: StatusReview,
	},
	StatusExpired: {
		EventPaid:     StatusPaid,
		EventMismatch: StatusReview,
	},
	// A cancelled authorisation ends like a whole refund: the buyer keeps
	// all the money, and nothing can happen to the order any more.
	StatusPaid: {
		EventRefunded:  StatusRefunded,
		EventCancelled: StatusRefunded,
	},
}

// Next returns the status an order in from moves to on ev, and whether it
// moves at all. An unknown status or event is an error.
func Next(from Status, ev Event) (Status, bool, error) {
	if !from.Valid() {
		return from, false, Errorf(Internal, "", "unknown order status %q", from)
	}
	known := false
	for _, e := range Events {
		known = known || e == ev
	}
	if !known {
		return from, false, Errorf(Internal, "", "unknown payment event %q", ev)
	}
	to, ok := transitions[from][ev]
	if !ok || to == from {
		return from, false, nil
	}
	return to, true, nil
}

// rank orders statuses by how far along they are, for the property that
// no transition goes backwards.
func rank(s Status) int {
	switch s {
	case StatusWaiting:
		return 0
	case StatusFailed, StatusExpired:
		return 1
	case StatusPaid, StatusReview:
		return 2
	case StatusRefunded:
		return 3
	}
	panic(fmt.Sprintf("rank of unknown status %q", s))
}
