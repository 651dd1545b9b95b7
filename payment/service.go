// Package payment takes the shop's payments through the bank: checkout
// (OrderCreate), the bank's two callbacks, their confirmation with
// OrderPayQuery, and the background sweeps that ask the bank about orders
// whose callbacks never came. Its background work runs as durable jobs in
// the shop's database (River), so an accepted callback survives a crash.
package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"golang.org/x/time/rate"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/internal/crash"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Config tunes the service. Zero values take the defaults in brackets.
type Config struct {
	// BaseURL is the shop's public URL, where the bank sends callbacks.
	BaseURL string
	// ATMExpireDays is how many days an ATM account stays payable [7].
	ATMExpireDays int
	// CardExpMinutes is how long the card page link lives, 1–30 [30].
	CardExpMinutes int
	// CheckAfter is how long an order may wait for its callback before the
	// sweep asks the bank about it [10m].
	CheckAfter time.Duration
	// SweepEvery is how often the reconciliation sweep runs [5m].
	SweepEvery time.Duration
	// ReturnWait bounds how long the browser's return waits for the bank [5s].
	ReturnWait time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Workers is how many jobs run at once [8]; 0 workers is not allowed,
	// use InsertOnly to run no jobs.
	Workers int
	// InsertOnly makes a service that enqueues jobs but never works them.
	InsertOnly bool
	// PollInterval is how often idle workers look for jobs [250ms].
	PollInterval time.Duration
	// CardCapture is how new card orders are charged [shop.CaptureAuto]:
	// at once (AutoBilling Y), or authorised only and captured from the
	// back office (AutoBilling N).
	CardCapture shop.CaptureMode
	// RescueAfter is how long a job may run before it counts as stuck (its
	// worker died) and is run again [2m]; it also caps every job's timeout,
	// so a live job is never rescued. Crash tests shorten it.
	RescueAfter time.Duration
	// ConfirmRate and ConfirmBurst bound how many OrderPayQuery calls
	// confirmations make, per second and at once [50/s, 100]: anyone can
	// post a callback, so forged PayTokens must not turn into as many bank
	// calls. A negative rate means no limit. The limit is per instance.
	ConfirmRate  float64
	ConfirmBurst int
	// Hooks arms crash points for fault tests (confirm-start, sweep-mid);
	// nil arms none.
	Hooks *crash.Points
}

