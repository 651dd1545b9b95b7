package locale

import (
	"strings"
	"testing"
	"time"

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
	for _, s := range shop.JobStates {
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
	for _, k := range shop.OutcomeKinds {
		keys["admin.outcome."+string(k)] = true
	}
	for _, src := range shop.DeliverySources {
		keys["admin.outcome.repeats."+string(src)] = true
	}
	keys["admin.outcome.no_change"], keys["admin.outcome.repeats_unknown"] = true, true
	requireKeys(t, "back-office codes", keys)
}

func TestAdminConverters(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Op(ZH, shop.OpRefund), "退款"},
		{Op(EN, shop.OpCapture), "Capture"},
		{OpState(EN, shop.OpUnknown), "Outcome unknown"},
		{JobState(ZH, shop.JobDiscarded), "已失敗"},
		{JobState(EN, "nap"), "unknown (nap)"},
		{Verdict(EN, shop.VerdictMissingShop), "Missing in the shop"},
		{PayStatus(ZH, "1C300"), "已授權、未請款 (1C300)"},
		{PayStatus(EN, ""), "—"},
		{BankState(EN, shop.BankCreated), "created"},
		{Outcome(EN, shop.Outcome{Kind: shop.OutcomePaid, Unchanged: true}), "Paid (no change)"},
		{Outcome(ZH, shop.Outcome{Kind: shop.OutcomeRefused, Detail: "E0302 – 查無資料"}), "銀行不認得這個 PayToken: E0302 – 查無資料"},
		{Outcome(EN, shop.Outcome{Kind: "weird"}), "unknown (weird)"},
		{Outcome(EN, shop.Outcome{}), ""},
		{JobKind(EN, "confirm_paytoken"), "Confirm a payment"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// A delivery that reused an earlier one's answer reads, in both
// languages, as what happened: the earlier delivery's answer, and which
// delivery that was and when it came (Taiwan time), never its ref.
func TestRepeatedDeliveryOutcome(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 32, 30, 0, time.UTC) // 18:32:30 in Taipei
	earlier := &shop.Delivery{ID: 7, Ref: "3f2a9c", Source: shop.SourceNotify, ReceivedAt: at,
		Outcome: shop.Outcome{Kind: shop.OutcomePaid}, ProcessedAt: at}
	repeat := shop.Repeat(earlier)
	fromReturn := shop.Repeat(&shop.Delivery{ID: 8, Ref: "77aa", Source: shop.SourceReturn, ReceivedAt: at,
		Outcome: shop.Outcome{Kind: shop.OutcomeRefused, Detail: "E0302"}})
	for _, c := range []struct{ got, want string }{
		{Outcome(EN, repeat), "Paid (already confirmed by the bank notification of 2026-11-27 18:32:30)"},
		{Outcome(ZH, repeat), "付款成功（已由 2026-11-27 18:32:30 的銀行通知確認）"},
		{Outcome(EN, fromReturn), "The bank does not know this PayToken: E0302 (already confirmed by the return from the card page of 2026-11-27 18:32:30)"},
		{Outcome(ZH, fromReturn), "銀行不認得這個 PayToken: E0302（已由 2026-11-27 18:32:30 刷卡後返回時確認）"},
		// An earlier delivery that cannot be found any more.
		{Outcome(EN, shop.Outcome{Kind: shop.OutcomePaid, Repeats: &shop.DeliveryRef{Ref: "3f2a9c"}}), "Paid (already confirmed by an earlier delivery)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// Every kind, repeated from every delivery source, is in words in
	// every language.
	for _, lang := range Langs {
		for _, kind := range shop.OutcomeKinds {
			for _, src := range shop.DeliverySources {
				o := shop.Repeat(&shop.Delivery{ID: 1, Ref: "3f2a9c", Source: src, ReceivedAt: at, Outcome: shop.Outcome{Kind: kind}})
				kindKey, repeatKey := "admin.outcome."+string(kind), "admin.outcome.repeats."+string(src)
				got, want := Outcome(lang, o), T(lang, kindKey)+T(lang, repeatKey, "2026-11-27 18:32:30")
				if !Has(lang, kindKey) || !Has(lang, repeatKey) || got != want || strings.Contains(got, "3f2a9c") {
					t.Errorf("%s, %s repeated from %s: %q", lang, kind, src, got)
				}
			}
		}
	}
}
