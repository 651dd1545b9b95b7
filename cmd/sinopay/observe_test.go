package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/sinopay/sinopay/internal/telemetry"
)

// The log format is text or JSON as asked; by default JSON where stderr
// is not a terminal. Either way a line logged in a request's context has
// its id.
func TestLogFormat(t *testing.T) {
	ctx := telemetry.WithRequestID(context.Background(), "abc")
	var buf bytes.Buffer
	newLogger(&buf, "", slog.LevelInfo).InfoContext(ctx, "request", "status", 200)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil || m["request_id"] != "abc" || m["msg"] != "request" {
		t.Errorf("default off a terminal: %q %v", buf.String(), err)
	}
	buf.Reset()
	newLogger(&buf, "text", slog.LevelInfo).InfoContext(ctx, "request", "status", 200)
	if !regexp.MustCompile(`^time=\d\d:\d\d:\d\d\.\d{3} level=INFO msg=request status=200 request_id=abc\n$`).MatchString(buf.String()) {
		t.Errorf("text: %q", buf.String())
	}
	buf.Reset()
	newLogger(&buf, "json", slog.LevelWarn).Info("quiet")
	if buf.Len() != 0 {
		t.Errorf("level: %q", buf.String())
	}
}

// The log format and the trusted proxies are read and checked like every
// other setting.
func TestServeConfigObservability(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	t.Setenv("SINOPAY_LOG_FORMAT", "")
	t.Setenv("SINOPAY_TRUSTED_PROXIES", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	c, err := readServeConfig(nil, io.Discard)
	if err != nil || c.LogFormat != "" || len(c.TrustedProxies) != 0 || c.OTLPEndpoint != "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	t.Setenv("SINOPAY_LOG_FORMAT", "json")
	t.Setenv("SINOPAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	if c, err = readServeConfig([]string{"--log-format", "text"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if c.LogFormat != "text" || len(c.TrustedProxies) != 2 || c.OTLPEndpoint != "http://127.0.0.1:4318" {
		t.Errorf("set: %+v", c)
	}
	t.Setenv("SINOPAY_LOG_FORMAT", "xml")
	t.Setenv("SINOPAY_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")
	_, err = readServeConfig(nil, io.Discard)
	for _, name := range []string{"SINOPAY_LOG_FORMAT", "SINOPAY_TRUSTED_PROXIES"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s not named: %v", name, err)
		}
	}
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, spans are posted to the
// collector's /v1/traces over OTLP/HTTP; without it nothing is set up.
func TestStartTracing(t *testing.T) {
	posts := make(chan string, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		posts <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type") + " " + strconv.Itoa(len(body))
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	stop, err := startTracing(context.Background(), "")
	if err != nil || otel.GetTracerProvider() != prev || stop(context.Background()) != nil {
		t.Fatalf("no endpoint: %v", err)
	}

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	stop, err = startTracing(context.Background(), collector.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, span := telemetry.Tracer().Start(context.Background(), "GET /")
	span.End()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-posts:
		if !strings.HasPrefix(p, "POST /v1/traces application/x-protobuf ") || strings.HasSuffix(p, " 0") {
			t.Errorf("collector got %q", p)
		}
	default:
		t.Fatal("no spans reached the collector")
	}
}

// The sandbox refuses a log format it does not know.
func TestSandboxLogFormat(t *testing.T) {
	var stderr bytes.Buffer
	if code := runSandbox(context.Background(), []string{"--addr", "127.0.0.1:0", "--log-format", "xml"}, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "--log-format") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}
