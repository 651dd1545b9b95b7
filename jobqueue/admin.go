package jobqueue

import (
	"context"
	"errors"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Counts counts the jobs in each state (see Counter).
func (q *Queue) Counts(ctx context.Context) (map[shop.JobState]int, error) {
	return Counter{DB: q.db}.Counts(ctx)
}

// Counter counts the jobs of the queue on DB. It needs no Queue, so that
// the metrics, which the bank's client and so the queue's workers use,
// can be built first.
type Counter struct{ DB *storage.DB }

// Counts counts the jobs in each state, straight from the queue's table:
// a count is all the metrics and the back office need, and the queue's
// own API only lists. Errors are storage's (Unavailable…).
func (c Counter) Counts(ctx context.Context) (map[shop.JobState]int, error) {
	rows, err := c.DB.SQL.QueryContext(ctx, `SELECT state, COUNT(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, storage.MapErr(err, "count jobs")
	}
	defer rows.Close()
	out := map[shop.JobState]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, storage.MapErr(err, "count jobs")
		}
		out[shop.JobState(k)] = n
	}
	return out, storage.MapErr(rows.Err(), "count jobs")
}

// List lists the newest jobs in state, at most limit of them.
func (q *Queue) List(ctx context.Context, state shop.JobState, limit int) ([]shop.Job, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobState(state)).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, err
	}
	out := make([]shop.Job, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		out = append(out, jobOf(j))
	}
	return out, nil
}

// Retry makes a job run again now, unless it is running, and returns it.
// Errors: NotFound when there is no such job (any more).
func (q *Queue) Retry(ctx context.Context, id int64) (shop.Job, error) {
	j, err := q.client.JobRetry(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return shop.Job{}, shop.Wrap(shop.NotFound, "error.not_found", err, "job %d", id)
	}
	if err != nil {
		return shop.Job{}, err
	}
	return jobOf(j), nil
}

func jobOf(j *rivertype.JobRow) shop.Job {
	out := shop.Job{ID: j.ID, Kind: j.Kind, State: shop.JobState(j.State), Args: string(j.EncodedArgs),
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt}
	for _, e := range j.Errors {
		out.Errors = append(out.Errors, e.Error)
	}
	if j.FinalizedAt != nil {
		out.FinalizedAt = *j.FinalizedAt
	}
	return out
}
