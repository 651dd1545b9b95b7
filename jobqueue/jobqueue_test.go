package jobqueue_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// A database the shop's migrations alone brought up to date is behind
// until the queue's are applied too, on both databases: `serve
// --migrate=false` must refuse it.
func TestSchemaMigratesAfterTheShops(t *testing.T) {
	for name, target := range map[string]func(t testing.TB) string{
		"sqlite":   func(t testing.TB) string { return filepath.Join(t.TempDir(), "shop.db") },
		"postgres": storagetest.PostgresURL,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := storage.Open(ctx, target(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if pending, err := db.Pending(ctx); err != nil || pending {
				t.Fatalf("the shop's migrations pending after migrating them: %v %v", pending, err)
			}
			if pending, err := db.Pending(ctx, jobqueue.Schema); err != nil || !pending {
				t.Fatalf("the queue's migrations pending before migrating them: %v %v", pending, err)
			}
			for range 2 {
				if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
					t.Fatal(err)
				}
			}
			if pending, err := db.Pending(ctx, jobqueue.Schema); err != nil || pending {
				t.Fatalf("pending after migrating: %v %v", pending, err)
			}
			counts, err := jobqueue.Counter{DB: db}.Counts(ctx)
			if err != nil || len(counts) != 0 {
				t.Fatalf("counts of an empty queue: %v %v", counts, err)
			}
		})
	}
}

// Every state the queue underneath knows has a name in shop, so the back
// office and locale's test of its words cover it.
func TestEveryStateIsAShopState(t *testing.T) {
	for _, s := range rivertype.JobStates() {
		if !slices.Contains(shop.JobStates, shop.JobState(s)) {
			t.Errorf("state %s is not in shop.JobStates", s)
		}
	}
	if len(shop.JobStates) != len(rivertype.JobStates()) {
		t.Errorf("shop.JobStates %v, the queue's %v", shop.JobStates, rivertype.JobStates())
	}
}

type echoArgs struct {
	N int `json:"n"`
}

func (echoArgs) Kind() string { return "echo" }

type tickArgs struct{}

func (tickArgs) Kind() string { return "tick" }

