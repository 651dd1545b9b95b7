package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// adminOrderPage is one order as the back office sees it: ours beside the
// bank's, what can be done to it, and everything that happened to it.
type adminOrderPage struct {
	orderView
	CustomerEmail   string
	AwaitingCapture bool
	Collected       shop.Money
	Refundable      shop.Money
	// What the admin may do now; nothing while an operation awaits the
	// bank.
	CanCapture, CanCancel, CanRefund bool
	Busy                             bool
	// ATMRefundable: a paid ATM order, which the bank's API cannot refund;
	// the page says what the merchant can do instead.
	ATMRefundable bool

	// The bank's view (OrderQuery): BankInfo when BankFound; BankDown when
	// the bank could not be asked.
	BankInfo  funbiz.OrderInfo
	BankFound bool
	BankDown  bool

	Ops    []adminOpRow
	Events []shop.PaymentEvent
	Tokens []*shop.Delivery
	// Flash is the operation just submitted (?op=ID), to say how it ended.
	Flash *shop.Operation

	// CanShip: a paid order with a delivery, not shipped yet; Ship is
	// its form, as typed when it comes back.
	CanShip bool
	Ship    shipForm
}

// shipForm is the back office's "mark shipped" form.
type shipForm struct {
	Carrier, Tracking string
	Problems          map[string]string
	Carriers          []string
}

// adminOpRow is an operation in the order's list of operations.
type adminOpRow struct {
	*shop.Operation
	// Stale: the bank's answer was lost (or its request died); the admin
	// may ask the bank again or record what the bank's portal shows.
	Stale bool
}

// bankViewTimeout bounds the OrderQuery of the order page: a slow bank
// must not make our own view of the order wait long.
const bankViewTimeout = 5 * time.Second

// adminOrder shows one order (GET /admin/orders/{no}).
func (s *Server) adminOrder(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	o, err := s.db.OrderByNo(ctx, r.PathValue("no"))
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/orders")
		return
	}
	p, err := s.adminOrderData(ctx, r, o)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	s.renderAdmin(w, http.StatusOK, "admin_order", s.newAdminView(r, a, "orders", "admin.order.title", p))
}

// adminOrderData gathers what the order's page shows.
func (s *Server) adminOrderData(ctx context.Context, r *http.Request, o *shop.Order) (adminOrderPage, error) {
	var err error
	p := adminOrderPage{orderView: newOrderView(o, s.now()), AwaitingCapture: o.AwaitingCapture(),
		Collected: o.Collected(), Refundable: o.Refundable()}
	if c, err := s.db.CustomerByID(ctx, o.CustomerID); err == nil {
		p.CustomerEmail = c.Email
	}
	ops, err := s.pay.Ops(ctx, o.ID)
	if err != nil {
		return p, err
	}
	flash, _ := strconv.ParseInt(r.URL.Query().Get("op"), 10, 64)
	now := s.now()
	for _, op := range ops {
		p.Busy = p.Busy || op.State.Open()
		stale := op.State == shop.OpUnknown || (op.State == shop.OpPending && now.Sub(op.UpdatedAt) > 2*time.Minute)
		p.Ops = append(p.Ops, adminOpRow{Operation: op, Stale: stale})
		if op.ID == flash {
			p.Flash = op
		}
	}
	// The buttons are the operations the rules let the order take now:
	// the same check the form and the operation make.
	allows := func(op shop.Op) bool { _, err := shop.PlanOp(o, op, 0, "-", p.Busy); return err == nil }
	p.CanCapture, p.CanCancel, p.CanRefund = allows(shop.OpCapture), allows(shop.OpCancel), allows(shop.OpRefund)
	p.ATMRefundable = o.PayType == shop.PayATM && p.Refundable > 0
	if p.Events, err = s.db.Events(ctx, o.ID); err != nil {
		return p, err
	}
	if p.Tokens, err = s.db.PayTokens(ctx, o.No, 50); err != nil {
		return p, err
	}
	if o.Bank.State != shop.BankRefused {
		bctx, bcancel := context.WithTimeout(ctx, bankViewTimeout)
		p.BankInfo, p.BankFound, err = s.pay.BankOrder(bctx, o)
		bcancel()
		if err != nil {
			s.log.WarnContext(r.Context(), "the bank's view of an order", "order", o.No, "error", err)
			p.BankDown = true
		}
	}
	p.CanShip = o.Status == shop.StatusPaid && !o.Shipment.Shipped() && !o.ShipTo.IsZero()
	p.Ship.Carriers = shop.Carriers
	return p, nil
}
