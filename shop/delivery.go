package shop

import (
	"fmt"
	"time"
)

// Source is where something the shop learnt about a payment came from: a
// callback of the bank, one of the shop's own queries, or an admin.
type Source string

const (
	SourceNotify    Source = "notify"    // the bank's notification (POST /funbiz/notify)
	SourceReturn    Source = "return"    // the browser's return from the card page (POST /funbiz/return)
	SourceReconcile Source = "reconcile" // the reconciliation sweep's query
	SourceExpiry    Source = "expiry"    // the expiry job's query
	SourceAdmin     Source = "admin"     // an operation of the back office
)

// Sources lists every source.
var Sources = []Source{SourceNotify, SourceReturn, SourceReconcile, SourceExpiry, SourceAdmin}

// DeliverySources lists the sources that deliver PayTokens: the bank's two
// callbacks.
var DeliverySources = []Source{SourceNotify, SourceReturn}

// Delivery is one delivery of a PayToken by one of the bank's callbacks:
// one row of the PayToken log. A PayToken is a hint, not proof; confirming
// it with the bank gives its Outcome.
type Delivery struct {
	ID         int64
	Ref        string // random reference, safe to show in a URL
	Token      string
	ShopNo     string
	Source     Source // SourceNotify or SourceReturn
	ReceivedAt time.Time
	// OrderNo is the order the bank said the token is for; empty until
	// confirmed, and for a token the bank does not know.
	OrderNo     string
	Outcome     Outcome // what confirming it did; zero until processed
	ProcessedAt time.Time
	// Lane is where it waited for its confirmation.
	Lane Lane
	// Attempts is how often a worker has taken it to confirm.
	Attempts int
}

// Lane is the queue a callback waits in for its confirmation. Anyone can
// post a notification, so the bank's must not wait behind a flood of
// forged ones: notifications from the bank's known addresses, and the
// browser's returns, are confirmed first; notifications
// from any other address wait behind them, in a queue of bounded length
// where a PayToken already recorded costs nothing.
type Lane int

const (
	// LaneKnown is the bank's known addresses and the browser's returns.
	LaneKnown Lane = 0
	// LaneOther is notifications from any other address.
	LaneOther Lane = 1
)

func (l Lane) String() string {
	switch l {
	case LaneKnown:
		return "known"
	case LaneOther:
		return "other"
	}
	return fmt.Sprintf("lane(%d)", int(l))
}

// Processed reports whether the delivery has been confirmed with the bank.
func (d *Delivery) Processed() bool { return !d.ProcessedAt.IsZero() }

// AsRef refers to d, for a delivery that repeats it.
func (d *Delivery) AsRef() DeliveryRef {
	return DeliveryRef{ID: d.ID, Ref: d.Ref, Source: d.Source, ReceivedAt: d.ReceivedAt}
}

// DeliveryRef refers to the delivery another one repeats: enough to say
// it in words (its source and when it came) and to link to it (its Ref).
type DeliveryRef struct {
	ID         int64
	Ref        string
	Source     Source
	ReceivedAt time.Time
}

// OutcomeKind is what confirming a delivery with the bank found.
type OutcomeKind string

const (
	OutcomePaid     OutcomeKind = "paid"     // the bank says the order is paid
	OutcomeFailed   OutcomeKind = "failed"   // the bank says the card payment failed
	OutcomeMismatch OutcomeKind = "mismatch" // the bank's answer names our order with other terms; the order awaits review
	OutcomeRefused  OutcomeKind = "refused"  // the bank does not know the token: forged or mistyped
	OutcomeNotOurs  OutcomeKind = "not-ours" // the bank's answer names an order we do not have, or another shop
)

// OutcomeKinds lists every kind of outcome.
var OutcomeKinds = []OutcomeKind{OutcomePaid, OutcomeFailed, OutcomeMismatch, OutcomeRefused, OutcomeNotOurs}

// Outcome is what confirming one delivery of a PayToken did. The zero
// Outcome is that of a delivery not confirmed yet.
type Outcome struct {
	Kind OutcomeKind
	// Detail is why, in the bank's words (OutcomeRefused) or in the
	// check's (OutcomeMismatch, OutcomeNotOurs), kept as they are; often
	// empty.
	Detail string
	// Unchanged says the order already was as the bank's answer says, so
	// confirming this delivery changed nothing.
	Unchanged bool
	// Repeats is the earlier delivery of the same PayToken that asked the
	// bank: this one reused its answer (Kind and Detail) without asking
	// again, and changed nothing. Nil for a delivery that asked the bank
	// itself.
	Repeats *DeliveryRef
}

// Repeat is the outcome of a delivery that repeats earlier, a delivery of
// the same PayToken already confirmed: earlier's answer, and the delivery
// that asked the bank for it.
func Repeat(earlier *Delivery) Outcome {
	first := earlier.AsRef()
	if r := earlier.Outcome.Repeats; r != nil && r.ID != 0 {
		first = *r
	}
	return Outcome{Kind: earlier.Outcome.Kind, Detail: earlier.Outcome.Detail, Repeats: &first}
}
