package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/term"

	"github.com/sinopay/sinopay/internal/telemetry"
)

// checkLogFormat checks a --log-format value: text, json, or "" for the
// default (text on a terminal, JSON otherwise).
func checkLogFormat(v string) error {
	switch v {
	case "", "text", "json":
		return nil
	}
	return fmt.Errorf("--log-format (SINOPAY_LOG_FORMAT): want text or json, got %q", v)
}

// newLogger makes the process's logger on w. Text is for people: one
// line per record, the time of day to the millisecond, then the level,
// the message and key=value pairs. JSON is for machines that collect
// logs. Either way a record logged with a request's context carries its
// request_id (telemetry.Handler).
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "text" {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
				return slog.String(slog.TimeKey, a.Value.Time().Format("15:04:05.000"))
			}
			return a
		}
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(telemetry.Handler(h))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startTracing sends the shop's spans to an OpenTelemetry collector over
// OTLP/HTTP when endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: it sets OpenTelemetry's
// global tracer provider, which the shop's parts take their tracer from.
// The exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself
// (headers, timeout, compression, TLS), and OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES name the service ("sinopay" by default).
// Without an endpoint it does nothing and every span is a no-op. The
// returned function flushes the spans not yet sent.
func startTracing(ctx context.Context, endpoint string) (shutdown func(context.Context) error, err error) {
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", "sinopay")), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(5*time.Second)), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// isFlagSet reports whether the flag name was given on the command line.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
