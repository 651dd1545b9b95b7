package payment

import (
	"context"
	"errors"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// Checkout prices the cart from the catalogue, stores the order and creates
// it at the bank. The checkout key makes it idempotent: any number of
// submits of one checkout form give one order and one bank order. When the
// bank cannot be reached the order is kept, marked unknown at the bank,
// and the sweep finds out (never a blind second OrderCreate). The items
// keep their names in both languages; the one sent to the bank is in the
// shop's primary language (Config.NameLang), not the customer's.
func (s *Service) Checkout(ctx context.Context, customerID int64, key string, lines []shop.CartLine, payType shop.PayType) (*shop.Order, error) {
	return s.CheckoutTo(ctx, customerID, key, lines, payType, shop.ShipTo{})
}

// CheckoutTo is Checkout of goods that go to ship (checked by the
// caller: the storefront's form requires it; the zero ShipTo is an order
// with nothing to send).
func (s *Service) CheckoutTo(ctx context.Context, customerID int64, key string, lines []shop.CartLine, payType shop.PayType, ship shop.ShipTo) (*shop.Order, error) {
	if key == "" || len(key) > 64 {
		return nil, shop.Errorf(shop.Invalid, "checkout.expired_form", "bad checkout key")
	}
	products, err := s.db.Products(ctx)
	if err != nil {
		return nil, err
	}
	items, total, err := shop.PriceCart(products, lines, s.cfg.NameLang)
	if err != nil {
		return nil, err
	}
	if err := s.Payable(payType, total); err != nil {
		return nil, err
	}
	now := s.now()
	o := &shop.Order{CustomerID: customerID, PayType: payType, Amount: total, Items: items, Capture: shop.CaptureAuto, ShipTo: ship}
	if payType == shop.PayCard {
		o.Capture = s.cfg.CardCapture
	}
	for attempt := 0; ; attempt++ {
		o.No = shop.NewOrderNo(now)
		err = s.db.CreateOrder(ctx, o, key, now)
		if err == nil {
			break
		}
		if !shop.IsCode(err, shop.Conflict) || attempt == 3 {
			return nil, err
		}
		// Either this checkout was submitted before (same key), or a random
		// order number collided.
		if prev, perr := s.db.OrderByCheckoutKey(ctx, customerID, key); perr == nil {
			return s.awaitBank(ctx, prev)
		}
	}
	// The order is stored; a browser that gives up must not leave it
	// half-created, so the bank call outlives the request.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 35*time.Second)
	defer cancel()
	if err := s.createAtBank(bctx, o); err != nil {
		return nil, err
	}
	return o, nil
}

// awaitBank waits briefly for a concurrent checkout of the same order to
// hear from the bank, so a double submit shows the same page as the first.
func (s *Service) awaitBank(ctx context.Context, o *shop.Order) (*shop.Order, error) {
	deadline := time.Now().Add(40 * time.Second)
	for o.Bank.State == shop.BankCreating && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return o, nil
		case <-time.After(100 * time.Millisecond):
		}
		next, err := s.db.OrderByID(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		o = next
	}
	return o, nil
}

func (s *Service) createAtBank(ctx context.Context, o *shop.Order) error {
	now := s.now()
	p := &funbiz.OrderCreateParams{
		OrderNo:    o.No,
		Amount:     int64(o.Amount),
		PayType:    funbiz.PayType(o.PayType),
		PrdtName:   shop.ProductName(o.Items),
		ReturnURL:  s.cfg.BaseURL + "/funbiz/return",
		BackendURL: s.cfg.BaseURL + "/funbiz/notify",
	}
	var expireDate string
	expMinutes := s.cfg.CardExpMinutes
	if o.PayType == shop.PayATM {
		expireDate = funbiz.FormatDate(now.AddDate(0, 0, s.cfg.ATMExpireDays))
		if !o.PayBy.IsZero() {
			expireDate = funbiz.FormatDate(o.PayBy)
		}
		p.ATM = &funbiz.ATMParams{ExpireDate: expireDate}
	} else {
		if !o.PayBy.IsZero() {
			expMinutes = min(max(int((o.PayBy.Sub(now)+time.Minute-1)/time.Minute), 1), 30)
		}
		// The order's own mode, not the setting's: a sweep that creates it
		// again after the setting changed must not change how it is paid.
		p.Card = &funbiz.CardParams{AutoBilling: o.Capture != shop.CaptureManual, ExpMinutes: expMinutes}
	}
	res, err := s.bankOf(o).OrderCreate(ctx, p)
	b := shop.BankOrder{State: shop.BankCreated, ExpireDate: expireDate}
	switch {
	case err == nil:
		b.TSNo = res.TSNo
		if res.ATM != nil {
			b.AtmPayNo, b.WebAtmURL, b.OtpURL = res.ATM.AtmPayNo, res.ATM.WebAtmURL, res.ATM.OtpURL
		}
		if res.Card != nil {
			b.CardPayURL = res.Card.CardPayURL
			b.CardExpiresAt = now.Add(time.Duration(expMinutes) * time.Minute)
		}
	case errors.Is(err, funbiz.ErrBankRefused) || errors.Is(err, funbiz.ErrInvalid):
		// The bank keeps OrderNo unique, so a refusal may mean another
		// request (a sweep on another instance, say) created this very order
		// first. Only an order the bank does not have is refused.
		if info, found, ferr := s.findOrder(ctx, o); ferr == nil && found {
			b = s.bankOrderFrom(o, info)
			if b.ExpireDate == "" {
				b.ExpireDate = expireDate
			}
			s.log.InfoContext(ctx, "order already at the bank; adopting it", "order", o.No)
			break
		}
		b.State = shop.BankRefused
		b.Error = bankErrorText(err)
		s.log.WarnContext(ctx, "bank refused an order", "order", o.No, "error", err)
	default:
		// Timeout, garbage, a bad signature: the bank may or may not have the
		// order. The sweep asks it by OrderNo before anything else happens.
		b.State = shop.BankUnknown
		s.log.WarnContext(ctx, "order creation outcome unknown; the sweep will ask the bank", "order", o.No, "error", err)
	}
	if serr := s.db.SetBank(ctx, o.ID, b, s.now()); serr != nil {
		return serr
	}
	o.Bank = b
	return nil
}

// bankOrderFrom is the bank's side of an order as OrderQuery reports it,
// for an order whose OrderCreate answer we never read.
func (s *Service) bankOrderFrom(o *shop.Order, info funbiz.OrderInfo) shop.BankOrder {
	b := shop.BankOrder{State: shop.BankCreated, TSNo: info.TSNo, ExpireDate: o.Bank.ExpireDate}
	if info.ATM != nil {
		b.AtmPayNo, b.WebAtmURL, b.OtpURL = info.ATM.AtmPayNo, info.ATM.WebAtmURL, info.ATM.OtpURL
	}
	if info.Card != nil {
		b.CardPayURL = info.Card.CardPayURL
		b.CardExpiresAt = o.CreatedAt.Add(time.Duration(s.cfg.CardExpMinutes) * time.Minute)
	}
	if len(info.ExpireDate) >= 8 && o.PayType == shop.PayATM {
		b.ExpireDate = info.ExpireDate[:8]
	}
	return b
}
