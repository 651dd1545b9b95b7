package jobqueue

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sinopay/sinopay/internal/telemetry"
)

// origin is what a job keeps, in its metadata, of the request that
// enqueued it: the request id, so that the job's log lines carry it too,
// and the W3C trace context of the request's span, so that the job's
// span links to it. A job enqueued on a schedule has none.
type origin struct {
	RequestID   string `json:"request_id,omitempty"`
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
}

// originMetadata is the job metadata for a job enqueued in ctx, or nil
// when ctx carries neither a request id nor a span.
func originMetadata(ctx context.Context) []byte {
	o := origin{RequestID: telemetry.RequestID(ctx)}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		c := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, c)
		o.TraceParent, o.TraceState = c.Get("traceparent"), c.Get("tracestate")
	}
	if o == (origin{}) {
		return nil
	}
	b, _ := json.Marshal(o)
	return b
}

// startJob starts the span of one attempt of a job, named by its kind, a
// root of its own trace linked to the span of the request that enqueued
// the job, and puts the request's id back in the context.
func startJob(ctx context.Context, row *rivertype.JobRow) (context.Context, trace.Span) {
	var o origin
	if len(row.Metadata) > 0 {
		json.Unmarshal(row.Metadata, &o) // River's own members are ignored
	}
	opts := []trace.SpanStartOption{
		trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("job.kind", row.Kind),
			attribute.String("job.id", strconv.FormatInt(row.ID, 10)),
			attribute.Int("job.attempt", row.Attempt)),
	}
	if o.TraceParent != "" {
		c := propagation.MapCarrier{"traceparent": o.TraceParent, "tracestate": o.TraceState}
		if sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c)); sc.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
		}
	}
	if telemetry.ValidRequestID(o.RequestID) {
		ctx = telemetry.WithRequestID(ctx, o.RequestID)
	}
	return telemetry.Tracer().Start(ctx, "job "+row.Kind, opts...)
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
