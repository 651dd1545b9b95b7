package payment

import (
	"time"

	"github.com/sinopay/sinopay/jobqueue"
)

// longJob bounds a run of a job that asks the bank about many orders.
const longJob = 10 * time.Minute

// jobs is every kind of job the service runs: what works it, how long an
// attempt may take, and when it is enqueued on its own. Only the elected
// leader enqueues scheduled jobs; uniqueness per period keeps a leader
// change from running one period twice. New adds Config.OtherJobs (the
// reconciliation's daily report).
func (s *Service) jobs() []jobqueue.Job {
	return []jobqueue.Job{
		jobqueue.Kind[ConfirmArgs]{Work: s.confirmJob, MaxAttempts: 25, Backoff: confirmBackoff}.Job(),
		jobqueue.Kind[SweepArgs]{Work: s.sweepJob, Timeout: longJob,
			Name: "reconcile", Schedule: jobqueue.Every(s.cfg.SweepEvery), RunOnStart: true, Unique: jobqueue.UniquePerPeriod}.Job(),
		jobqueue.Kind[ExpireArgs]{Work: s.expireJob, Timeout: longJob,
			Name: "expire-atm", Schedule: jobqueue.Every(time.Hour), RunOnStart: true, Unique: jobqueue.UniquePerPeriod}.Job(),
		jobqueue.Kind[ResolveOpsArgs]{Work: s.resolveOpsJob, Timeout: longJob,
			Name: "resolve-ops", Schedule: jobqueue.Every(staleAfter), RunOnStart: true, Unique: jobqueue.UniquePerPeriod}.Job(),
	}
}
