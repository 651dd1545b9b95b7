package locale

import "github.com/sinopay/sinopay/shop"

// The back office's codes, in words. Like the shop's converters, each
// says "unknown (X)" for a code the catalogue does not know.

// Op names an operation of the back office (capture, cancel, refund).
func Op(lang string, op shop.Op) string { return word(lang, "admin.op_name.", string(op)) }

// OpState names where an operation stands.
func OpState(lang string, s shop.OpState) string { return word(lang, "admin.op_state.", string(s)) }

// JobState names a state of the job queue (available, retryable,
// discarded…) in the back office's words (waiting, retrying, failed…).
func JobState(lang string, s shop.JobState) string {
	return word(lang, "admin.job_state.", string(s))
}

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

// Outcome puts into words what confirming a PayToken did, as the
// PayToken log shows it: the kind, the bank's or the check's own words
// after a colon, kept as they are, then "(no change)" when the order
// already was so, or, for a delivery that reused an earlier one's answer,
// which delivery that was and when it came. The zero Outcome (not
// confirmed yet) has no words.
func Outcome(lang string, o shop.Outcome) string {
	if o.Kind == "" {
		return ""
	}
	out := word(lang, "admin.outcome.", string(o.Kind))
	if o.Detail != "" {
		out += ": " + o.Detail
	}
	switch r := o.Repeats; {
	case r != nil && !r.ReceivedAt.IsZero() && Has(lang, "admin.outcome.repeats."+string(r.Source)):
		out += T(lang, "admin.outcome.repeats."+string(r.Source), When(r.ReceivedAt))
	case r != nil:
		out += T(lang, "admin.outcome.repeats_unknown")
	case o.Unchanged:
		out += T(lang, "admin.outcome.no_change")
	}
	return out
}

// MailStatus names where a message of the outbox stands.
func MailStatus(lang string, s shop.MailStatus) string {
	return word(lang, "admin.mail_status.", string(s))
}

// MailKind names why a message was written.
func MailKind(lang string, k shop.MailKind) string { return word(lang, "admin.mail_kind.", string(k)) }
