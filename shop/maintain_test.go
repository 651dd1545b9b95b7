package shop

import (
	"testing"
	"time"
)

func TestPlanOp(t *testing.T) {
	paid := func(mode CaptureMode, captured, refunded Money) *Order {
		o := &Order{No: "K1", PayType: PayCard, Amount: 1000, Status: StatusPaid, Capture: mode, Captured: captured, Refunded: refunded}
		if captured > 0 {
			o.CapturedAt = time.Unix(1, 0)
		}
		return o
	}
	atm := &Order{No: "K2", PayType: PayATM, Amount: 1000, Status: StatusPaid, Capture: CaptureAuto}
	waiting := &Order{No: "K3", PayType: PayCard, Amount: 1000, Status: StatusWaiting, Capture: CaptureAuto}
	for _, c := range []struct {
		name   string
		o      *Order
		op     Op
		amount Money
		reason string
		busy   bool
		want   Money
		key    string
	}{
		{"whole refund", paid(CaptureAuto, 0, 0), OpRefund, 0, "r", false, 1000, ""},
		{"partial refund", paid(CaptureAuto, 0, 0), OpRefund, 300, "r", false, 300, ""},
		{"the rest", paid(CaptureAuto, 0, 300), OpRefund, 0, "r", false, 700, ""},
		{"one too many", paid(CaptureAuto, 0, 300), OpRefund, 701, "r", false, 0, "admin.op.too_much"},
		{"refund of a partial capture", paid(CaptureManual, 600, 0), OpRefund, 0, "r", false, 600, ""},
		{"over the capture", paid(CaptureManual, 600, 0), OpRefund, 601, "r", false, 0, "admin.op.too_much"},
		{"refund before capture", paid(CaptureManual, 0, 0), OpRefund, 100, "r", false, 0, "admin.op.capture_first"},
		{"capture", paid(CaptureManual, 0, 0), OpCapture, 0, "r", false, 1000, ""},
		{"partial capture", paid(CaptureManual, 0, 0), OpCapture, 400, "r", false, 400, ""},
		{"capture over the authorisation", paid(CaptureManual, 0, 0), OpCapture, 1001, "r", false, 0, "admin.op.capture_too_much"},
		{"capture twice", paid(CaptureManual, 1000, 0), OpCapture, 0, "r", false, 0, "admin.op.not_uncaptured"},
		{"capture of an auto order", paid(CaptureAuto, 0, 0), OpCapture, 0, "r", false, 0, "admin.op.not_uncaptured"},
		{"cancel", paid(CaptureManual, 0, 0), OpCancel, 0, "r", false, 1000, ""},
		{"cancel with a part", paid(CaptureManual, 0, 0), OpCancel, 10, "r", false, 0, "admin.op.bad_amount"},
		{"cancel after capture", paid(CaptureManual, 1000, 0), OpCancel, 0, "r", false, 0, "admin.op.not_uncaptured"},
		{"ATM", atm, OpRefund, 0, "r", false, 0, "admin.op.not_card"},
		{"unpaid", waiting, OpRefund, 0, "r", false, 0, "admin.op.not_refundable"},
		{"no reason", paid(CaptureAuto, 0, 0), OpRefund, 0, "  ", false, 0, "admin.op.reason_required"},
		{"busy", paid(CaptureAuto, 0, 0), OpRefund, 0, "r", true, 0, "admin.op.busy"},
		{"negative", paid(CaptureAuto, 0, 0), OpRefund, -5, "r", false, 0, "admin.op.bad_amount"},
		{"unknown op", paid(CaptureAuto, 0, 0), "void", 0, "r", false, 0, "admin.op.unknown"},
	} {
		got, err := PlanOp(c.o, c.op, c.amount, c.reason, c.busy)
		if c.key != "" {
			if ErrorKey(err) != c.key {
				t.Errorf("%s: %v, want %s", c.name, err, c.key)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, got, err, c.want)
		}
	}
}

func TestOpEvent(t *testing.T) {
	o := &Order{PayType: PayCard, Amount: 1000, Status: StatusPaid, Capture: CaptureAuto, Refunded: 300}
	for _, c := range []struct {
		op     Op
		amount Money
		want   Event
		to     Status
	}{
		{OpRefund, 100, EventPartRefunded, StatusPaid},
		{OpRefund, 700, EventRefunded, StatusRefunded},
		{OpCapture, 1000, EventCaptured, StatusPaid},
		{OpCancel, 1000, EventCancelled, StatusRefunded},
	} {
		ev := OpEvent(o, c.op, c.amount)
		to, _, err := Next(o.Status, ev)
		if ev != c.want || to != c.to || err != nil {
			t.Errorf("%s %d: %s → %s %v, want %s → %s", c.op, c.amount, ev, to, err, c.want, c.to)
		}
	}
}
