package shop

import (
	"strings"
	"time"
	"unicode/utf8"
)

// CaptureMode says how a card order's authorisation becomes a charge.
type CaptureMode string

const (
	// CaptureAuto is the bank's AutoBilling Y: the card is charged at once.
	CaptureAuto CaptureMode = "auto"
	// CaptureManual is AutoBilling N: the bank only authorises, and the
	// shop captures (or cancels) from the back office, e.g. once the goods
	// have shipped. Until then the order is paid but not captured: the
	// buyer's money is held, not taken.
	CaptureManual CaptureMode = "manual"
)

// Valid reports whether m is a known mode.
func (m CaptureMode) Valid() bool { return m == CaptureAuto || m == CaptureManual }

// AwaitingCapture reports whether o is a paid card order whose
// authorisation the shop has still to capture or cancel (the bank's
// PayStatus 1C300).
func (o *Order) AwaitingCapture() bool {
	return o.PayType == PayCard && o.Capture == CaptureManual && o.Status == StatusPaid && o.CapturedAt.IsZero()
}

// Collected is the money the bank has taken from the buyer for o, before
// refunds: the whole amount of a paid order, except that a manual-capture
// order has collected only what was captured (nothing before its capture,
// nothing after its authorisation was cancelled).
func (o *Order) Collected() Money {
	if o.Status != StatusPaid && o.Status != StatusRefunded {
		return 0
	}
	if o.PayType == PayCard && o.Capture == CaptureManual {
		return o.Captured
	}
	return o.Amount
}

// Refundable is what can still be refunded: what was collected less what
// was refunded, while the order is paid.
func (o *Order) Refundable() Money {
	if o.Status != StatusPaid || o.AwaitingCapture() {
		return 0
	}
	return max(0, o.Collected()-o.Refunded)
}

// Op is something the back office asks the bank to do to a card order
// (the bank's OrderMaintain).
type Op string

const (
	OpCapture Op = "capture" // charge an authorisation (Command P)
	OpCancel  Op = "cancel"  // cancel an uncaptured authorisation (Command C)
	OpRefund  Op = "refund"  // give back some or all of what was charged (Command R)
)

// Ops lists every operation.
var Ops = []Op{OpCapture, OpCancel, OpRefund}

// Valid reports whether op is known.
func (op Op) Valid() bool { return op == OpCapture || op == OpCancel || op == OpRefund }

// OpState is where an operation stands.
type OpState string

const (
	OpPending OpState = "pending" // recorded; the bank has not answered yet
	OpDone    OpState = "done"    // the bank did it, and the order shows it
	OpRefused OpState = "refused" // the bank refused; nothing changed
	// OpUnknown: the call failed in transport, so the bank may or may not
	// have acted. The amount stays reserved until a job has asked the bank.
	OpUnknown OpState = "unknown"
)

// OpStates lists every state of an operation.
var OpStates = []OpState{OpPending, OpDone, OpRefused, OpUnknown}

// Open reports whether the bank's answer is still awaited.
func (s OpState) Open() bool { return s == OpPending || s == OpUnknown }

// Operation is one request of the back office on an order, with who asked,
// why, and how it ended. Its Key comes from the confirmation form, so a
// form sent twice is one operation.
type Operation struct {
	ID         int64
	OrderID    int64
	Key        string
	Op         Op
	Amount     Money
	Reason     string
	AdminID    int64
	AdminEmail string
	State      OpState
	BankTSNo   string
	BankError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Restock: a refund that puts the order's items back in stock (the
	// goods came back, or never left).
	Restock bool
}

// MaxReason bounds the reason an admin gives, in characters.
const MaxReason = 200

// PlanOp checks an operation against the order and returns the amount to
// ask the bank for. amount 0 means the whole amount the operation can
// take (a cancellation always takes the whole authorisation). busy
// reports another operation on the order still awaiting the bank: one at
// a time, so two admins never race each other at the bank. The errors are
// Invalid (fix the form) or Conflict (the order is not in a state for
// this), with admin.op.* keys.
func PlanOp(o *Order, op Op, amount Money, reason string, busy bool) (Money, error) {
	if !op.Valid() {
		return 0, Errorf(Invalid, "admin.op.unknown", "operation %q", op)
	}
	if r := strings.TrimSpace(reason); r == "" {
		return 0, Errorf(Invalid, "admin.op.reason_required", "no reason given")
	} else if utf8.RuneCountInString(r) > MaxReason {
		return 0, Errorf(Invalid, "admin.op.reason_long", "reason over %d characters", MaxReason)
	}
	if amount < 0 {
		return 0, Errorf(Invalid, "admin.op.bad_amount", "negative amount %d", amount)
	}
	if o.PayType != PayCard {
		return 0, Errorf(Conflict, "admin.op.not_card", "order %s is not a card order", o.No)
	}
	if busy {
		return 0, Errorf(Conflict, "admin.op.busy", "order %s has an operation awaiting the bank", o.No)
	}
	switch op {
	case OpCapture:
		if !o.AwaitingCapture() {
			return 0, Errorf(Conflict, "admin.op.not_uncaptured", "order %s is not awaiting capture", o.No)
		}
		if amount == 0 {
			return o.Amount, nil
		}
		if amount > o.Amount {
			return 0, Errorf(Invalid, "admin.op.capture_too_much", "capture %d over the authorised %d", amount, o.Amount)
		}
		return amount, nil
	case OpCancel:
		if !o.AwaitingCapture() {
			return 0, Errorf(Conflict, "admin.op.not_uncaptured", "order %s is not awaiting capture", o.No)
		}
		if amount != 0 && amount != o.Amount {
			return 0, Errorf(Invalid, "admin.op.bad_amount", "a cancellation takes the whole authorisation")
		}
		return o.Amount, nil
	default: // OpRefund
		if o.AwaitingCapture() {
			return 0, Errorf(Conflict, "admin.op.capture_first", "order %s is not captured: cancel it instead", o.No)
		}
		left := o.Refundable()
		if left <= 0 {
			return 0, Errorf(Conflict, "admin.op.not_refundable", "order %s has nothing left to refund", o.No)
		}
		if amount == 0 {
			return left, nil
		}
		if amount > left {
			return 0, Errorf(Invalid, "admin.op.too_much", "refund %d over the %d left", amount, left)
		}
		return amount, nil
	}
}

// OpEvent is the timeline event of an operation the bank did to o (o as
// it was before): a capture is only a line on the timeline, a
// cancellation ends the order, and a refund ends it when it brings what
// was refunded up to what was collected.
func OpEvent(o *Order, op Op, amount Money) Event {
	switch op {
	case OpCapture:
		return EventCaptured
	case OpCancel:
		return EventCancelled
	}
	if o.Refunded+amount >= o.Collected() {
		return EventRefunded
	}
	return EventPartRefunded
}
