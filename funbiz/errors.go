package funbiz

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Sentinel errors. Every error the package returns is an *Error that wraps
// one of these (or a transport error), so callers test with errors.Is and
// read details with errors.As.
var (
	// ErrInvalid: a parameter or configuration value breaks a documented
	// limit. Nothing was sent to the bank. Error.Field names the field.
	ErrInvalid = errors.New("funbiz: invalid parameter")
	// ErrBankRefused: the bank answered with Status F. Error.Code and
	// Error.Description say why.
	ErrBankRefused = errors.New("funbiz: bank refused the request")
	// ErrBadSignature: a response's Sign did not match its message. The
	// response must not be trusted.
	ErrBadSignature = errors.New("funbiz: response signature does not verify")
	// ErrMalformedResponse: the bank's answer could not be read (not JSON, no
	// Nonce or Message, not decryptable, not the expected shape).
	ErrMalformedResponse = errors.New("funbiz: malformed response")
	// ErrNonceExpired: the bank refused the request's Nonce as expired or
	// already used. The client retries such a call once by itself.
	ErrNonceExpired = errors.New("funbiz: nonce expired")
	// ErrTransport: the call did not complete: network failure, timeout, or
	// an HTTP status other than 200. Whether the bank acted is unknown.
	ErrTransport = errors.New("funbiz: transport failure")
	// ErrMismatch: a callback or a bank answer is about another shop, order
	// or amount than expected.
	ErrMismatch = errors.New("funbiz: answer does not match the order")
	// ErrUnknownToken: OrderPayQuery was refused because the bank knows no
	// such PayToken for this shop: a forged token, or another shop's. Asking
	// again gives the same answer. It also matches ErrBankRefused. The
	// bank's code for it is not public; see UnknownTokenCodes.
	ErrUnknownToken = errors.New("funbiz: the bank knows no such PayToken")
	// ErrDuplicateOrder: OrderCreate was refused because the shop already
	// has an order of that OrderNo at the bank (perhaps from an earlier
	// call whose answer was lost: FindOrder shows it). It also matches
	// ErrBankRefused. The bank's code for it is not public; see
	// DuplicateOrderCodes.
	ErrDuplicateOrder = errors.New("funbiz: OrderNo already used at the bank")
	// ErrUnknownOrder is what an OrderLookup returns (wrapped or not) when
	// the caller has no order of the number asked for. ConfirmToken then
	// fails with an error matching both it and ErrMismatch.
	ErrUnknownOrder = errors.New("funbiz: no such order")
)

// Temporary reports whether err leaves an outcome unknown for a reason
// that may pass, so that the same call later may succeed: no answer or an
// HTTP 5xx or 429 (ErrTransport), an answer that could not be read or
// verified (ErrMalformedResponse, ErrBadSignature), an expired nonce, or
// an error that is not the bank's at all (a context that ended, an
// OrderLookup that failed). Keep the work and try again later, with
// backoff.
//
// It is false for an answer that will not change by asking again:
// parameters that break a limit (ErrInvalid), the bank's refusal
// (ErrBankRefused, including ErrUnknownToken and ErrDuplicateOrder), an
// answer about another shop, order or amount (ErrMismatch), and an HTTP
// status 4xx other than 429 (a wrong URL, a gateway's allow-list: a
// setting to fix). A worker should stop retrying those; which ones to put
// before a person is the caller's choice (ErrUnknownToken is usually a
// forgery and needs no one). It is false for nil.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrNonceExpired) {
		return true
	}
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrBankRefused) || errors.Is(err, ErrMismatch) {
		return false
	}
	var e *Error
	if errors.As(err, &e) && errors.Is(err, ErrTransport) && e.HTTPStatus >= 400 && e.HTTPStatus < 500 && e.HTTPStatus != http.StatusTooManyRequests {
		return false
	}
	return true
}

// maxBodyInError is how much of a raw response body an Error keeps.
const maxBodyInError = 512

