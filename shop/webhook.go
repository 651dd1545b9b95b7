package shop

import "time"

// Webhook event types, as the API's events carry them.
const (
	WebhookSucceeded = "payment.succeeded"
	WebhookFailed    = "payment.failed"
	WebhookExpired   = "payment.expired"
	WebhookRefunded  = "payment.refunded"
	WebhookCaptured  = "payment.captured"
	WebhookCanceled  = "payment.canceled"
	WebhookReview    = "payment.review"
)

// WebhookFor is the event an order's change sends its API key, if any:
// from status from to to by ev (a partial refund keeps the status).
func WebhookFor(from, to Status, ev Event) (string, bool) {
	switch {
	case ev == EventCancelled:
		return WebhookCanceled, true
	case ev == EventCaptured:
		return WebhookCaptured, true
	case ev == EventPartRefunded:
		return WebhookRefunded, true
	case from == to:
		return "", false
	case to == StatusPaid:
		return WebhookSucceeded, true
	case to == StatusFailed:
		return WebhookFailed, true
	case to == StatusExpired:
		return WebhookExpired, true
	case to == StatusRefunded:
		return WebhookRefunded, true
	case to == StatusReview:
		return WebhookReview, true
	}
	return "", false
}

// Delivery states.
const (
	DeliveryQueued    = "queued"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event on its way to one endpoint, with the
// event it carries.
type WebhookDelivery struct {
	ID         int64
	EventRowID int64
	EventID    string // evt_…
	Type       string
	KeyID      int64
	PaymentID  string
	URL        string
	Status     string
	Attempts   int
	NextAt     time.Time
	LastStatus int
	LastError  string
	Response   string
	Body       string // the event's JSON, "" until first written
	CreatedAt  time.Time
	DoneAt     time.Time
}

// NewEventID makes an event's public id: evt_ and 96 random bits.
func NewEventID() string { return "evt_" + randomHex(12) }
