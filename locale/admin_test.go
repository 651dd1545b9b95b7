package locale

import (
	"testing"

	"github.com/riverqueue/river/rivertype"

	"github.com/sinopay/sinopay/shop"
)

// Every code of the back office has a word in both languages.
func TestAdminCodesHaveWords(t *testing.T) {
	keys := map[string]bool{}
	for _, op := range shop.Ops {
		keys["admin.op_name."+string(op)] = true
	}
	for _, s := range shop.OpStates {
		keys["admin.op_state."+string(s)] = true
	}
	for _, s := range shop.BankStates {
		keys["admin.bank_state."+string(s)] = true
	}
	for _, s := range rivertype.JobStates() {
		keys["admin.job_state."+string(s)] = true
	}
	for _, v := range shop.Verdicts {
		keys["admin.verdict."+string(v)] = true
	}
	for _, s := range []string{"1A200", "1A400", "1A900", "1C200", "1C250", "1C300", "1C350", "1C351", "1C400", "1C900"} {
		keys["admin.paystatus."+s] = true
	}
	for _, k := range []string{"confirm_paytoken", "reconcile_sweep", "expire_atm", "reconciliation_report", "resolve_ops"} {
		keys["admin.job_kind."+k] = true
	}
	for _, o := range []string{"paid", "failed", "mismatch", "refused", "not-ours", "no_change"} {
		keys["admin.outcome."+o] = true
	}
	requireKeys(t, "back-office codes", keys)
}

func TestAdminConverters(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Op(ZH, shop.OpRefund), "退款"},
		{Op(EN, shop.OpCapture), "Capture"},
		{OpState(EN, shop.OpUnknown), "Outcome unknown"},
		{JobState(ZH, "discarded"), "已失敗"},
		{JobState(EN, "nap"), "unknown (nap)"},
		{Verdict(EN, shop.VerdictMissingShop), "Missing in the shop"},
		{PayStatus(ZH, "1C300"), "已授權、未請款 (1C300)"},
		{PayStatus(EN, ""), "—"},
		{BankState(EN, shop.BankCreated), "created"},
		{Outcome(EN, "paid (no change)"), "Paid (no change)"},
		{Outcome(ZH, "refused: E0302 – 查無資料"), "銀行不認得這個 PayToken: E0302 – 查無資料"},
		{Outcome(EN, "weird"), "unknown (weird)"},
		{Outcome(EN, ""), ""},
		{JobKind(EN, "confirm_paytoken"), "Confirm a payment"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