func (c *Config) defaults() {
	if c.ATMExpireDays == 0 {
		c.ATMExpireDays = 7
	}
	if c.CardExpMinutes == 0 {
		c.CardExpMinutes = 30
	}
	if c.CheckAfter == 0 {
		c.CheckAfter = 10 * time.Minute
	}
	if c.SweepEvery == 0 {
		c.SweepEvery = 5 * time.Minute
	}
	if c.ReturnWait == 0 {
		c.ReturnWait = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Workers == 0 {
		c.Workers = 8
	}
	if c.PollInterval == 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.CardCapture == "" {
		c.CardCapture = shop.CaptureAuto
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = 2 * time.Minute
	}
	if c.ConfirmRate == 0 {
		c.ConfirmRate = 50
	}
	if c.ConfirmBurst == 0 {
		c.ConfirmBurst = 100
	}
}

// Service is the payment side of the shop. It is safe for concurrent use.
type Service struct {
	db    *storage.DB
	bank  *funbiz.Client
	jobs  *river.Client[*sql.Tx]
	cfg   Config
	log   *slog.Logger
	limit *rate.Limiter // OrderPayQuery calls made by confirmations
}

// New builds the service and its job queue client. Call Start to run the
// workers and the periodic sweeps.
func New(db *storage.DB, bank *funbiz.Client, cfg Config, log *slog.Logger) (*Service, error) {
	cfg.defaults()
	if cfg.BaseURL == "" {
		return nil, errors.New("payment: BaseURL is required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if !cfg.CardCapture.Valid() {
		return nil, fmt.Errorf("payment: CardCapture must be auto or manual, got %q", cfg.CardCapture)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, bank: bank, cfg: cfg, log: log, limit: rate.NewLimiter(rate.Inf, 0)}
	if cfg.ConfirmRate > 0 {
		s.limit = rate.NewLimiter(rate.Limit(cfg.ConfirmRate), max(cfg.ConfirmBurst, 1))
	}
	rc := &river.Config{
		Logger:               log,
		JobTimeout:           s.jobTimeout(time.Minute),
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        cfg.PollInterval / 5,
		MaxAttempts:          20,
	}
	if !cfg.InsertOnly {
		workers := river.NewWorkers()
		river.AddWorker(workers, &confirmWorker{s: s})
		river.AddWorker(workers, &sweepWorker{s: s})
		river.AddWorker(workers, &expireWorker{s: s})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		rc.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.SweepEvery),
				// Only the elected leader enqueues periodic jobs; uniqueness by
				// period also keeps a leader change from running one twice.
				func() (river.JobArgs, *river.InsertOpts) {
					return SweepArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: cfg.SweepEvery}}
				},
				&river.PeriodicJobOpts{ID: "reconcile", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
				func() (river.JobArgs, *river.InsertOpts) {
					return ExpireArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
				},
				&river.PeriodicJobOpts{ID: "expire-atm", RunOnStart: true}),
		}
		s.backOfficeJobs(workers, rc)
	}
	var err error
	switch db.Dialect {
	case storage.SQLite:
		s.jobs, err = river.NewClient(riversqlite.New(db.SQL), rc)
	default:
		s.jobs, err = river.NewClient(riverdatabasesql.New(db.SQL), rc)
	}
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return s, nil
}

// Start runs the workers and periodic jobs until Stop.
func (s *Service) Start(ctx context.Context) error {
	if s.cfg.InsertOnly {
		return nil
	}
	return s.jobs.Start(ctx)
}

// Stop lets running jobs finish (until ctx ends) and stops the workers.
func (s *Service) Stop(ctx context.Context) error {
	if s.cfg.InsertOnly {
		return nil
	}
	return s.jobs.Stop(ctx)
}

// Jobs exposes the queue client, for admin pages and tests.
func (s *Service) Jobs() *river.Client[*sql.Tx] { return s.jobs }

// ShopNo is the merchant's shop number.
func (s *Service) ShopNo() string { return s.bank.ShopNo() }

func (s *Service) now() time.Time { return s.cfg.Now() }

// jobTimeout caps a job's timeout at RescueAfter: a job still running when
// the rescuer looks would be run a second time alongside.
func (s *Service) jobTimeout(d time.Duration) time.Duration { return min(d, s.cfg.RescueAfter) }

// ---- checkout ----

