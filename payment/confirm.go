package payment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// RecordCallback durably records a callback's PayToken in LaneKnown, where
// the service's workers take it to confirm (lanes.go). Only after it
// returns nil may the notification be acknowledged; an error means it
// may not have been kept and the bank must send again. delay holds it
// from the workers that long (the return path confirms at once itself
// and leaves the workers as a safety net).
func (s *Service) RecordCallback(ctx context.Context, n funbiz.Notification, source shop.Source, delay time.Duration) (*shop.Delivery, error) {
	if bank, _ := s.bankFor(n.ShopNo); bank == nil {
		return nil, shop.Errorf(shop.Invalid, "callback.other_shop", "callback for shop %q", n.ShopNo)
	}
	var held time.Time
	if delay > 0 {
		held = s.now().Add(delay)
	}
	delivery, err := s.db.RecordPayToken(ctx, storage.NewDelivery{Token: n.PayToken, ShopNo: n.ShopNo, Source: source,
		Lane: shop.LaneKnown, HeldUntil: held, At: s.now()})
	if err != nil {
		return nil, err
	}
	s.wakeLane(shop.LaneKnown)
	return delivery, nil
}

// Return handles the browser's return from the card page: it records the
// PayToken like a notification, then asks the bank at once, waiting at
// most ReturnWait. It returns the delivery, processed when the bank
// answered in time. When confirmations are at their rate limit it does
// not wait for a turn: the browser gets the waiting page at once and a
// worker confirms later, so a flood of forged returns is answered quickly.
func (s *Service) Return(ctx context.Context, n funbiz.Notification) (*shop.Delivery, error) {
	delivery, err := s.RecordCallback(ctx, n, shop.SourceReturn, 2*s.cfg.ReturnWait)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.ReturnWait)
	defer cancel()
	done, err := s.confirm(cctx, delivery.ID, s.tryTurn)
	if err != nil {
		// The job confirms it later; the page says so and refreshes.
		s.log.InfoContext(ctx, "return not confirmed in time; left to the job", "ref", delivery.Ref, "error", err)
		return delivery, nil
	}
	return done, nil
}

// confirmLimit is the limit on OrderPayQuery calls of confirmations:
// ConfirmRate a second, ConfirmBurst at once, or none.
func confirmLimit(cfg Config) *rate.Limiter {
	if cfg.ConfirmRate > 0 {
		return rate.NewLimiter(rate.Limit(cfg.ConfirmRate), max(cfg.ConfirmBurst, 1))
	}
	return rate.NewLimiter(rate.Inf, 0)
}

// ErrBusy is returned (wrapped, with code Unavailable) when a confirmation
// did not get its turn under the rate limit of OrderPayQuery calls in time.
var ErrBusy = errors.New("payment: confirmations are at their rate limit")

// ConfirmToken asks the bank what a recorded PayToken stands for and
// applies the answer to the order it names, exactly once however often it
// runs. It returns the updated delivery. It waits for its turn under the
// rate limit as long as ctx allows, and fails with ErrBusy when ctx would
// end first. An error means the bank could not be asked; the caller
// retries later.
func (s *Service) ConfirmToken(ctx context.Context, id int64) (*shop.Delivery, error) {
	return s.confirm(ctx, id, s.waitTurn)
}

// waitTurn waits for a turn to call the bank, within ctx.
func (s *Service) waitTurn(ctx context.Context, _ *shop.Delivery) error {
	if err := s.limit.Wait(ctx); err != nil {
		return shop.Wrap(shop.Unavailable, "error.bank_unavailable", fmt.Errorf("%w: %v", ErrBusy, err), "waiting to confirm")
	}
	return nil
}

// tryTurn takes a turn only when one is free now.
func (s *Service) tryTurn(context.Context, *shop.Delivery) error {
	if !s.limit.Allow() {
		return shop.Wrap(shop.Unavailable, "error.bank_unavailable", ErrBusy, "no turn to confirm now")
	}
	return nil
}

