package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

// Outcome is how a card attempt ends.
type Outcome string

const (
	OutcomeSuccess      Outcome = "success"
	OutcomeDecline      Outcome = "decline"
	OutcomeInsufficient Outcome = "insufficient"
	OutcomeExpiredCard  Outcome = "expired-card"
	OutcomeTimeout      Outcome = "timeout"
)

// ParseOutcome reads an Outcome name as the control API and funbiztest
// take it.
func ParseOutcome(s string) (Outcome, error) {
	switch o := Outcome(s); o {
	case OutcomeSuccess, OutcomeDecline, OutcomeInsufficient, OutcomeExpiredCard, OutcomeTimeout:
		return o, nil
	case "fail", "failure", "declined":
		return OutcomeDecline, nil
	case "expired":
		return OutcomeExpiredCard, nil
	}
	return "", fmt.Errorf("Outcome %q is not one of success, decline, insufficient, expired-card, timeout", s)
}

func (o Outcome) failure() Code {
	switch o {
	case OutcomeInsufficient:
		return payFailInsufficient
	case OutcomeExpiredCard:
		return payFailExpiredCard
	case OutcomeTimeout:
		return payFailTimeout
	}
	return payFailDeclined
}

// Card is what the sandbox keeps of a card: masked, never the number.
type Card struct {
	Left, Right, Exp string
}

// defaultCard is the card behind attempts made without a card form.
var defaultCard = Card{Left: "400022", Right: "1111", Exp: "1230"}

