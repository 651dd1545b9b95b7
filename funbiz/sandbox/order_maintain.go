package sandbox

import (
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

type maintainAnswer struct {
	OrderNo     string        `json:"OrderNo"`
	ShopNo      string        `json:"ShopNo"`
	TSNo        string        `json:"TSNo"`
	Command     string        `json:"Command"`
	Amount      int64         `json:"Amount"`
	Date        string        `json:"Date"`
	Status      funbiz.Status `json:"Status"`
	Description string        `json:"Description"`
}

func (s *Sandbox) orderMaintain(req *request) (any, *refusal) {
	m := req.msg
	v, ref := m.strs("OrderNo", "Command", "Remark")
	if ref != nil {
		return nil, ref
	}
	if ref := m.required("OrderNo", v["OrderNo"]); ref != nil {
		return nil, ref
	}
	if ref := m.text("OrderNo", v["OrderNo"], funbiz.MaxOrderNo); ref != nil {
		return nil, ref
	}
	if ref := m.required("Command", v["Command"]); ref != nil {
		return nil, ref
	}
	cmd := v["Command"]
	if cmd != "P" && cmd != "C" && cmd != "R" {
		return nil, refuse(CodeBadField, "Command must be P (capture), C (cancel) or R (refund), got %s", clip(cmd, 10))
	}
	amount, amountSet, ref := m.amount("Amount", false, maxAmountCents)
	if ref != nil {
		return nil, ref
	}
	if amountSet && cmd == "C" {
		return nil, refuse(CodeBadField, "Amount cannot be given with Command C: a cancellation voids the whole authorisation")
	}
	if ref := m.text("Remark", v["Remark"], funbiz.MaxRemark); ref != nil {
		return nil, ref
	}

	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[orderKey{req.m.shopNo, v["OrderNo"]}]
	if o == nil {
		return nil, refuse(CodeNotFound, "no order %s for this shop", clip(v["OrderNo"], 60))
	}
	if o.PayType != "C" {
		return nil, refuse(CodeNotAllowed, "order %s is not a card order; only card orders can be captured, cancelled or refunded", o.OrderNo)
	}
	var done int64
	switch cmd {
	case "P":
		if o.State != stateAuthorised {
			return nil, refuse(CodeNotAllowed, "order %s is %s; only an authorised, uncaptured order (AutoBilling N) can be captured", o.OrderNo, o.State)
		}
		done = o.Amount
		if amountSet {
			if amount > o.Amount {
				return nil, refuse(CodeNotAllowed, "capture amount %d is more than the authorised %d", amount, o.Amount)
			}
			done = amount
		}
		s.captureLocked(o, done, now)
	case "C":
		if o.State != stateAuthorised {
			return nil, refuse(CodeNotAllowed, "order %s is %s; only an authorised, uncaptured order can be cancelled (refund a captured one)", o.OrderNo, o.State)
		}
		o.moveTo(stateCancelled)
		o.CancelledAt = now
		o.CaptureDue = time.Time{}
		done = o.Amount
	case "R":
		if o.State != stateCaptured {
			return nil, refuse(CodeNotAllowed, "order %s is %s; only a captured order can be refunded", o.OrderNo, o.State)
		}
		left := o.Captured - o.refunded()
		done = left
		if amountSet {
			done = amount
		}
		if left == 0 {
			return nil, refuse(CodeNotAllowed, "order %s is already refunded in full", o.OrderNo)
		}
		if done > left {
			return nil, refuse(CodeNotAllowed, "refund %d is more than the %d still refundable (captured %d, refunded %d)", done, left, o.Captured, o.refunded())
		}
		o.Refunds = append(o.Refunds, refund{Amount: done, At: now})
	}
	s.persist(writeSet{orders: []*order{o}})
	return &maintainAnswer{OrderNo: o.OrderNo, ShopNo: o.ShopNo, TSNo: o.TSNo, Command: cmd, Amount: done, Date: dt(now), Status: funbiz.StatusSuccess, Description: successDescription}, nil
}

// captureLocked captures an authorised order.
func (s *Sandbox) captureLocked(o *order, amount int64, at time.Time) {
	o.moveTo(stateCaptured)
	o.Captured = amount
	o.CapturedAt = at
	o.CaptureDue = time.Time{}
}
