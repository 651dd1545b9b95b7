package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// Args is the arguments of a kind of job, stored as JSON with the job: a
// struct, whose zero value names the kind too. Kind names the kind; it is
// stored, so it never changes once jobs of it exist.
type Args interface{ Kind() string }

// Kind describes one kind of job: what works it, how long an attempt may
// take, how often it is tried, and when it is enqueued on its own.
// Kind[A]{…}.Job() is a row of a job table.
type Kind[A Args] struct {
	// Work does one job. An error makes it try again later, until its
	// attempts run out; Snooze tries again without spending an attempt.
	Work func(ctx context.Context, args A) error
	// Timeout bounds one attempt [1m]. The queue caps it at its
	// RescueAfter: a job still running when the rescuer looks would be
	// run a second time alongside.
	Timeout time.Duration
	// MaxAttempts is how many attempts a job has before it fails for
	// good [20].
	MaxAttempts int
	// Backoff is how long to wait after the attempt-th attempt failed [the
	// queue's default: about attempt⁴ seconds; for a job on an Every
	// schedule, at most its interval].
	Backoff func(attempt int) time.Duration
	// Schedule enqueues the job on its own, on the elected leader; nil
	// enqueues it only when asked.
	Schedule Schedule
	// Name tells the scheduled jobs apart; required with a Schedule.
	Name string
	// RunOnStart enqueues a scheduled job when the schedule starts too,
	// not only when its time first comes.
	RunOnStart bool
	// Args makes the arguments of a scheduled job [the zero A].
	Args func() A
	// Unique keeps a job from being enqueued while an equal one exists.
	Unique Unique
}

// Schedule says when a scheduled job is next enqueued after t.
type Schedule interface {
	Next(t time.Time) time.Time
}

// Every is the schedule of a fixed interval.
type Every time.Duration

// Next is t plus the interval.
func (e Every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// Unique says which jobs of a kind count as equal, so that a second one
// is not enqueued.
type Unique int

const (
	// NotUnique enqueues every job.
	NotUnique Unique = iota
	// UniquePerPeriod enqueues one job per interval of the kind's Every
	// schedule: a leader change or a restart does not run a period twice.
	UniquePerPeriod
	// UniqueByArgs enqueues one job per arguments, for as long as the
	// first is kept (finished jobs are kept a day).
	UniqueByArgs
)

// Job is a row of a job table: a kind of job, whatever its arguments.
// Make one with Kind.Job.
type Job struct {
	kind      string
	opts      *river.InsertOpts
	addWorker func(ws *river.Workers, rescueAfter time.Duration) error
	periodic  *river.PeriodicJob
	err       error
}

// Job makes the kind a row of a job table.
func (k Kind[A]) Job() Job {
	var zero A
	j := Job{kind: zero.Kind(), opts: &river.InsertOpts{MaxAttempts: k.MaxAttempts}}
	switch k.Unique {
	case NotUnique:
	case UniquePerPeriod:
		every, ok := k.Schedule.(Every)
		if !ok {
			j.err = errors.New("unique per period wants an Every schedule")
			return j
		}
		j.opts.UniqueOpts = river.UniqueOpts{ByPeriod: time.Duration(every)}
	case UniqueByArgs:
		j.opts.UniqueOpts = river.UniqueOpts{ByArgs: true}
	default:
		j.err = fmt.Errorf("unknown uniqueness %d", k.Unique)
		return j
	}
	if k.Work == nil {
		j.err = errors.New("no Work")
		return j
	}
	j.addWorker = func(ws *river.Workers, rescueAfter time.Duration) error {
		w := &worker[A]{k: k}
		if k.Timeout > 0 {
			w.timeout = min(k.Timeout, rescueAfter)
		}
		return river.AddWorkerSafely(ws, w)
	}
	if k.Schedule != nil {
		if k.Name == "" {
			j.err = errors.New("a scheduled kind needs a Name")
			return j
		}
		opts := j.opts
		j.periodic = river.NewPeriodicJob(k.Schedule, func() (river.JobArgs, *river.InsertOpts) {
			args := zero
			if k.Args != nil {
				args = k.Args()
			}
			o := *opts
			return args, &o
		}, &river.PeriodicJobOpts{ID: k.Name, RunOnStart: k.RunOnStart})
	}
	return j
}

// Snooze is what Work returns to try the job again after d without
// spending an attempt: it was not its turn (a rate limit), which is no
// failure.
func Snooze(d time.Duration) error { return &snooze{d} }

type snooze struct{ d time.Duration }

func (s *snooze) Error() string { return fmt.Sprintf("snoozed for %s", s.d) }

// worker works the jobs of one kind.
type worker[A Args] struct {
	river.WorkerDefaults[A]
	k       Kind[A]
	timeout time.Duration // 0: the queue's default
}

func (w *worker[A]) Work(ctx context.Context, job *river.Job[A]) error {
	ctx, span := startJob(ctx, job.JobRow)
	err := w.k.Work(ctx, job.Args)
	endJob(span, err)
	if s, ok := errors.AsType[*snooze](err); ok {
		return river.JobSnooze(s.d)
	}
	return err
}

func (w *worker[A]) Timeout(*river.Job[A]) time.Duration { return w.timeout }

func (w *worker[A]) NextRetry(job *river.Job[A]) time.Time {
	if w.k.Backoff != nil {
		return time.Now().Add(w.k.Backoff(job.Attempt))
	}
	if every, ok := w.k.Schedule.(Every); ok {
		// A job on a fixed interval has its work come round every
		// interval: its retry waits the queue's usual backoff, but never
		// longer than one interval (a sweep killed twice mid-way is not
		// left waiting minutes behind the sweeps that follow it).
		return time.Now().Add(min(defaultBackoff(job.Attempt), time.Duration(every)))
	}
	return time.Time{} // the queue's default
}

// defaultBackoff is the queue's default wait after the attempt-th failed
// attempt, without its jitter: attempt⁴ seconds.
func defaultBackoff(attempt int) time.Duration {
	a := time.Duration(min(attempt, 100))
	return a * a * a * a * time.Second
}