func TestTableIsChecked(t *testing.T) {
	db := storagetest.SQLite(t)
	work := func(context.Context, echoArgs) error { return nil }
	for name, table := range map[string][]jobqueue.Job{
		"a kind twice": {jobqueue.Kind[echoArgs]{Work: work}.Job(), jobqueue.Kind[echoArgs]{Work: work}.Job()},
		"no work":      {jobqueue.Kind[echoArgs]{}.Job()},
		"per period of no interval": {jobqueue.Kind[tickArgs]{Work: func(context.Context, tickArgs) error { return nil },
			Name: "tick", Schedule: daily{}, Unique: jobqueue.UniquePerPeriod}.Job()},
		"a schedule without a name": {jobqueue.Kind[tickArgs]{Work: func(context.Context, tickArgs) error { return nil },
			Schedule: jobqueue.Every(time.Hour)}.Job()},
		"nothing to work": nil,
	} {
		if _, err := jobqueue.New(db, jobqueue.Config{}, table); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

type daily struct{}

func (daily) Next(t time.Time) time.Time { return t.Add(24 * time.Hour) }

// A job enqueued in a transaction exists only if it commits; a failing
// one retries after its kind's backoff, is listed with its errors, fails
// for good after its attempts, and runs again when retried. A snoozed one
// does not spend its attempts.
func TestJobsLifeCycle(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		var fail, snoozes atomic.Int64
		fail.Store(1)
		done := make(chan int, 10)
		q, err := jobqueue.New(db, jobqueue.Config{PollInterval: 20 * time.Millisecond}, []jobqueue.Job{
			jobqueue.Kind[echoArgs]{MaxAttempts: 2, Backoff: func(int) time.Duration { return 0 },
				Work: func(_ context.Context, a echoArgs) error {
					if a.N == 3 && snoozes.Add(1) <= 3 {
						return jobqueue.Snooze(time.Millisecond)
					}
					if a.N == 2 && fail.Load() == 1 {
						return errors.New("the bank is down")
					}
					done <- a.N
					return nil
				}}.Job(),
		})
		if err != nil {
			t.Fatal(err)
		}
		insert := func(n int, commit bool) {
			t.Helper()
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.InsertTx(ctx, tx, echoArgs{N: n}, 0); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		insert(1, false)
		insert(2, true)
		insert(3, true)
		start(t, q)
		select {
		case n := <-done:
			if n != 3 {
				t.Fatalf("job %d ran", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the snoozed job never ran")
		}

		var failed shop.Job
		testrig.Eventually(t, "the failing job to fail for good", func() bool {
			jobs, err := q.List(ctx, shop.JobDiscarded, 10)
			if err != nil || len(jobs) != 1 {
				return false
			}
			failed = jobs[0]
			return true
		})
		var args echoArgs
		if err := json.Unmarshal([]byte(failed.Args), &args); err != nil || args.N != 2 {
			t.Fatalf("args %q: %v", failed.Args, err)
		}
		if failed.Kind != "echo" || failed.Attempt != 2 || failed.MaxAttempts != 2 ||
			len(failed.Errors) != 2 || failed.Errors[1] != "the bank is down" || failed.FinalizedAt.IsZero() {
			t.Fatalf("failed job: %+v", failed)
		}
		testrig.Eventually(t, "one job failed and one done", func() bool {
			counts, err := q.Counts(ctx)
			return err == nil && counts[shop.JobDiscarded] == 1 && counts[shop.JobCompleted] == 1 && len(counts) == 2
		})

		fail.Store(0)
		if _, err := q.Retry(ctx, failed.ID); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-done:
			if n != 2 {
				t.Fatalf("job %d ran", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the retried job never ran")
		}
		if _, err := q.Retry(ctx, failed.ID+100); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("retry of no job: %v", err)
		}
		if err := q.InsertTx(ctx, (*sql.Tx)(nil), tickArgs{}, 0); err == nil {
			t.Fatal("inserted a kind that is not in the table")
		}
	})
}

// A job on an Every schedule that keeps failing is tried again within
// its interval, not after the queue's growing backoff (16 s after its
// second failure, 81 s after its third).
func TestScheduledRetryWithinItsInterval(t *testing.T) {
	db := storagetest.SQLite(t)
	q, err := jobqueue.New(db, jobqueue.Config{PollInterval: 20 * time.Millisecond}, []jobqueue.Job{
		jobqueue.Kind[tickArgs]{Work: func(context.Context, tickArgs) error { return errors.New("the bank is down") },
			Name: "tick", Schedule: jobqueue.Every(time.Second), RunOnStart: true, Unique: jobqueue.UniquePerPeriod}.Job(),
	})
	if err != nil {
		t.Fatal(err)
	}
	start(t, q)
	waitfor.Event(t, 30*time.Second, "a scheduled job's fourth failed attempt", func(ctx context.Context) error {
		most := 0
		for _, state := range []shop.JobState{shop.JobRetryable, shop.JobAvailable, shop.JobRunning} {
			jobs, err := q.List(ctx, state, 100)
			if err != nil {
				return err
			}
			for _, j := range jobs {
				most = max(most, j.Attempt)
				if wait := time.Until(j.ScheduledAt); j.Attempt >= 2 && wait > 1500*time.Millisecond {
					return waitfor.Stop(fmt.Errorf("job %d after attempt %d waits %s, more than its 1 s interval", j.ID, j.Attempt, wait))
				}
			}
		}
		if most < 4 {
			return fmt.Errorf("the most attempts of a job %d", most)
		}
		return nil
	})
}

// start starts q's workers, and stops them when the test ends.
func start(t *testing.T, q *jobqueue.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
}
