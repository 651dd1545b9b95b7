package jobqueue

import (
	"context"
	"errors"
	"strconv"

	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sinopay/sinopay/internal/telemetry"
)

// A job keeps, in its metadata, the telemetry.Origin of the request that
// enqueued it; a job enqueued on a schedule has none.

// originMetadata is the job metadata for a job enqueued in ctx, or nil
// when ctx carries neither a request id nor a span.
func originMetadata(ctx context.Context) []byte { return telemetry.Origin(ctx) }

// startJob starts the span of one attempt of a job, named by its kind, a
// root of its own trace linked to the span of the request that enqueued
// the job, and puts the request's id back in the context. River's own
// members of the metadata are ignored.
func startJob(ctx context.Context, row *rivertype.JobRow) (context.Context, trace.Span) {
	return telemetry.StartFrom(ctx, row.Metadata, "job "+row.Kind,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("job.kind", row.Kind),
			attribute.String("job.id", strconv.FormatInt(row.ID, 10)),
			attribute.Int("job.attempt", row.Attempt)))
}

// endJob ends a job's span with the attempt's outcome: a snooze is no
// failure. The error's text is not recorded: the log has it, and a span
// leaves the machine.
func endJob(span trace.Span, err error) {
	if err != nil {
		if _, snoozed := errors.AsType[*snooze](err); !snoozed {
			span.SetStatus(codes.Error, "job failed")
		}
	}
	span.End()
}