// Checkout prices the cart from the catalogue, stores the order and creates
// it at the bank. The checkout key makes it idempotent: any number of
// submits of one checkout form give one order and one bank order. When the
// bank cannot be reached the order is kept, marked unknown at the bank,
// and the sweep finds out (never a blind second OrderCreate).
func (s *Service) Checkout(ctx context.Context, customerID int64, key string, lines []shop.CartLine, payType shop.PayType, lang string) (*shop.Order, error) {
	if key == "" || len(key) > 64 {
		return nil, shop.Errorf(shop.Invalid, "checkout.expired_form", "bad checkout key")
	}
	products, err := s.db.Products(ctx)
	if err != nil {
		return nil, err
	}
	items, total, err := shop.PriceCart(products, lines, lang)
	if err != nil {
		return nil, err
	}
	if err := shop.CheckPayable(payType, total); err != nil {
		return nil, err
	}
	now := s.now()
	o := &shop.Order{CustomerID: customerID, PayType: payType, Amount: total, Items: items, Capture: shop.CaptureAuto}
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
	if o.PayType == shop.PayATM {
		expireDate = funbiz.FormatDate(now.AddDate(0, 0, s.cfg.ATMExpireDays))
		p.ATM = &funbiz.ATMParams{ExpireDate: expireDate}
	} else {
		// The order's own mode, not the setting's: a sweep that creates it
		// again after the setting changed must not change how it is paid.
		p.Card = &funbiz.CardParams{AutoBilling: o.Capture != shop.CaptureManual, ExpMinutes: s.cfg.CardExpMinutes}
	}
	res, err := s.bank.OrderCreate(ctx, p)
	b := shop.BankOrder{State: shop.BankCreated, ExpireDate: expireDate}
	switch {
	case err == nil:
		b.TSNo = res.TSNo
		if res.ATM != nil {
			b.AtmPayNo, b.WebAtmURL, b.OtpURL = res.ATM.AtmPayNo, res.ATM.WebAtmURL, res.ATM.OtpURL
		}
		if res.Card != nil {
			b.CardPayURL = res.Card.CardPayURL
			b.CardExpiresAt = now.Add(time.Duration(s.cfg.CardExpMinutes) * time.Minute)
		}
	case errors.Is(err, funbiz.ErrBankRefused) || errors.Is(err, funbiz.ErrInvalid):
		// The bank keeps OrderNo unique, so a refusal may mean another
		// request (a sweep on another instance, say) created this very order
		// first. Only an order the bank does not have is refused.
		if info, found, ferr := s.bank.FindOrder(ctx, o.No); ferr == nil && found {
			b = s.bankOrderFrom(o, info)
			if b.ExpireDate == "" {
				b.ExpireDate = expireDate
			}
			s.log.Info("order already at the bank; adopting it", "order", o.No)
			break
		}
		b.State = shop.BankRefused
		b.Error = bankErrorText(err)
		s.log.Warn("bank refused an order", "order", o.No, "error", err)
	default:
		// Timeout, garbage, a bad signature: the bank may or may not have the
		// order. The sweep asks it by OrderNo before anything else happens.
		b.State = shop.BankUnknown
		s.log.Warn("order creation outcome unknown; the sweep will ask the bank", "order", o.No, "error", err)
	}
	if serr := s.db.SetBank(ctx, o.ID, b, s.now()); serr != nil {
		return serr
	}
	o.Bank = b
	return nil
}

func bankErrorText(err error) string {
	var fe *funbiz.Error
	if errors.As(err, &fe) && fe.Description != "" {
		return fe.Description
	}
	return err.Error()
}

// ---- callbacks ----

// RecordCallback durably records a callback's PayToken and enqueues its
// confirmation in the same transaction. Only after it returns nil may the
// notification be acknowledged; an error means nothing was kept and the
// bank must send again. delay postpones the confirmation job (the return
// path confirms at once itself and leaves the job as a safety net).
func (s *Service) RecordCallback(ctx context.Context, n funbiz.Notification, source shop.Source, delay time.Duration) (*shop.Delivery, error) {
	if n.ShopNo != s.bank.ShopNo() {
		return nil, shop.Errorf(shop.Invalid, "callback.other_shop", "callback for shop %q", n.ShopNo)
	}
	var delivery *shop.Delivery
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		delivery, err = storage.InsertPayToken(ctx, tx, n.PayToken, n.ShopNo, source, s.now())
		if err != nil {
			return err
		}
		opts := &river.InsertOpts{MaxAttempts: 25}
		if delay > 0 {
			opts.ScheduledAt = time.Now().Add(delay)
		}
		if _, err := s.jobs.InsertTx(ctx, tx, ConfirmArgs{PayTokenID: delivery.ID}, opts); err != nil {
			return shop.Wrap(shop.Unavailable, "error.unavailable", err, "enqueue confirmation")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return delivery, nil
}

// Return handles the browser's return from the card page: it records the
// PayToken like a notification, then asks the bank at once, waiting at
// most ReturnWait. It returns the delivery, processed when the bank
// answered in time. When confirmations are at their rate limit it does
// not wait for a turn: the browser gets the waiting page at once and the
// job confirms later, so a flood of forged returns is answered quickly.
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
		s.log.Info("return not confirmed in time; left to the job", "ref", delivery.Ref, "error", err)
		return delivery, nil
	}
	return done, nil
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
func (s *Service) waitTurn(ctx context.Context) error {
	if err := s.limit.Wait(ctx); err != nil {
		return shop.Wrap(shop.Unavailable, "error.bank_unavailable", fmt.Errorf("%w: %v", ErrBusy, err), "waiting to confirm")
	}
	return nil
}

