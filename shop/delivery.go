package shop

import "time"

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
	Outcome     string // what confirming it did; empty until processed
	ProcessedAt time.Time
}

// Processed reports whether the delivery has been confirmed with the bank.
func (d *Delivery) Processed() bool { return !d.ProcessedAt.IsZero() }
