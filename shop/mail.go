package shop

import "time"

// MailKind names why the shop writes to a customer.
type MailKind string

const (
	MailOrderReceived MailKind = "order_received" // the bank has the order: the ATM account and deadline, or the card page
	MailPaid          MailKind = "paid"           // the bank confirmed the payment
	MailFailed        MailKind = "failed"         // a card payment failed; the customer may pay again
	MailExpired       MailKind = "expired"        // an ATM order passed its deadline unpaid
	MailRefunded      MailKind = "refunded"       // money went back: the whole amount or part of it
	MailPasswordReset MailKind = "password_reset" // a link to choose a new password
	MailShipped       MailKind = "shipped"        // the goods left, with the carrier and tracking number
)

// MailKinds lists every kind, for the back office's filter and the tests.
var MailKinds = []MailKind{MailOrderReceived, MailPaid, MailFailed, MailExpired, MailRefunded, MailShipped, MailPasswordReset}

// MailStatus is where a message stands.
type MailStatus string

const (
	MailQueued MailStatus = "queued" // waiting to be sent, or to be tried again
	MailSent   MailStatus = "sent"   // the SMTP server took it
	MailKept   MailStatus = "kept"   // no SMTP server is configured: the outbox keeps it for a person to read
	MailGaveUp MailStatus = "failed" // refused for good, or out of attempts
)

// MailStatuses lists every status.
var MailStatuses = []MailStatus{MailQueued, MailSent, MailKept, MailGaveUp}

// Mail is one message of the shop's outbox: what caused it, and, once a
// sender took it, what was written.
type Mail struct {
	ID         int64
	Kind       MailKind
	CustomerID int64
	OrderID    int64 // 0 for a message about the account
	// Amount is the money the message is about, when not the order's:
	// the part refunded.
	Amount Money
	// Secret is the token of a password reset link, until the message
	// has gone to an SMTP server.
	Secret string

	// Filled when the message is rendered, at its first attempt.
	To      string
	Lang    string
	Subject string
	Text    string
	HTML    string

	Status    MailStatus
	Attempts  int
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	DoneAt    time.Time
}
