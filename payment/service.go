// Package payment takes the shop's payments through the bank: checkout
// (OrderCreate, checkout.go), the bank's two callbacks and their
// confirmation with OrderPayQuery (confirm.go), the back office's
// captures, cancellations and refunds (maintain.go), and the sweeps that
// ask the bank about orders whose callbacks never came (sweep.go). Its
// background work runs as durable jobs in the shop's database (jobqueue;
// every kind is in jobs.go), so an accepted callback survives a crash.
package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/internal/crash"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Config tunes the service. Zero values take the defaults in brackets.
type Config struct {
	// BaseURL is the shop's public URL, where the bank sends callbacks.
	BaseURL string
	// ATMExpireDays is how many days an ATM account stays payable [7].
	ATMExpireDays int
	// ATMMax is the shop's own limit on an ATM order, a business rule
	// (the bank has none that is known); 0 is none [0].
	ATMMax shop.Money
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
	// OtherJobs are kinds of job of other packages that run on the
	// service's queue beside its own (the reconciliation's daily report).
	OtherJobs []jobqueue.Job
	// InsertOnly makes a service that enqueues jobs but never works them.
	InsertOnly bool
	// PollInterval is how often idle workers look for jobs [250ms].
	PollInterval time.Duration
	// NameLang is the shop's primary language, "zh-TW" or "en" [zh-TW]:
	// an order's items are named in it to the bank (PrdtName, shown on the
	// bank's pages and statements), whatever language the customer shops
	// in. The order keeps both names for its own pages.
	NameLang string
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
	// OtherBacklog is how many notifications from senders not known as
	// the bank's may wait for their confirmation at once [1000]; past it
	// they are answered 503 and a real bank sends again later (lanes.go).
	OtherBacklog int
	// BacklogRecount is how old the count of the waiting notifications of
	// unknown senders may be before it is counted again [250ms]: between
	// counts, this instance adds what it records. A test that must see
	// the backlog drain at once sets it to a nanosecond.
	BacklogRecount time.Duration
	// TestBank, when set, is a second bank beside the shop's live one (the
	// embedded sandbox): test API keys' payments are made there, and
	// everything about them, callbacks included, is asked of it [none].
	// Its ShopNo must differ from the shop's bank's, since a callback
	// names its bank by ShopNo alone.
	TestBank *funbiz.Client
	// Hooks arms crash points for fault tests (confirm-start, event-recorded, sweep-mid);
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
	if c.CardCapture == "" {
		c.CardCapture = shop.CaptureAuto
	}
	if c.NameLang == "" {
		c.NameLang = "zh-TW"
	}
	if c.ConfirmRate == 0 {
		c.ConfirmRate = 50
	}
	if c.ConfirmBurst == 0 {
		c.ConfirmBurst = 100
	}
	if c.OtherBacklog == 0 {
		c.OtherBacklog = 1000
	}
}

// Service is the payment side of the shop. It is safe for concurrent use.
type Service struct {
	db      *storage.DB
	bank    *funbiz.Client
	queue   *jobqueue.Queue
	cfg     Config
	log     *slog.Logger
	limit   *rate.Limiter // OrderPayQuery calls made by confirmations
	lanes   lanes         // the workers confirming callbacks (lanes.go)
	other   otherLane     // the backlog of notifications from unknown senders
	flights flights       // confirmations running, by PayToken

	laneHint sync.Once // the hint that a real payment came in LaneOther
}

// New builds the service and its job queue, with every kind of job in
// the service's table (jobs.go) and cfg.OtherJobs. Call Start to run the
// workers and the periodic sweeps.
func New(db *storage.DB, bank *funbiz.Client, cfg Config, log *slog.Logger) (*Service, error) {
	cfg.defaults()
	if cfg.BaseURL == "" {
		return nil, errors.New("payment: BaseURL is required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.TestBank != nil && cfg.TestBank.ShopNo() == bank.ShopNo() {
		return nil, fmt.Errorf("payment: the test bank's ShopNo %q is the shop's bank's: callbacks could not tell them apart", bank.ShopNo())
	}
	if !cfg.CardCapture.Valid() {
		return nil, fmt.Errorf("payment: CardCapture must be auto or manual, got %q", cfg.CardCapture)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, bank: bank, cfg: cfg, log: log, limit: confirmLimit(cfg)}
	for i := range s.lanes.wake {
		s.lanes.wake[i] = make(chan struct{}, 1)
	}
	var err error
	s.queue, err = jobqueue.New(db, jobqueue.Config{Workers: cfg.Workers, InsertOnly: cfg.InsertOnly,
		PollInterval: cfg.PollInterval, RescueAfter: cfg.RescueAfter, Log: log}, append(s.jobs(), cfg.OtherJobs...))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Start runs the workers and periodic jobs until Stop.
func (s *Service) Start(ctx context.Context) error {
	if err := s.queue.Start(ctx); err != nil {
		return err
	}
	if !s.cfg.InsertOnly {
		s.startLanes()
	}
	return nil
}

// Stop lets running jobs finish (until ctx ends) and stops the workers.
func (s *Service) Stop(ctx context.Context) error {
	s.stopLanes(ctx)
	return s.queue.Stop(ctx)
}

// Queue is the service's job queue, for the back office's job pages and
// the metrics.
func (s *Service) Queue() *jobqueue.Queue { return s.queue }

// ShopNo is the merchant's shop number.
func (s *Service) ShopNo() string { return s.bank.ShopNo() }

func (s *Service) now() time.Time { return s.cfg.Now() }

// Payable checks that an order of total can be paid with payType under
// the shop's rules.
func (s *Service) Payable(payType shop.PayType, total shop.Money) error {
	return shop.CheckPayable(payType, total, s.cfg.ATMMax)
}

// ATMMax is the shop's own limit on an ATM order; 0 is none.
func (s *Service) ATMMax() shop.Money { return s.cfg.ATMMax }