// tryTurn takes a turn only when one is free now.
func (s *Service) tryTurn(context.Context) error {
	if !s.limit.Allow() {
		return shop.Wrap(shop.Unavailable, "error.bank_unavailable", ErrBusy, "no turn to confirm now")
	}
	return nil
}

func (s *Service) confirm(ctx context.Context, id int64, turn func(context.Context) error) (*shop.Delivery, error) {
	delivery, err := s.db.PayTokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if delivery.Processed() {
		return delivery, nil
	}
	// The same PayToken delivered again (the notification after the return,
	// a resend) needs no second bank call: the first confirmation already
	// applied the bank's answer, and a PayToken's answer never changes.
	if twin, found, err := s.db.ProcessedTwin(ctx, delivery.Token, delivery.ID); err != nil {
		return nil, err
	} else if found {
		return s.mark(ctx, delivery, twin.OrderNo, shop.Repeat(twin))
	}
	if err := turn(ctx); err != nil {
		return nil, err
	}
	// For fault tests: the callback is acknowledged (or the browser is
	// waiting), the bank not yet asked.
	s.cfg.Hooks.Point("confirm-start")
	res, err := s.bank.OrderPayQuery(ctx, delivery.Token)
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
	c := funbiz.Judge(s.bank.ShopNo(), res, funbiz.Expected{OrderNo: o.No, Amount: int64(o.Amount)})
	var ev shop.Event
	var outcome shop.Outcome
	switch c.Outcome {
	case funbiz.OutcomePaid:
		ev, outcome = shop.EventPaid, shop.Outcome{Kind: shop.OutcomePaid}
	case funbiz.OutcomeFailed:
		ev, outcome = shop.EventFailed, shop.Outcome{Kind: shop.OutcomeFailed}
	default:
		if res.ShopNo != s.bank.ShopNo() || res.Payment.ShopNo != s.bank.ShopNo() {
			return s.mark(ctx, delivery, o.No, shop.Outcome{Kind: shop.OutcomeNotOurs, Detail: c.Reason})
		}
		ev, outcome = shop.EventMismatch, shop.Outcome{Kind: shop.OutcomeMismatch, Detail: c.Reason}
	}
	changed, _, err := s.db.ApplyEvent(ctx, o.ID, ev, storage.EventMeta{
		Source: delivery.Source, PayToken: delivery.Token, Amount: shop.Money(res.Payment.Amount), Note: c.Reason,
	}, s.now())
	if err != nil {
		return nil, err
	}
	outcome.Unchanged = !changed
	s.log.Info("PayToken confirmed", "ref", delivery.Ref, "order", o.No, "outcome", outcome.Kind, "unchanged", outcome.Unchanged, "source", delivery.Source)
	return s.mark(ctx, delivery, o.No, outcome)
}

func (s *Service) mark(ctx context.Context, delivery *shop.Delivery, orderNo string, outcome shop.Outcome) (*shop.Delivery, error) {
	now := s.now()
	if err := s.db.MarkPayToken(ctx, delivery.ID, orderNo, outcome, now); err != nil {
		return nil, err
	}
	delivery.OrderNo, delivery.Outcome, delivery.ProcessedAt = orderNo, outcome, now
	return delivery, nil
}
