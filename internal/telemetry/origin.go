package telemetry

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Work done later for a request (a job, a callback confirmed by a worker)
// keeps its Origin: the request id, so that the work's log lines carry it
// too, and the W3C trace context of the request's span, so that the
// work's span links to it.

// Origin is the origin of work begun in ctx, as JSON, or nil when ctx
// carries neither a request id nor a span.
func Origin(ctx context.Context) []byte {
	o := origin{RequestID: RequestID(ctx)}
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

type origin struct {
	RequestID   string `json:"request_id,omitempty"`
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
}

// StartFrom starts the span of work whose Origin is orig: a root of its
// own trace, linked to the span of the request that began the work, and
// puts the request's id back in the context. Members of orig it does not
// know are ignored, and so is an orig that is not JSON.
func StartFrom(ctx context.Context, orig []byte, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	var o origin
	if len(orig) > 0 {
		json.Unmarshal(orig, &o)
	}
	opts = append(opts, trace.WithNewRoot())
	if o.TraceParent != "" {
		c := propagation.MapCarrier{"traceparent": o.TraceParent, "tracestate": o.TraceState}
		if sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c)); sc.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
		}
	}
	if ValidRequestID(o.RequestID) {
		ctx = WithRequestID(ctx, o.RequestID)
	}
	return Tracer().Start(ctx, name, opts...)
}