// Error is a refusal of the control API or a page action: HTTP status,
// machine-readable reason and words.
type Error struct {
	Status int
	Reason string
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func errNotFound(format string, args ...any) *Error {
	return &Error{http.StatusNotFound, "not-found", fmt.Sprintf(format, args...)}
}

func errConflict(reason, format string, args ...any) *Error {
	return &Error{http.StatusConflict, reason, fmt.Sprintf(format, args...)}
}

func errInvalid(format string, args ...any) *Error {
	return &Error{http.StatusBadRequest, "invalid", fmt.Sprintf(format, args...)}
}

// PayResult is what one payment attempt produced.
type PayResult struct {
	PayToken string
	Status   string // S or F
	OrderNo  string
	Outcome  string
}

// PayCard makes one attempt on a card order, as the card page does: it
// records the attempt, creates a PayToken and schedules the notification.
// A "force next Outcome" chaos rule overrides want. It fails (*Error)
// when the order is unknown, not a card order, already paid or its page
// expired.
func (s *Sandbox) PayCard(shopNo, orderNo string, want Outcome, c Card, source string) (*PayResult, error) {
	s.mu.Lock()
	o := s.orders[orderKey{shopNo, orderNo}]
	if o == nil {
		s.mu.Unlock()
		return nil, errNotFound("no order %s for shop %s", orderNo, shopNo)
	}
	res, err := s.payCardLocked(o, want, c, source)
	s.mu.Unlock()
	if err == nil {
		s.wakeLoop()
	}
	return res, err
}

func (s *Sandbox) payCardLocked(o *order, want Outcome, c Card, source string) (*PayResult, error) {
	now := s.Now()
	switch {
	case o.PayType != "C":
		return nil, errConflict("not-card", "order %s is an ATM order, not a card order", o.OrderNo)
	case o.State != stateWaiting:
		return nil, errConflict("paid", "order %s is already %s; a paid order cannot be paid again", o.OrderNo, o.State)
	case now.After(o.PageExpires):
		return nil, errConflict("expired", "the card page of order %s expired at %s", o.OrderNo, o.PageExpires.In(taipei).Format(time.DateTime))
	}
	if forced, ok := s.chaos.takeOutcome(o.key()); ok {
		want = forced
	}
	p := &payment{
		PayToken: randomHex(32), ShopNo: o.ShopNo, OrderNo: o.OrderNo, TSNo: o.TSNo, PayType: "C", APType: "PayOut",
		Amount: o.Amount, PayDate: now, LeftCCNo: c.Left, RightCCNo: c.Right, CCExpDate: c.Exp,
		Outcome: string(want), Source: source,
	}
	if want == OutcomeSuccess {
		p.Status = "S"
		o.LeftCCNo, o.RightCCNo, o.CCExpDate, o.AuthCode = c.Left, c.Right, c.Exp, randomDigits(6)
		o.PaidAt = now
		if o.AutoBilling {
			o.moveTo(stateCaptured)
			o.Captured, o.CapturedAt = o.Amount, now
		} else {
			o.moveTo(stateAuthorised)
			if o.ExpBillingDays > 0 {
				o.CaptureDue = now.AddDate(0, 0, o.ExpBillingDays)
			}
		}
	} else {
		p.Status = "F"
		p.Description = describe(want.failure(), "")
	}
	ds := s.recordPaymentLocked(o, p)
	s.persist(writeSet{orders: []*order{o}, payments: []*payment{p}, deliveries: ds})
	return &PayResult{PayToken: p.PayToken, Status: p.Status, OrderNo: o.OrderNo, Outcome: string(want)}, nil
}

// recordPaymentLocked files a payment and, when it succeeded, schedules
// its notification. The bank notifies BackendURL on two events only: an
// order paid, and a scheduled capture completed (PROTOCOL §9.1). A
// declined card is not notified: the buyer's browser brings its PayToken
// to ReturnURL, and a shop whose buyer closed the browser learns of the
// decline only by asking (OrderQuery). An armed mismatch rule of the
// order strikes here, whatever the payment's outcome.
func (s *Sandbox) recordPaymentLocked(o *order, p *payment) []*delivery {
	if c, ok := s.chaos.takeMismatch(o.key()); ok {
		m := s.misreportLocked(o, c)
		p.Misreport = m
		o.Misreport = &misreport{Mode: m.Mode, Other: m.Other}
	}
	o.PayTokens = append(o.PayTokens, p.PayToken)
	s.payments[p.PayToken] = p
	s.paymentSeq = append(s.paymentSeq, p)
	if p.Status != "S" {
		return nil
	}
	return s.scheduleLocked(o, p.PayToken, p.PayDate, "")
}

// Transfer is a transfer to an ATM virtual account. Amount is whole NT$.
// Only the exact amount pays: a virtual account is issued for one amount,
// and a short or over transfer is refused, changing nothing, so that a
// merchant never sees a part payment it would have to reconcile by hand.
// It fails (*Error) for an unknown account, a paid or expired order, or a
// wrong amount (Reason "short" or "over").
func (s *Sandbox) Transfer(atmPayNo string, amount int64, bankNo, acctNo string) (*PayResult, error) {
	s.mu.Lock()
	o := s.byAtmPayNo[atmPayNo]
	if o == nil {
		s.mu.Unlock()
		return nil, errNotFound("no ATM order has virtual account %s", atmPayNo)
	}
	res, err := s.transferLocked(o, amount, bankNo, acctNo, s.Now(), "ATM transfer")
	s.mu.Unlock()
	if err == nil {
		s.wakeLoop()
	}
	return res, err
}

func (s *Sandbox) transferLocked(o *order, amount int64, bankNo, acctNo string, at time.Time, source string) (*PayResult, error) {
	want := o.Amount / 100
	switch {
	case o.State != stateWaiting:
		return nil, errConflict("paid", "order %s is already paid; its virtual account takes no more transfers", o.OrderNo)
	case at.After(o.atmDeadline()):
		return nil, errConflict("expired", "virtual account %s expired at the end of %s (Taiwan time); the transfer is refused", o.AtmPayNo, o.ExpireDate)
	case amount < want:
		return nil, errConflict("short", "NT$%d is short of the order amount NT$%d; the virtual account takes only the exact amount, nothing was changed", amount, want)
	case amount > want:
		return nil, errConflict("over", "NT$%d is over the order amount NT$%d; the virtual account takes only the exact amount, nothing was changed", amount, want)
	}
	if bankNo == "" {
		bankNo = "807"
	}
	if acctNo == "" {
		acctNo = randomDigits(5)
	}
	o.moveTo(statePaid)
	o.PaidAt, o.BankNo, o.AcctNo = at, bankNo, acctNo
	p := &payment{
		PayToken: randomHex(32), ShopNo: o.ShopNo, OrderNo: o.OrderNo, TSNo: o.TSNo, PayType: "A", APType: "PayOut",
		Amount: o.Amount, Status: "S", PayDate: at, Outcome: string(OutcomeSuccess), Source: source,
	}
	ds := s.recordPaymentLocked(o, p)
	s.persist(writeSet{orders: []*order{o}, payments: []*payment{p}, deliveries: ds})
	return &PayResult{PayToken: p.PayToken, Status: "S", OrderNo: o.OrderNo, Outcome: string(OutcomeSuccess)}, nil
}

// runTimedLocked fires what the clock has made due: ATM auto-payments and
// scheduled captures, each at its own due time rather than "now", so that
// a clock advanced by a day shows the payment when it would have happened.
func (s *Sandbox) runTimedLocked(now time.Time) {
	for _, o := range s.orderSeq {
		switch {
		case o.PayType == "A" && o.State == stateWaiting && !o.AutoPayAt.IsZero() && !o.AutoPayAt.After(now):
			at := o.AutoPayAt
			o.AutoPayAt = time.Time{}
			if at.After(o.atmDeadline()) {
				s.persist(writeSet{orders: []*order{o}})
				continue
			}
			s.transferLocked(o, o.Amount/100, "807", "", at, "ATM auto-pay")
		case o.State == stateAuthorised && !o.CaptureDue.IsZero() && !o.CaptureDue.After(now):
			at := o.CaptureDue
			s.captureLocked(o, o.Amount, at)
			p := &payment{
				PayToken: randomHex(32), ShopNo: o.ShopNo, OrderNo: o.OrderNo, TSNo: o.TSNo, PayType: "C", APType: "CaptureOut",
				Amount: o.Amount, Status: "S", PayDate: at, LeftCCNo: o.LeftCCNo, RightCCNo: o.RightCCNo, CCExpDate: o.CCExpDate,
				Outcome: string(OutcomeSuccess), Source: "scheduled capture",
			}
			ds := s.recordPaymentLocked(o, p)
			s.persist(writeSet{orders: []*order{o}, payments: []*payment{p}, deliveries: ds})
		}
	}
}

// nextTimedLocked is the earliest pending timed event, if any.
func (s *Sandbox) nextTimedLocked() (time.Time, bool) {
	var next time.Time
	for _, o := range s.orderSeq {
		var t time.Time
		switch {
		case o.PayType == "A" && o.State == stateWaiting && !o.AutoPayAt.IsZero():
			t = o.AutoPayAt
		case o.State == stateAuthorised && !o.CaptureDue.IsZero():
			t = o.CaptureDue
		default:
			continue
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, !next.IsZero()
}
