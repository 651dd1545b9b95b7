package jobqueue_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sinopay/sinopay/internal/telemetry"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

type originArgs struct{ N int }

func (originArgs) Kind() string { return "origin" }

// A job works in the context of the request that enqueued it: the
// request's id, and a span of its own, the root of a new trace, linked
// to the span that enqueued it. A job enqueued outside any request has
// neither id nor link.
func TestJobCarriesItsRequest(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		type seen struct {
			id   string
			span trace.SpanContext
		}
		got := make(chan seen, 2)
		q, err := jobqueue.New(db, jobqueue.Config{PollInterval: 20 * time.Millisecond}, []jobqueue.Job{
			jobqueue.Kind[originArgs]{Work: func(ctx context.Context, a originArgs) error {
				got <- seen{telemetry.RequestID(ctx), trace.SpanContextFromContext(ctx)}
				return nil
			}}.Job(),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, request := otel.Tracer("test").Start(telemetry.WithRequestID(context.Background(), "req-1"), "request")
		err = db.Tx(ctx, func(tx *sql.Tx) error { return q.InsertTx(ctx, tx, originArgs{N: 1}, 0) })
		request.End()
		if err != nil {
			t.Fatal(err)
		}
		start(t, q)
		job := <-got
		if job.id != "req-1" || !job.span.IsValid() || job.span.TraceID() == request.SpanContext().TraceID() {
			t.Errorf("job with a request: id %q, span %v", job.id, job.span)
		}
		var stub tracetest.SpanStub
		testrig.Eventually(t, "the job's span", func() bool {
			for _, s := range exp.GetSpans() {
				if s.SpanContext.SpanID() == job.span.SpanID() {
					stub = s
					return true
				}
			}
			return false
		})
		if stub.Name != "job origin" || len(stub.Links) != 1 || stub.Links[0].SpanContext.SpanID() != request.SpanContext().SpanID() {
			t.Errorf("job span %q, links %v", stub.Name, stub.Links)
		}

		if _, err := q.Insert(context.Background(), originArgs{N: 2}); err != nil {
			t.Fatal(err)
		}
		job = <-got
		if job.id != "" {
			t.Errorf("job without a request: id %q", job.id)
		}
		testrig.Eventually(t, "the second job's span", func() bool {
			for _, s := range exp.GetSpans() {
				if s.SpanContext.SpanID() == job.span.SpanID() {
					stub = s
					return true
				}
			}
			return false
		})
		if len(stub.Links) != 0 {
			t.Errorf("job without a request has links %v", stub.Links)
		}
	})
}
