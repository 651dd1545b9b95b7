package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// orderState is where an order stands. It only moves forward, through
// transitions; a card page that expired unpaid is not a state but a reading
// of the clock (see payStatus), so advancing the clock needs no sweep.
type orderState string

const (
	stateWaiting    orderState = "waiting"    // created, not paid
	statePaid       orderState = "paid"       // ATM transfer received
	stateAuthorised orderState = "authorised" // card authorised, not captured (AutoBilling N)
	stateCaptured   orderState = "captured"   // card captured (AutoBilling Y, or captured later)
	stateCancelled  orderState = "cancelled"  // authorisation cancelled (OrderMaintain C)
)

// transitions is the one table of allowed moves. Refunds do not change the
// state of a captured order; they are recorded beside it.
var transitions = map[orderState][]orderState{
	stateWaiting:    {statePaid, stateAuthorised, stateCaptured},
	stateAuthorised: {stateCaptured, stateCancelled},
}

func (o *order) moveTo(next orderState) error {
	if !slices.Contains(transitions[o.State], next) {
		return fmt.Errorf("order %s cannot go from %s to %s", o.OrderNo, o.State, next)
	}
	o.State = next
	return nil
}

// order is one order of one shop. Amounts are in the wire unit, NT$ × 100.
// Only tokens are stored, never URLs: the URLs are built from BaseURL when
// answering, so a sandbox restarted on another address hands out working
// links.
type order struct {
	ShopNo     string
	OrderNo    string
	TSNo       string
	PayType    string
	Amount     int64
	PrdtName   string
	Memo       string `json:",omitempty"`
	Param1     string `json:",omitempty"`
	Param2     string `json:",omitempty"`
	Param3     string `json:",omitempty"`
	ReturnURL  string `json:",omitempty"`
	BackendURL string `json:",omitempty"`
	Created    time.Time

	// ATM orders.
	AtmPayNo   string    `json:",omitempty"`
	ATMTicket  string    `json:",omitempty"` // the TK of the WebATM/OTP links
	ExpireDate string    `json:",omitempty"` // yyyyMMdd, last day to pay
	AutoPayAt  time.Time `json:",omitzero"`

	// Card orders.
	CardToken      string    `json:",omitempty"`
	PageExpires    time.Time `json:",omitzero"`
	AutoBilling    bool      `json:",omitempty"`
	ExpBillingDays int       `json:",omitempty"`
	CaptureDue     time.Time `json:",omitzero"`

	State       orderState
	PaidAt      time.Time `json:",omitzero"` // ATM transfer, or card authorisation
	CapturedAt  time.Time `json:",omitzero"`
	CancelledAt time.Time `json:",omitzero"`
	Captured    int64     `json:",omitempty"`
	Refunds     []refund  `json:",omitempty"`
	BankNo      string    `json:",omitempty"`
	AcctNo      string    `json:",omitempty"`
	LeftCCNo    string    `json:",omitempty"`
	RightCCNo   string    `json:",omitempty"`
	CCExpDate   string    `json:",omitempty"`
	AuthCode    string    `json:",omitempty"`
	PayTokens   []string  `json:",omitempty"`
	// Misreport is what OrderQuery gets wrong about the order since a
	// mismatch chaos rule struck one of its payments.
	Misreport *misreport `json:",omitempty"`
}

type refund struct {
	Amount int64
	At     time.Time
}

type orderKey struct{ shopNo, orderNo string }

func (o *order) key() orderKey { return orderKey{o.ShopNo, o.OrderNo} }

// atmDeadline is the end of the ExpireDate day, Taiwan time.
func (o *order) atmDeadline() time.Time {
	t, _ := funbiz.EndOfDay(o.ExpireDate)
	return t
}

func (o *order) refunded() int64 {
	var n int64
	for _, r := range o.Refunds {
		n += r.Amount
	}
	return n
}

// paid reports whether the order holds money: an ATM transfer, a card
// authorisation or capture.
func (o *order) paid() bool {
	return o.State == statePaid || o.State == stateAuthorised || o.State == stateCaptured
}

