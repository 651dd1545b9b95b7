package payment

import (
	"context"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// CardInstead replaces a customer's unpaid ATM order with a card order of
// the same lines and amount, and creates that at the bank: one bank order
// per payment attempt, each with its own OrderNo (the bank never reuses
// one, PROTOCOL §10). The ATM order stays at the bank until its account
// expires, since the bank's API cannot close a virtual account: a
// transfer into it still counts as money moved, but the two orders name
// each other, so whichever of them is paid second goes to review instead
// of being paid (storage.ApplyEvent), and a person refunds one (the
// README says how).
//
// Asked again for an order already replaced, it returns the order that
// replaced it, so a second click pays nothing twice. Another customer's
// order is NotFound; an order that is not an unpaid ATM order is a
// Conflict.
func (s *Service) CardInstead(ctx context.Context, customerID int64, orderNo string) (*shop.Order, error) {
	old, err := s.db.CustomerOrder(ctx, customerID, orderNo)
	if err != nil {
		return nil, err
	}
	if old.ReplacedBy != "" {
		next, err := s.db.CustomerOrder(ctx, customerID, old.ReplacedBy)
		if err != nil {
			return nil, err
		}
		return s.awaitBank(ctx, next)
	}
	if old.PayType != shop.PayATM || old.Status != shop.StatusWaiting {
		return nil, shop.Errorf(shop.Conflict, "order.not_replaceable", "order %s is not an unpaid ATM order", old.No)
	}
	if err := s.Payable(shop.PayCard, old.Amount); err != nil {
		return nil, err
	}
	now := s.now()
	o := &shop.Order{CustomerID: customerID, PayType: shop.PayCard, Amount: old.Amount, Items: old.Items,
		Capture: s.cfg.CardCapture, Replaces: old.No, ShipTo: old.ShipTo}
	// The checkout key of a replacement is derived from the order it
	// replaces: two clicks at once make one order, the second a Conflict.
	key := "instead:" + old.No
	for attempt := 0; ; attempt++ {
		o.No = shop.NewOrderNo(now)
		err = s.db.CreateOrder(ctx, o, key, now)
		if err == nil {
			break
		}
		if !shop.IsCode(err, shop.Conflict) || attempt == 3 {
			return nil, err
		}
		if prev, perr := s.db.OrderByCheckoutKey(ctx, customerID, key); perr == nil {
			return s.awaitBank(ctx, prev)
		}
		if again, rerr := s.db.CustomerOrder(ctx, customerID, old.No); rerr == nil && (again.ReplacedBy != "" || again.Status != shop.StatusWaiting) {
			// Paid, expired or replaced meanwhile.
			return nil, err
		}
	}
	s.log.InfoContext(ctx, "ATM order to be paid by card instead", "order", old.No, "by", o.No)
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 35*time.Second)
	defer cancel()
	if err := s.createAtBank(bctx, o); err != nil {
		return nil, err
	}
	return o, nil
}
