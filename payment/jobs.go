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
// change from running one period twice. The daily report is unique by its
// day (its only argument), which is stronger: a second leader, a restart
// or a late run never makes a second scheduled report of one day, while
// the first job is kept.
func (s *Service) jobs() []jobqueue.Job {
	return []jobqueue.Job{
		jobqueue.Kind[ConfirmArgs]{Work: s.confirmJob, MaxAttempts: 25, Backoff: confirmBackoff}.Job(),
		jobqueue.Kind[SweepArgs]{Work: s.sweepJob, Timeout: longJob,
			Name: "reconcile", Schedule: jobqueue.Every(s.cfg.SweepEvery), RunOnStart: true, Unique: jobqueue.UniquePerPeriod}.Job(),
		jobqueue.Kind[ExpireArgs]{Work: s.expireJob, Timeout: longJob,
			Name: "expire-atm", Schedule: jobqueue.Every(time.Hour), RunOnStart: true, Unique: jobqueue.UniquePerPeriod}.Job(),
		jobqueue.Kind[ReportArgs]{Work: s.reportJob, Timeout: longJob, MaxAttempts: 10,
			Name: "daily-report", Schedule: dailyAt{ReportHour}, Args: s.dailyReport, Unique: jobqueue.UniqueByArgs}.Job(),
		jobqueue.Kind[ResolveOpsArgs]{Work: s.resolveOpsJob, Timeout: longJob,
			Name: "resolve-ops", Schedule: jobqueue.Every(staleAfter), RunOnStart: true, Unique: jobqueue.UniquePerPeriod}.Job(),
	}
}
