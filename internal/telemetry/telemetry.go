// Package telemetry ties together what one request causes: its request
// id, carried in the context and added to every log line by Handler, and
// the shop's OpenTelemetry tracer. It is stored in no global of its own:
// the tracer comes from OpenTelemetry's global provider, which only
// cmd/sinopay sets (to an OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT
// is set); unset, every span is a no-op that costs next to nothing.
package telemetry

import (
	"context"
	"crypto/rand"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Scope names the shop's spans' instrumentation scope.
const Scope = "github.com/sinopay/sinopay"

// Tracer returns the shop's tracer from the global provider as it is now,
// so that a provider set later (by cmd/sinopay, or by a test) is used.
func Tracer() trace.Tracer { return otel.Tracer(Scope) }

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// idLetters are the letters of a generated request id: consonants, so
// that no id spells a word, and no digits, so that no id looks like a
// card number to a scan of the logs.
const idLetters = "bcdfghjkmnpqrstvwxz"

// NewRequestID returns a new random request id: 16 lower-case letters
// (about 68 bits), short enough for a customer to read out.
func NewRequestID() string {
	id := make([]byte, 0, 16)
	var b [32]byte
	for len(id) < cap(id) {
		rand.Read(b[:])
		for _, c := range b {
			// Drop the top of the range, which would favour some letters.
			if int(c) < 256/len(idLetters)*len(idLetters) && len(id) < cap(id) {
				id = append(id, idLetters[int(c)%len(idLetters)])
			}
		}
	}
	return string(id)
}

// ValidRequestID reports whether id, taken from a proxy's X-Request-ID,
// may be used as it is: 1 to 128 ASCII letters, digits, '-', '_', '.' or
// ':'. Anything else (spaces, quotes, markup, control characters) is
// replaced by a new id rather than written into logs and pages.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// Handler wraps h so that every record logged with a context that
// carries a request id has it as request_id, and one logged inside a
// recorded span has its trace_id: the lines of one request and of the
// jobs it enqueued can be found together.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{h}
}

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler { return handler{h.Handler.WithAttrs(as)} }

func (h handler) WithGroup(name string) slog.Handler { return handler{h.Handler.WithGroup(name)} }
