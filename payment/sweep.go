package payment

import (
	"context"
	"errors"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// SweepArgs is the periodic reconciliation sweep.
type SweepArgs struct{}

func (SweepArgs) Kind() string { return "reconcile_sweep" }

func (s *Service) sweepJob(ctx context.Context, _ SweepArgs) error {
	s.pruneOther(ctx)
	_, err := s.Sweep(ctx)
	return err
}

// ExpireArgs is the periodic ATM expiry.
type ExpireArgs struct{}

func (ExpireArgs) Kind() string { return "expire_atm" }

func (s *Service) expireJob(ctx context.Context, _ ExpireArgs) error {
	_, err := s.ExpireATM(ctx)
	return err
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Checked, Changed, Failed int
}

// sweepBatch bounds one sweep; the rest wait for the next run.
const sweepBatch = 200

// Sweep asks the bank (OrderQuery) about every order still waiting past
// its notification window, and applies what it learns: paid, expired,
// created after all. It is the net under lost callbacks. Run-once; the
// periodic job calls it.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	orders, err := s.db.OrdersToCheck(ctx, s.now().Add(-s.cfg.CheckAfter), sweepBatch)
	if err != nil {
		return SweepResult{}, err
	}
	r, err := s.checkAll(ctx, orders, shop.SourceReconcile)
	if r.Checked > 0 {
		s.log.InfoContext(ctx, "reconciliation sweep", "checked", r.Checked, "changed", r.Changed, "failed", r.Failed)
	}
	return r, err
}

// checkAll checks orders one by one; one order's failure does not stop
// the others.
func (s *Service) checkAll(ctx context.Context, orders []*shop.Order, source shop.Source) (SweepResult, error) {
	var r SweepResult
	for i, o := range orders {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		if i > 0 {
			// For fault tests: some orders checked, others not yet.
			s.cfg.Hooks.Point("sweep-mid")
		}
		r.Checked++
		changed, err := s.CheckOrder(ctx, o, source)
		if err != nil {
			r.Failed++
			s.log.WarnContext(ctx, "could not check an order with the bank", "order", o.No, "source", source, "error", err)
			continue
		}
		if changed {
			r.Changed++
		}
	}
	return r, nil
}

// ExpireATM asks the bank about every waiting ATM order past its last day
// to pay, and expires those the bank says are unpaid.
func (s *Service) ExpireATM(ctx context.Context) (SweepResult, error) {
	today := funbiz.FormatDate(s.now())
	orders, err := s.db.ExpiredATMOrders(ctx, today, sweepBatch)
	if err != nil {
		return SweepResult{}, err
	}
	return s.checkAll(ctx, orders, shop.SourceExpiry)
}

// CheckOrder asks the bank about one order and applies what it says. It
// reports whether the order's status changed.
func (s *Service) CheckOrder(ctx context.Context, o *shop.Order, source shop.Source) (bool, error) {
	info, found, err := s.findOrder(ctx, o)
	if err != nil {
		return false, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "asking the bank about %s", o.No)
	}
	if o.Bank.State != shop.BankCreated {
		if !found {
			// The bank never got it: now, and only now, creating it again is
			// safe. The claim keeps two sweeps from both doing so; it holds
			// only if the order is as it was read before the bank was
			// asked (its state and its last change), so a sweep whose
			// OrderQuery came before another sweep's OrderCreate, which
			// then timed out and put the state back, does not create it
			// a second time.
			won, err := s.db.ClaimBankCreate(ctx, o.ID, o.Bank.State, o.UpdatedAt, s.now())
			if err != nil || !won {
				return false, err
			}
			s.log.InfoContext(ctx, "order never reached the bank; creating it now", "order", o.No)
			return false, s.createAtBank(ctx, o)
		}
		b := s.bankOrderFrom(o, info)
		if err := s.db.SetBank(ctx, o.ID, b, s.now()); err != nil {
			return false, err
		}
		o.Bank = b
	}
	if !found {
		_ = s.db.TouchOrder(ctx, o.ID, s.now())
		return false, errors.New("the bank does not know an order it created")
	}
	ev, note := s.eventFor(o, info)
	if ev == "" {
		return false, s.db.TouchOrder(ctx, o.ID, s.now())
	}
	changed, _, err := s.db.ApplyEvent(ctx, o.ID, ev, storage.EventMeta{Source: source, Amount: shop.Money(info.Amount), Note: note, BankAt: bankTime(info.PayDate)}, s.now())
	if err == nil && !changed {
		err = s.db.TouchOrder(ctx, o.ID, s.now())
	}
	return changed, err
}

// eventFor reads the bank's view of an order as an event, or none.
func (s *Service) eventFor(o *shop.Order, info funbiz.OrderInfo) (shop.Event, string) {
	switch {
	case info.PayStatus.Paid():
		if info.Amount != int64(o.Amount) {
			return shop.EventMismatch, "bank says paid with another amount"
		}
		return shop.EventPaid, "bank says " + string(info.PayStatus)
	case info.PayStatus == funbiz.PayStatusCardExpired:
		return shop.EventExpired, "card page expired unpaid"
	case info.PayStatus == funbiz.PayStatusCardVoid || info.PayStatus == funbiz.PayStatusCardCanceled:
		return shop.EventFailed, "authorisation void"
	case o.PayType == shop.PayATM && o.Bank.ExpireDate != "" && funbiz.FormatDate(s.now()) > o.Bank.ExpireDate:
		return shop.EventExpired, "unpaid after " + o.Bank.ExpireDate
	}
	return "", ""
}
