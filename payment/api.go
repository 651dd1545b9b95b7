package payment

import (
	"context"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// CreateAPIPayment stores a payment another shop asked for through the
// JSON API, as an order of the shop's API account with one line
// (req.Description at req.Amount), and creates it at the bank, as a
// checkout does: an order stored before the bank is asked, never a
// blind second OrderCreate, the sweep finding out when the bank's answer
// was lost. p carries the payment's id, key and what the merchant said.
//
// A payment with p's idempotency key for its API key made meanwhile (two
// requests at once) is Conflict; the caller reads that one.
//
// A test key's payment is made at the test bank when one stands beside
// the shop's; the caller has checked that the key's mode is taken here.
func (s *Service) CreateAPIPayment(ctx context.Context, p *shop.APIPayment, req *shop.APIPaymentRequest, mode shop.APIMode) (*shop.APIPayment, error) {
	account, err := s.db.APIAccount(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Payable(req.PayType(), req.Amount); err != nil {
		return nil, err
	}
	now := s.now()
	o := &shop.Order{CustomerID: account, PayType: req.PayType(), Amount: req.Amount, Capture: req.CaptureMode(),
		Items:    []shop.Item{{Name: req.Description, NameZH: req.Description, NameEN: req.Description, UnitPrice: req.Amount, Qty: 1}},
		TestBank: mode == shop.APITest && s.cfg.TestBank != nil}
	if req.ExpiresIn > 0 {
		o.PayBy = now.Add(req.ExpiresIn)
	}
	for attempt := 0; ; attempt++ {
		o.No = shop.NewOrderNo(now)
		err = s.db.CreateAPIPayment(ctx, p, o, now)
		if err == nil {
			break
		}
		if !shop.IsCode(err, shop.Conflict) || attempt == 3 {
			return nil, err
		}
		if p.IdemKey != "" {
			if _, ierr := s.db.APIPaymentByIdem(ctx, p.KeyID, p.IdemKey); ierr == nil {
				return nil, err
			}
		}
		// Otherwise a random order number collided: draw another.
	}
	// Stored: a merchant who gives up must not leave it half-created, so
	// the bank call outlives the request.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 35*time.Second)
	defer cancel()
	if err := s.createAtBank(bctx, o); err != nil {
		return nil, err
	}
	p.Order = o
	return p, nil
}

// MaintainForAPI is Maintain asked by an API key for one of its payments:
// the operation is recorded as the shop's API account's, named after the
// key ("API: NAME") where an admin's email would be, and follows every
// rule an admin's does (never more than was collected, one at a time,
// the bank asked once, the same key the same operation).
func (s *Service) MaintainForAPI(ctx context.Context, req OpRequest, keyName string) (*shop.Operation, error) {
	account, err := s.db.APIAccount(ctx)
	if err != nil {
		return nil, err
	}
	req.Admin = &shop.Customer{ID: account, Email: "API: " + keyName, Role: shop.RoleAdmin}
	return s.Maintain(ctx, req)
}
