package locale

import "github.com/sinopay/sinopay/shop"

// The back office's codes, in words. Like the shop's converters, each
// says "unknown (X)" for a code the catalogue does not know.

// Op names an operation of the back office (capture, cancel, refund).
func Op(lang string, op shop.Op) string { return word(lang, "admin.op_name.", string(op)) }

// OpState names where an operation stands.
func OpState(lang string, s shop.OpState) string { return word(lang, "admin.op_state.", string(s)) }

// JobState names a state of the job queue (River's available, retryable,
// discarded…) in the back office's words (waiting, retrying, failed…).
func JobState(lang, state string) string { return word(lang, "admin.job_state.", state) }

// Verdict names a verdict of the reconciliation (payment.Verdict).
func Verdict(lang, v string) string { return word(lang, "admin.verdict.", v) }

// PayStatus names the bank's PayStatus of an order (1C300…), with the
// code beside it, since the bank's help desk speaks in codes; "—" when
// there is none.
func PayStatus(lang, s string) string {
	if s == "" {
		return "—"
	}
	return word(lang, "admin.paystatus.", s) + " (" + s + ")"
}

// BankState names whether the bank has an order (creating, created…).
func BankState(lang string, s shop.BankState) string {
	return word(lang, "admin.bank_state.", string(s))
}
