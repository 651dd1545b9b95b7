package web

import (
	"net/http"
	"strconv"

	"github.com/sinopay/sinopay/shop"
)

// adminOpPage is the confirmation form of an operation on an order.
type adminOpPage struct {
	orderView
	Op         shop.Op
	Collected  shop.Money
	Refundable shop.Money
	// Amount is all that the operation can take, what the amount field
	// offers first.
	Amount shop.Money
	// Typed fills the amount field: Amount at first, and after a refused
	// try exactly what was typed, so nothing has to be typed again.
	Typed string
	// Max bounds the amount field; 0 when the operation takes no amount
	// (a cancellation voids the whole authorisation).
	Max    shop.Money
	Reason string
	// Key makes the form one operation, however often it is sent.
	Key string
	// Error is the translation key of what was wrong with the last try.
	Error string
}

// ErrorField is the field Error is about, shown beside it: "amount",
// "reason", or "" for what is about the order (another operation under
// way, the order no longer refundable), shown above the form.
func (p adminOpPage) ErrorField() string {
	switch p.Error {
	case "admin.op.too_much", "admin.op.bad_amount", "admin.op.capture_too_much":
		if p.Max > 0 {
			return "amount"
		}
	case "admin.op.reason_required", "admin.op.reason_long":
		return "reason"
	}
	return ""
}

// adminOpForm asks an admin to confirm a capture, a cancellation or a
// refund, with its amount and a reason (GET /admin/orders/{no}/{op}).
func (s *Server) adminOpForm(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	op := shop.Op(r.PathValue("op"))
	if !op.Valid() {
		s.adminMissing(w, r, a)
		return
	}
	o, err := s.db.OrderByNo(ctx, r.PathValue("no"))
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/orders")
		return
	}
	p := newOpPage(o, op, s)
	p.Key = randomHex(16)
	// A form for an operation the order cannot take says why at once.
	if _, err := shop.PlanOp(o, op, 0, "-", false); err != nil {
		s.adminFail(w, r, a, err, "/admin/orders/"+o.No)
		return
	}
	s.renderAdmin(w, http.StatusOK, "admin_op", s.newAdminView(r, a, "orders", opTitle[op], p))
}

// opTitle is the title of each operation's confirmation page.
var opTitle = map[shop.Op]string{
	shop.OpCapture: "admin.op.title_capture",
	shop.OpCancel:  "admin.op.title_cancel",
	shop.OpRefund:  "admin.op.title_refund",
}

func newOpPage(o *shop.Order, op shop.Op, s *Server) adminOpPage {
	p := adminOpPage{orderView: newOrderView(o, s.now()), Op: op, Collected: o.Collected(), Refundable: o.Refundable()}
	switch op {
	case shop.OpCapture:
		p.Amount, p.Max = o.Amount, o.Amount
	case shop.OpRefund:
		p.Amount, p.Max = p.Refundable, p.Refundable
	case shop.OpCancel:
		p.Amount = o.Amount
	}
	p.Typed = strconv.FormatInt(int64(p.Amount), 10)
	return p
}
