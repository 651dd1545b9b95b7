// Package jobqueue keeps the shop's background work as durable jobs in the
// shop's own database, SQLite or PostgreSQL: a job enqueued in a
// transaction exists exactly when the transaction commits, and survives a
// crash. It is the one package that knows the queue underneath (River):
// the others describe their kinds of job with Kind, and the back office
// sees jobs as shop.Job.
package jobqueue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/sinopay/sinopay/storage"
)

// Config tunes the queue. Zero values take the defaults in brackets.
type Config struct {
	// Workers is how many jobs run at once [8].
	Workers int
	// InsertOnly makes a queue that enqueues jobs but never works them.
	InsertOnly bool
	// PollInterval is how often idle workers look for jobs [250ms].
	PollInterval time.Duration
	// RescueAfter is how long a job may run before it counts as stuck (its
	// worker died) and is run again [2m]; it also caps every job's
	// timeout, so a live job is never rescued.
	RescueAfter time.Duration
	// Log receives the queue's own log lines [none].
	Log *slog.Logger
}

func (c *Config) defaults() {
	if c.Workers == 0 {
		c.Workers = 8
	}
	if c.PollInterval == 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = 2 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// defaultTimeout bounds an attempt of a kind that sets no Timeout.
const defaultTimeout = time.Minute

// defaultMaxAttempts is how many attempts a job of a kind that sets no
// MaxAttempts has.
const defaultMaxAttempts = 20

// Queue is the job queue of one shop instance: every instance on the
// same database shares the jobs, and the elected leader among them
// enqueues the scheduled ones. It is safe for concurrent use.
type Queue struct {
	client     *river.Client[*sql.Tx]
	db         *storage.DB
	kinds      map[string]*river.InsertOpts
	insertOnly bool
}

// New builds the queue on db for the kinds of job in table. Unless
// cfg.InsertOnly, Start runs their workers and schedules. It fails when
// two rows name one kind or a row is not sound.
func New(db *storage.DB, cfg Config, table []Job) (*Queue, error) {
	cfg.defaults()
	q := &Queue{db: db, kinds: map[string]*river.InsertOpts{}, insertOnly: cfg.InsertOnly}
	rc := &river.Config{
		Logger:               cfg.Log,
		JobTimeout:           min(defaultTimeout, cfg.RescueAfter),
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        cfg.PollInterval / 5,
		MaxAttempts:          defaultMaxAttempts,
	}
	workers := river.NewWorkers()
	for _, j := range table {
		if j.err != nil {
			return nil, fmt.Errorf("job queue: kind %s: %w", j.kind, j.err)
		}
		if _, dup := q.kinds[j.kind]; dup {
			return nil, fmt.Errorf("job queue: kind %s is in the table twice", j.kind)
		}
		q.kinds[j.kind] = j.opts
		if cfg.InsertOnly {
			continue
		}
		if err := j.addWorker(workers, cfg.RescueAfter); err != nil {
			return nil, fmt.Errorf("job queue: kind %s: %w", j.kind, err)
		}
		if j.periodic != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, j.periodic)
		}
	}
	if !cfg.InsertOnly {
		if len(q.kinds) == 0 {
			return nil, errors.New("job queue: no kinds of job to work")
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	}
	var err error
	switch db.Dialect {
	case storage.SQLite:
		q.client, err = river.NewClient(riversqlite.New(db.SQL), rc)
	default:
		q.client, err = river.NewClient(riverdatabasesql.New(db.SQL), rc)
	}
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return q, nil
}

// Start runs the workers and the schedules until Stop. An insert-only
// queue has nothing to start.
func (q *Queue) Start(ctx context.Context) error {
	if q.insertOnly {
		return nil
	}
	return q.client.Start(ctx)
}

// Stop lets running jobs finish (until ctx ends) and stops the workers.
func (q *Queue) Stop(ctx context.Context) error {
	if q.insertOnly {
		return nil
	}
	return q.client.Stop(ctx)
}

// InsertTx enqueues a job in tx, to run after delay (at once when it is
// not positive): the job exists exactly when tx commits. The kind must be
// in the queue's table.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, args Args, delay time.Duration) error {
	opts, err := q.insertOpts(ctx, args, delay)
	if err != nil {
		return err
	}
	_, err = q.client.InsertTx(ctx, tx, args, opts)
	return err
}

// Insert enqueues a job to run now. It reports false when the kind is
// unique and an equal job exists already, which is then left alone.
func (q *Queue) Insert(ctx context.Context, args Args) (bool, error) {
	opts, err := q.insertOpts(ctx, args, 0)
	if err != nil {
		return false, err
	}
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// insertOpts are the options of a job of args's kind enqueued in ctx: the
// kind's, its delay, and the request it comes from (see origin).
func (q *Queue) insertOpts(ctx context.Context, args Args, delay time.Duration) (*river.InsertOpts, error) {
	base, ok := q.kinds[args.Kind()]
	if !ok {
		return nil, fmt.Errorf("job queue: kind %s is not in the table", args.Kind())
	}
	opts := *base
	opts.Metadata = originMetadata(ctx)
	if delay > 0 {
		opts.ScheduledAt = time.Now().Add(delay)
	}
	return &opts, nil
}
