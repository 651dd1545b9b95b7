package locale

import (
	"strings"

	"github.com/sinopay/sinopay/shop"
)

// The back office's codes, in words. Like the shop's converters, each
// says "unknown (X)" for a code the catalogue does not know.

// Op names an operation of the back office (capture, cancel, refund).
func Op(lang string, op shop.Op) string { return word(lang, "admin.op_name.", string(op)) }

// OpState names where an operation stands.
func OpState(lang string, s shop.OpState) string { return word(lang, "admin.op_state.", string(s)) }

// JobState names a state of the job queue (River's available, retryable,
// discarded…) in the back office's words (waiting, retrying, failed…).
func JobState(lang, state string) string { return word(lang, "admin.job_state.", state) }

// Verdict names a verdict of the reconciliation.
func Verdict(lang string, v shop.Verdict) string { return word(lang, "admin.verdict.", string(v)) }

// PayStatus names the bank's PayStatus of an order (1C300…), with the
// code beside it, since the bank's help desk speaks in codes; "—" when
// there is none.
func PayStatus(lang string, s shop.PayStatus) string {
	if s == "" {
		return "—"
	}
	return word(lang, "admin.paystatus.", string(s)) + " (" + string(s) + ")"
}

// BankState names whether the bank has an order (creating, created…).
func BankState(lang string, s shop.BankState) string {
	return word(lang, "admin.bank_state.", string(s))
}

// JobKind names a kind of job of the queue (confirm_paytoken…).
func JobKind(lang, kind string) string { return word(lang, "admin.job_kind.", kind) }

// Outcome puts into words what confirming a PayToken did, as recorded in
// the PayToken log: a code (payment.OutcomePaid…), then maybe the bank's
// or the check's own words after a colon, kept as they are, and
// " (no change)" when the order was already so.
func Outcome(lang, outcome string) string {
	if outcome == "" {
		return ""
	}
	rest, same := strings.CutSuffix(outcome, " (no change)")
	code, detail, _ := strings.Cut(rest, ": ")
	out := word(lang, "admin.outcome.", code)
	if detail != "" {
		out += ": " + detail
	}
	if same {
		out += T(lang, "admin.outcome.no_change")
	}
	return out
}