func (s *Service) confirm(ctx context.Context, id int64, turn func(context.Context, *shop.Delivery) error) (*shop.Delivery, error) {
	delivery, err := s.db.PayTokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if delivery.Processed() {
		return delivery, nil
	}
	// One confirmation of a PayToken at a time in this process: the bank
	// sends its notification and the browser its return at about the same
	// moment, and the second to come waits for the first's answer rather
	// than asking the bank the same question beside it.
	end, err := s.flights.begin(ctx, delivery.Token)
	if err != nil {
		return nil, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "waiting for PayToken %d's other confirmation", id)
	}
	defer end()
	// The same PayToken delivered again (the notification after the return,
	// a resend) needs no second bank call: the first confirmation already
	// applied the bank's answer, and a PayToken's answer never changes.
	if twin, found, err := s.db.ProcessedTwin(ctx, delivery.Token, delivery.ID); err != nil {
		return nil, err
	} else if found {
		return s.mark(ctx, delivery, twin.OrderNo, shop.Repeat(twin))
	}
	if err := turn(ctx, delivery); err != nil {
		return nil, err
	}
	// For fault tests: the callback is acknowledged (or the browser is
	// waiting), the bank not yet asked.
	s.cfg.Hooks.Point("confirm-start")
	bank, test := s.bankFor(delivery.ShopNo)
	if bank == nil {
		// Recorded for a bank this instance no longer has (its test bank
		// was turned off): nobody here can say what the token is.
		return s.mark(ctx, delivery, "", shop.Outcome{Kind: shop.OutcomeNotOurs, Detail: "no bank here for ShopNo " + delivery.ShopNo})
	}
	res, err := bank.OrderPayQuery(ctx, delivery.Token)
	if err != nil {
		if errors.Is(err, funbiz.ErrBankRefused) || errors.Is(err, funbiz.ErrInvalid) {
			return s.mark(ctx, delivery, "", shop.Outcome{Kind: shop.OutcomeRefused, Detail: bankErrorText(err)})
		}
		return nil, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "confirming PayToken %d", id)
	}
	o, err := s.db.OrderByNo(ctx, res.Payment.OrderNo)
	if shop.IsCode(err, shop.NotFound) {
		return s.mark(ctx, delivery, res.Payment.OrderNo, shop.Outcome{Kind: shop.OutcomeNotOurs})
	}
	if err != nil {
		return nil, err
	}
	if o.TestBank != test {
		// The test bank (a sandbox, whose demo keys are public) speaking
		// of a live order, or the live bank of a test one: an order is
		// settled only by the bank it was made at.
		return s.mark(ctx, delivery, o.No, shop.Outcome{Kind: shop.OutcomeNotOurs, Detail: "answer from the other bank than the order's"})
	}
	c := s.judge(bank, o, res)
	var ev shop.Event
	var outcome shop.Outcome
	switch c.Outcome {
	case funbiz.OutcomePaid:
		ev, outcome = shop.EventPaid, shop.Outcome{Kind: shop.OutcomePaid}
	case funbiz.OutcomeFailed:
		ev, outcome = shop.EventFailed, shop.Outcome{Kind: shop.OutcomeFailed}
	default:
		if res.ShopNo != bank.ShopNo() || res.Payment.ShopNo != bank.ShopNo() {
			return s.mark(ctx, delivery, o.No, shop.Outcome{Kind: shop.OutcomeNotOurs, Detail: c.Reason})
		}
		ev, outcome = shop.EventMismatch, shop.Outcome{Kind: shop.OutcomeMismatch, Detail: c.Reason}
	}
	changed, _, err := s.db.ApplyEvent(ctx, o.ID, ev, storage.EventMeta{
		Source: delivery.Source, PayToken: delivery.Token, Amount: shop.Money(res.Payment.Amount), Note: c.Reason,
		BankAt: bankTime(res.Payment.PayDate),
	}, s.now())
	if err != nil {
		return nil, err
	}
	if changed {
		// For fault tests: the change and what it sends (e-mail, webhook
		// events) are recorded, nothing of it sent yet.
		s.cfg.Hooks.Point("event-recorded")
	}
	outcome.Unchanged = !changed
	s.log.InfoContext(ctx, "PayToken confirmed", "ref", delivery.Ref, "order", o.No, "outcome", outcome.Kind, "unchanged", outcome.Unchanged,
		"source", delivery.Source, "lane", delivery.Lane)
	if delivery.Lane == shop.LaneOther {
		s.laneHint.Do(func() {
			s.log.WarnContext(ctx, "a payment's notification came from an address not known as the bank's, and waited behind "+
				"every other unknown sender's: list the bank's addresses in SINOPAY_NOTIFY_FROM")
		})
	}
	return s.mark(ctx, delivery, o.No, outcome)
}