// payStatus is the bank's PayStatus (PROTOCOL §8.8) at time now.
// Collected money shows 400 until its settlement (撥款) is due, and 900
// from then on, as the bank's OrderQuery does: the settlement of money
// collected on day D is due on D+1 (Taiwan time), the day AllotQuery
// lists it.
func (o *order) payStatus(now time.Time) string {
	if o.PayType == "A" {
		switch {
		case o.State == statePaid && o.settled(now):
			return "1A900"
		case o.State == statePaid:
			return "1A400"
		}
		return "1A200"
	}
	switch o.State {
	case stateAuthorised:
		return "1C300"
	case stateCaptured:
		if o.settled(now) {
			return "1C900"
		}
		return "1C400"
	case stateCancelled:
		return "1C351"
	}
	if now.After(o.PageExpires) {
		return "1C250"
	}
	return "1C200"
}

// settled reports whether the order's collected money has been settled
// by now: its settlement day (the day after the collection, Taiwan time,
// as AllotQuery counts it) has come.
func (o *order) settled(now time.Time) bool {
	at := o.payDate()
	return !at.IsZero() && settlementDay(at) <= funbiz.FormatDate(now)
}

// settlementDay is the day (yyyyMMdd, Taiwan time) that money collected
// or refunded at t is settled.
func settlementDay(t time.Time) string {
	return funbiz.FormatDate(t.In(taipei).AddDate(0, 0, 1))
}

// payDate is when the money was collected: the transfer, or the capture.
func (o *order) payDate() time.Time {
	if o.PayType == "A" {
		return o.PaidAt
	}
	return o.CapturedAt
}

// payFlag answers OrderQuery's PayFlag: for ATM, paid; for cards,
// captured (PROTOCOL §8.2).
func (o *order) payFlag() bool {
	if o.PayType == "A" {
		return o.State == statePaid
	}
	return o.State == stateCaptured
}

// payment is what a PayToken stands for: one payment attempt or one
// completed scheduled capture.
type payment struct {
	PayToken    string
	ShopNo      string
	OrderNo     string
	TSNo        string
	PayType     string
	APType      string // PayOut or CaptureOut
	Amount      int64
	Status      string // S or F
	Description string
	PayDate     time.Time
	LeftCCNo    string `json:",omitempty"`
	RightCCNo   string `json:",omitempty"`
	CCExpDate   string `json:",omitempty"`
	// Outcome and Source are for the dashboard: what happened and who
	// caused it (card page, control API, ATM transfer, auto-pay…).
	Outcome string
	Source  string
	// Misreport is what OrderPayQuery gets wrong about the payment, by a
	// mismatch chaos rule.
	Misreport *misreport `json:",omitempty"`
}

type deliveryState string

const (
	deliveryPending   deliveryState = "pending"
	deliveryDelivered deliveryState = "delivered"
	deliveryGaveUp    deliveryState = "gave-up"
	deliveryDropped   deliveryState = "dropped"
)

// delivery is one notification to a BackendURL and its attempts.
type delivery struct {
	ID       int64
	ShopNo   string
	OrderNo  string
	PayToken string
	URL      string
	Created  time.Time
	NextAt   time.Time `json:",omitzero"`
	State    deliveryState
	Failures int
	Attempts []attempt `json:",omitempty"`
	// Note says why a delivery is unusual: chaos, a resend.
	Note string `json:",omitempty"`
	// Held is set by the "reorder" chaos: the delivery waits until another
	// notification of the same order has been attempted.
	Held bool `json:",omitempty"`
}

// attempt is one try at a delivery. At is sandbox time; Latency is real.
type attempt struct {
	At         time.Time
	HTTPStatus int           `json:",omitempty"`
	Latency    time.Duration `json:",omitempty"`
	Body       string        `json:",omitempty"`
	Error      string        `json:",omitempty"`
	// Problem explains, for a receiver that did not acknowledge, what the
	// bank saw instead of 200 {"Status":"S"}.
	Problem string `json:",omitempty"`
	OK      bool
}

// refusalRecord is an API refusal kept for the dashboard.
type refusalRecord struct {
	At          time.Time
	ShopNo      string
	APIService  string
	Description string
	// SignString is the sign string the sandbox computed, for Sign
	// mismatches: compare it with yours to see which field differs.
	SignString string `json:",omitempty"`
	Remote     string
}

// shopPrefix is the ShopNo without its "_suffix": NA0249_001 → NA0249.
func shopPrefix(shopNo string) string {
	if i := strings.IndexByte(shopNo, '_'); i >= 0 {
		return shopNo[:i]
	}
	return shopNo
}
