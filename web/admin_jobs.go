package web

import (
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// adminJobStates are the tabs of the job page, in the order a person
// looks at them: what waits, what fails, what runs.
var adminJobStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateRetryable, rivertype.JobStateDiscarded,
	rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
}

// adminJobsPage is the job queue in one state.
type adminJobsPage struct {
	State  rivertype.JobState
	Tabs   []adminJobTab
	Jobs   []adminJobRow
	Limit  int
	Counts map[string]int
}

type adminJobTab struct {
	State  rivertype.JobState
	Count  int
	Active bool
}

// adminJobRow is one job with what the page shows of it.
type adminJobRow struct {
	*rivertype.JobRow
	Args      string
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
	p := adminJobsPage{State: rivertype.JobStateRetryable, Limit: adminJobsShown}
	for _, st := range adminJobStates {
		if string(st) == r.URL.Query().Get("state") {
			p.State = st
		}
	}
	counts, err := s.db.JobCounts(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Counts = counts
	for _, st := range adminJobStates {
		p.Tabs = append(p.Tabs, adminJobTab{State: st, Count: counts[string(st)], Active: st == p.State})
	}
	res, err := s.pay.Jobs().JobList(ctx, river.NewJobListParams().States(p.State).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(adminJobsShown))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, j := range res.Jobs {
		row := adminJobRow{JobRow: j, Args: string(j.EncodedArgs), When: j.ScheduledAt, CanRetry: canRetry(j.State)}
		if n := len(j.Errors); n > 0 {
			row.LastError = j.Errors[n-1].Error
			row.ErrorShort = row.LastError
			if r := []rune(row.ErrorShort); len(r) > 160 {
				row.ErrorShort = string(r[:160]) + "…"
			}
		}
		if j.FinalizedAt != nil {
			row.When = *j.FinalizedAt
		}
		p.Jobs = append(p.Jobs, row)
	}
	s.renderAdmin(w, http.StatusOK, "admin_jobs", s.newAdminView(r, a, "jobs", "admin.jobs.title", p))
}

// canRetry says which jobs the retry button is for: those that failed,
// for good or for now, and those cancelled.
func canRetry(st rivertype.JobState) bool {
	return st == rivertype.JobStateRetryable || st == rivertype.JobStateDiscarded || st == rivertype.JobStateCancelled
}
