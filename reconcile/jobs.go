package reconcile

import (
	"context"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/shop"
)

// ReportArgs is the daily job that reconciles one day.
type ReportArgs struct {
	Day string `json:"day"`
}

func (ReportArgs) Kind() string { return "reconciliation_report" }

func (s *Service) reportJob(ctx context.Context, args ReportArgs) error {
	_, err := s.Reconcile(ctx, args.Day, shop.ReportBySchedule, "")
	return err
}

// ReportHour is the hour (Taiwan time) the daily report of the day before
// runs: late enough for the bank's BillQuery of that day to be complete.
const ReportHour = 3

// dailyAt is a schedule: every day at hour:00 Taiwan time.
type dailyAt struct{ hour int }

func (d dailyAt) Next(t time.Time) time.Time {
	tw := t.In(funbiz.Taipei)
	next := time.Date(tw.Year(), tw.Month(), tw.Day(), d.hour, 0, 0, 0, funbiz.Taipei)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// dailyReport is the daily report's job: the day before, in Taiwan time.
func (s *Service) dailyReport() ReportArgs {
	return ReportArgs{Day: funbiz.FormatDate(s.now().In(funbiz.Taipei).AddDate(0, 0, -1))}
}

// Jobs is the reconciliation's row of the job table, for payment.Config's
// OtherJobs: the daily report of the day before, at ReportHour. It is
// unique by its day (its only argument), which is stronger than unique by
// period: a second leader, a restart or a late run never makes a second
// scheduled report of one day, while the first job is kept.
func (s *Service) Jobs() []jobqueue.Job {
	return []jobqueue.Job{
		jobqueue.Kind[ReportArgs]{Work: s.reportJob, Timeout: 10 * time.Minute, MaxAttempts: 10,
			Name: "daily-report", Schedule: dailyAt{ReportHour}, Args: s.dailyReport, Unique: jobqueue.UniqueByArgs}.Job(),
	}
}
