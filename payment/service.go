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
	s := &Service{db: db, bank: bank, cfg: cfg, log: log, limit: confirmLimit(cfg)}
	rc := &river.Config{
		Logger:               log,
		JobTimeout:           s.jobTimeout(time.Minute),
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        cfg.PollInterval / 5,
		MaxAttempts:          20,
	}
	if !cfg.InsertOnly {
		s.addJobs(rc)
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
