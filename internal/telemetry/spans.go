package telemetry

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// The attributes the shop's spans carry: OpenTelemetry's names where it
// has one. Nothing else is recorded: no URL, query, header, body, key or
// nonce.
const (
	attrMethod     = attribute.Key("http.request.method")
	attrRoute      = attribute.Key("http.route")
	attrStatus     = attribute.Key("http.response.status_code")
	attrRequestID  = attribute.Key("sinopay.request_id")
	attrAPIService = attribute.Key("funbiz.api_service")
)

// StartRequest starts the span of an incoming request, named by its
// method until EndRequest names it by its route.
func StartRequest(ctx context.Context, method, requestID string) (context.Context, trace.Span) {
	return Tracer().Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attrMethod.String(method), attrRequestID.String(requestID)))
}

// EndRequest names a request's span by the ServeMux pattern that routed
// it ("GET /orders/{no}": never the path, which holds order numbers, nor
// the query), records the status it was answered with, and ends it. An
// empty pattern (a request refused before routing) leaves the method as
// the name.
func EndRequest(span trace.Span, method, pattern string, status int) {
	if pattern != "" {
		route := pattern
		if i := strings.IndexByte(pattern, ' '); i >= 0 {
			route = strings.TrimLeft(pattern[i+1:], " \t")
		}
		span.SetName(method + " " + route)
		span.SetAttributes(attrRoute.String(route))
	}
	span.SetAttributes(attrStatus.Int(status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// StartBankCall starts the span of one HTTP request to the bank, named
// by its APIService.
func StartBankCall(ctx context.Context, service string) (context.Context, trace.Span) {
	return Tracer().Start(ctx, service, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrAPIService.String(service)))
}

// EndBankCall records the bank's HTTP status (0: no answer) and ends the
// span. The text of a transport error is not recorded.
func EndBankCall(span trace.Span, status int) {
	if status == 0 {
		span.SetStatus(codes.Error, "no answer")
	} else {
		span.SetAttributes(attrStatus.Int(status))
		if status >= 400 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
	span.End()
}