// Error is the one error type of the package.
type Error struct {
	// Service is the APIService of the call ("Nonce" for the nonce call).
	Service string
	// Field names the offending field of an ErrInvalid error.
	Field string
	// Status is the bank's Status (StatusFailure) when the bank answered.
	Status Status
	// Code is the code at the start of the bank's Description, e.g. "E0602".
	Code string
	// Description is the bank's full Description, e.g. "E0602 – 收款方式未啟用".
	Description string
	// HTTPStatus is the HTTP status of a transport failure (0 when no answer
	// arrived).
	HTTPStatus int
	// Body is the start of the raw response body, for diagnostics. It never
	// holds a decrypted message.
	Body string
	// Msg says what went wrong, in words.
	Msg string
	// Err is the sentinel or the underlying cause.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("funbiz")
	if e.Service != "" {
		b.WriteString(" ")
		b.WriteString(e.Service)
	}
	b.WriteString(": ")
	switch {
	case e.Field != "":
		fmt.Fprintf(&b, "%s: %s", e.Field, e.Msg)
	case e.Description != "":
		fmt.Fprintf(&b, "bank answered Status %s: %s", e.Status, e.Description)
		if e.Msg != "" {
			b.WriteString(" (")
			b.WriteString(e.Msg)
			b.WriteString(")")
		}
	default:
		b.WriteString(e.Msg)
		if e.HTTPStatus != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
		}
		if e.Body != "" {
			fmt.Fprintf(&b, "; body: %q", e.Body)
		}
	}
	if e.Err != nil && !isSentinel(e.Err) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel or the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is lets every bank refusal match ErrBankRefused, whichever sentinel it
// carries (ErrNonceExpired, ErrUnknownToken, ErrDuplicateOrder).
func (e *Error) Is(target error) bool {
	if target == ErrBankRefused && e.Status == StatusFailure {
		return true
	}
	return false
}

func isSentinel(err error) bool {
	switch err {
	case ErrInvalid, ErrBankRefused, ErrBadSignature, ErrMalformedResponse, ErrNonceExpired, ErrTransport, ErrMismatch,
		ErrUnknownToken, ErrDuplicateOrder, ErrUnknownOrder:
		return true
	}
	return false
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

func truncateBody(b []byte) string {
	if len(b) > maxBodyInError {
		// Cut on a rune boundary so the text stays valid UTF-8.
		cut := maxBodyInError
		for cut > 0 && b[cut]&0xC0 == 0x80 {
			cut--
		}
		return string(b[:cut]) + "…"
	}
	return string(b)
}

// descriptionCode returns the code at the start of a Description such as
// "E0602 – 收款方式未啟用".
func descriptionCode(d string) string {
	d = strings.TrimSpace(d)
	end := 0
	for end < len(d) && end < 12 {
		c := d[end]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			break
		}
		end++
	}
	if end < 2 {
		return ""
	}
	return d[:end]
}

// NonceExpiredCodes are the Description codes taken to mean "this Nonce is
// expired or was already used". The bank's own code is not in the public
// record; E0102 is the code our sandbox uses. A Description that mentions
// "nonce" is treated the same way.
var NonceExpiredCodes = []string{"E0102"}

func isNonceExpired(code, description string) bool {
	return slices.Contains(NonceExpiredCodes, code) || strings.Contains(strings.ToLower(description), "nonce")
}

// UnknownTokenCodes are the Description codes of an OrderPayQuery refusal
// taken to mean "no such PayToken" (ErrUnknownToken). The bank's own code
// is not in the public record; E0302 is our sandbox's. Only a listed code
// counts: a refusal whose code is not listed stays a plain ErrBankRefused,
// so that a token is never taken for a forgery on a guess.
var UnknownTokenCodes = []string{"E0302"}

// DuplicateOrderCodes are the Description codes of an OrderCreate refusal
// taken to mean "this OrderNo is already used" (ErrDuplicateOrder). The
// bank's own code is not in the public record; E0301 is our sandbox's.
var DuplicateOrderCodes = []string{"E0301"}

// refusalKind is the sentinel of a bank refusal of service with code.
func refusalKind(service, code, description string) error {
	switch {
	case isNonceExpired(code, description):
		return ErrNonceExpired
	case service == ServiceOrderPayQuery && slices.Contains(UnknownTokenCodes, code):
		return ErrUnknownToken
	case service == ServiceOrderCreate && slices.Contains(DuplicateOrderCodes, code):
		return ErrDuplicateOrder
	}
	return ErrBankRefused
}

// Secret is a string that never prints: fmt, slog and JSON show
// "[redacted]". Convert it with string(s) where the value is needed.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return `"` + redacted + `"` }

// Format keeps the value out of every fmt verb.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }

// MarshalJSON keeps the value out of JSON dumps of a configuration.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