// bankTime reads the bank's PayDate (yyyyMMddHHmm, Taiwan time), or
// gives the zero time when it is missing or unreadable: the shop's own
// time of the event then stands.
func bankTime(payDate string) time.Time {
	t, err := funbiz.ParseDateTime(payDate)
	if err != nil {
		return time.Time{}
	}
	return t
}

// judge checks the bank's answer about a PayToken against the order it
// names: funbiz.Judge's shop, OrderNo and amount, and the bank's own
// number of the order. Looking the order up by the OrderNo the bank
// names makes the OrderNo agree by construction; the TSNo is what tells
// a payment of this order from a payment of another order filed under
// its number, however right the amount. The bank gives an order its TSNo
// at OrderCreate (or OrderQuery, for an order adopted), and its payments
// carry that TSNo, as the sandbox models it; an answer or an order
// without one is not checked on it.
func (s *Service) judge(bank *funbiz.Client, o *shop.Order, res *funbiz.PayResult) *funbiz.Confirmation {
	c := funbiz.Judge(bank.ShopNo(), res, funbiz.Expected{OrderNo: o.No, Amount: int64(o.Amount)})
	if ts := res.Payment.TSNo; ts != "" && o.Bank.TSNo != "" && ts != o.Bank.TSNo {
		why := fmt.Sprintf("TSNo %q, expected %q", ts, o.Bank.TSNo)
		if c.Outcome == funbiz.OutcomeMismatch {
			why = c.Reason + "; " + why
		}
		c = &funbiz.Confirmation{Outcome: funbiz.OutcomeMismatch, Reason: why, Result: res}
	}
	return c
}

func (s *Service) mark(ctx context.Context, delivery *shop.Delivery, orderNo string, outcome shop.Outcome) (*shop.Delivery, error) {
	now := s.now()
	if err := s.db.MarkPayToken(ctx, delivery.ID, orderNo, outcome, now); err != nil {
		return nil, err
	}
	delivery.OrderNo, delivery.Outcome, delivery.ProcessedAt = orderNo, outcome, now
	return delivery, nil
}

// ConfirmArgs is the job that confirmed one recorded callback before each
// callback became its own work item (lanes.go). The kind stays so that
// jobs enqueued by an older version are still worked after an upgrade.
type ConfirmArgs struct {
	PayTokenID int64 `json:"pay_token_id"`
}

func (ConfirmArgs) Kind() string { return "confirm_paytoken" }

// confirmJob is the confirmation job's work: ConfirmToken, waiting for a
// turn under the rate limit as long as the job may run.
func (s *Service) confirmJob(ctx context.Context, args ConfirmArgs) error {
	_, err := s.ConfirmToken(ctx, args.PayTokenID)
	if errors.Is(err, ErrBusy) {
		// No turn under the rate limit: try again soon, without spending
		// one of the job's attempts on it.
		return jobqueue.Snooze(time.Second + rand.N(time.Second))
	}
	return err
}

// confirmBackoff retries a confirmation soon at first, then backs off to
// a few minutes: the bank being down for a while is normal, and the sweep
// is the net behind this.
func confirmBackoff(attempt int) time.Duration {
	return min(time.Duration(1<<min(attempt, 8))*time.Second, 5*time.Minute)
}

// flights lets one confirmation of a PayToken run at a time in this
// process. Instances sharing a database may still confirm one token side
// by side; that costs a second bank call, never a second payment, since
// applying an answer to its order happens once (storage.ApplyEvent).
type flights struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// begin waits, within ctx, until no other confirmation of token runs
// here, then marks one running; end unmarks it.
func (f *flights) begin(ctx context.Context, token string) (end func(), err error) {
	for {
		f.mu.Lock()
		running, busy := f.m[token]
		if !busy {
			if f.m == nil {
				f.m = make(map[string]chan struct{})
			}
			done := make(chan struct{})
			f.m[token] = done
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.m, token)
				f.mu.Unlock()
				close(done)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-running:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}
