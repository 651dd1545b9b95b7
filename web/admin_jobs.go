package web

import (
	"context"
	"net/http"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// JobQueue is the job queue as the back office and the metrics see it;
// *jobqueue.Queue is one.
type JobQueue interface {
	JobCounter
	// List lists the newest jobs in state, at most limit of them.
	List(ctx context.Context, state shop.JobState, limit int) ([]shop.Job, error)
	// Retry makes a job run again now, unless it is running, and returns
	// it; NotFound when there is no such job.
	Retry(ctx context.Context, id int64) (shop.Job, error)
}

// adminJobStates are the tabs of the job page, in the order a person
// looks at them: what waits, what fails, what runs.
var adminJobStates = []shop.JobState{
	shop.JobAvailable, shop.JobRetryable, shop.JobDiscarded,
	shop.JobRunning, shop.JobScheduled, shop.JobCancelled, shop.JobCompleted,
}

// adminJobsPage is the job queue in one state.
type adminJobsPage struct {
	State shop.JobState
	Tabs  []adminJobTab
	Jobs  []adminJobRow
	Limit int
}

type adminJobTab struct {
	State  shop.JobState
	Count  int
	Active bool
}

// adminJobRow is one job with what the page shows of it.
type adminJobRow struct {
	shop.Job
	LastError string
	// ErrorShort is the start of LastError: an error quoting a bank's
	// HTML page would push the table off the screen; the whole is in the
	// cell's title.
	ErrorShort string
	// When is the time that matters in its state: when it runs next, or
	// when it ended.
	When     time.Time
	CanRetry bool
}

// adminJobsShown bounds the list of one state; the tab says how many.
const adminJobsShown = 100

// adminJobs shows the state of the job queue (GET /admin/jobs?state=…):
// how many jobs wait, retry, failed, run…, and the newest of one state,
// with their errors and a retry button for those that failed.
func (s *Server) adminJobs(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	p := adminJobsPage{State: shop.JobRetryable, Limit: adminJobsShown}
	for _, st := range adminJobStates {
		if string(st) == r.URL.Query().Get("state") {
			p.State = st
		}
	}
	counts, err := s.jobs.Counts(ctx)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	for _, st := range adminJobStates {
		p.Tabs = append(p.Tabs, adminJobTab{State: st, Count: counts[st], Active: st == p.State})
	}
	jobs, err := s.jobs.List(ctx, p.State, adminJobsShown)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	for _, j := range jobs {
		row := adminJobRow{Job: j, When: j.ScheduledAt, CanRetry: canRetry(j.State)}
		if n := len(j.Errors); n > 0 {
			row.LastError = j.Errors[n-1]
			row.ErrorShort = row.LastError
			if r := []rune(row.ErrorShort); len(r) > 160 {
				row.ErrorShort = string(r[:160]) + "…"
			}
		}
		if !j.FinalizedAt.IsZero() {
			row.When = j.FinalizedAt
		}
		p.Jobs = append(p.Jobs, row)
	}
	s.renderAdmin(w, http.StatusOK, "admin_jobs", s.newAdminView(r, a, "jobs", "admin.jobs.title", p))
}

// canRetry says which jobs the retry button is for: those that failed,
// for good or for now, and those cancelled.
func canRetry(st shop.JobState) bool {
	return st == shop.JobRetryable || st == shop.JobDiscarded || st == shop.JobCancelled
}
