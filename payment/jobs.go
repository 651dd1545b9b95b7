package payment

import (
	"time"

	"github.com/riverqueue/river"
)

// addJobs puts every kind of job the service runs into the queue's
// configuration, with when each runs on its own: the one table of the
// service's background work. Uniqueness by period keeps a leader change
// from running a periodic job twice; only the elected leader enqueues them.
func (s *Service) addJobs(rc *river.Config) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &confirmWorker{s: s})
	river.AddWorker(workers, &sweepWorker{s: s})
	river.AddWorker(workers, &expireWorker{s: s})
	river.AddWorker(workers, &resolveOpsWorker{s: s})
	river.AddWorker(workers, &reportWorker{s: s})
	rc.Workers = workers
	rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: s.cfg.Workers}}
	every := func(id string, d time.Duration, args river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(d),
			func() (river.JobArgs, *river.InsertOpts) {
				return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: d}}
			},
			&river.PeriodicJobOpts{ID: id, RunOnStart: true})
	}
	rc.PeriodicJobs = []*river.PeriodicJob{
		every("reconcile", s.cfg.SweepEvery, SweepArgs{}),
		every("expire-atm", time.Hour, ExpireArgs{}),
		river.NewPeriodicJob(dailyAt{ReportHour}, s.dailyReportJob, &river.PeriodicJobOpts{ID: "daily-report"}),
		every("resolve-ops", staleAfter, ResolveOpsArgs{}),
	}
}
