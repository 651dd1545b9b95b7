package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestRequestIDs(t *testing.T) {
	re := regexp.MustCompile(`^[bcdfghjkmnpqrstvwxz]{16}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewRequestID()
		if !re.MatchString(id) || !ValidRequestID(id) || seen[id] {
			t.Fatalf("id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
	for _, id := range []string{"a", "edge-42.a:b_c", strings.Repeat("x", 128)} {
		if !ValidRequestID(id) {
			t.Errorf("%q refused", id)
		}
	}
	for _, id := range []string{"", "two words", "<b>", "a\nb", "naïve", `"q"`, strings.Repeat("x", 129)} {
		if ValidRequestID(id) {
			t.Errorf("%q taken", id)
		}
	}
}

// The handler adds the context's request id and trace id to every
// record, through WithAttrs and WithGroup too, and nothing without them.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil))).With("component", "web")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(WithRequestID(context.Background(), "req-9"), sc)
	log.InfoContext(ctx, "one")
	log.Info("two")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var first, second map[string]any
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil {
		t.Fatalf("lines %q", lines)
	}
	if first["request_id"] != "req-9" || first["trace_id"] != sc.TraceID().String() || first["component"] != "web" {
		t.Errorf("with a request: %v", first)
	}
	if _, ok := second["request_id"]; ok {
		t.Errorf("without a request: %v", second)
	}
	if _, ok := Handler(Handler(slog.DiscardHandler)).(handler).Handler.(handler); ok {
		t.Error("wrapped twice")
	}
}
