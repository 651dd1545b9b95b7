package web

import (
	"net/http"

	"github.com/sinopay/sinopay/internal/telemetry"
)

// BankTracing wraps the HTTP transport of the funbiz client so that every
// request to the bank is a span, a child of the span of the request's
// context, named by its APIService ("OrderPayQuery", "Nonce") as
// BankTransport reads it, so that funbiz itself needs no tracing. The
// span has two attributes, the APIService and the HTTP status: never the
// URL, a header (X-KeyID), the nonce, the Sign or the message, sent or
// answered, and not the text of a transport error. next nil means
// http.DefaultTransport.
func BankTracing(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return bankTracing{next: next}
}

type bankTracing struct{ next http.RoundTripper }

func (t bankTracing) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, span := telemetry.StartBankCall(req.Context(), bankService(req))
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	telemetry.EndBankCall(span, status)
	return resp, err
}
