package shop

import "time"

// JobState is where a job of the shop's background queue stands.
type JobState string

const (
	JobAvailable JobState = "available" // waiting for a worker
	JobRetryable JobState = "retryable" // failed, and tries again later
	JobDiscarded JobState = "discarded" // failed for good: no attempts left
	JobRunning   JobState = "running"   // a worker is on it
	JobScheduled JobState = "scheduled" // waiting for its time
	JobCancelled JobState = "cancelled" // cancelled before it succeeded
	JobCompleted JobState = "completed" // done
	JobPending   JobState = "pending"   // held back until something else happens
)

// JobStates lists every state a job can be in.
var JobStates = []JobState{JobAvailable, JobRetryable, JobDiscarded, JobRunning, JobScheduled, JobCancelled, JobCompleted, JobPending}

// Job is one job of the background queue, as the back office shows it.
type Job struct {
	ID int64
	// Kind names what the job does (confirm_paytoken…).
	Kind  string
	State JobState
	// Args are the job's arguments as stored, in JSON.
	Args        string
	Attempt     int
	MaxAttempts int
	// Errors are the errors of its failed attempts, oldest first.
	Errors    []string
	CreatedAt time.Time
	// ScheduledAt is when it runs, or ran last; FinalizedAt is when it
	// ended, zero while it has not.
	ScheduledAt time.Time
	FinalizedAt time.Time
}
