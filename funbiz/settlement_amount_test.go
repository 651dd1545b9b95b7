package funbiz

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

// AllotQuery's amounts come in a form that is not public: the client reads
// every form it may take exactly, keeps the text, and never fails the
// whole answer because one amount is odd. Fed by a hand-made bank.
func TestAllotQueryAmountForms(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	b.nextOrder(1, func(w http.ResponseWriter, call *bankCall) {
		b.reply(w, ServiceAllotQuery, map[string]any{
			"ShopNo": testShopNo, "Date": "202402010900", "Status": "S", "Description": "S0000 – 處理成功",
			"Allot": []any{map[string]any{
				"AllotNo": "AL1", "AllotDate": json.Number("20240110"), "PayType": "C",
				"PayAmount":      json.Number("1700.0"), // a C# decimal: NT$1,700, not NT$17
				"RefundAmount":   "42.5",                // a string with a fraction: NT$42.50
				"FeeAmount":      json.Number("4250"),   // the documented form: NT$42.50
				"ExtAllotAmount": json.Number("-100"),   // an adjustment down
				"AllotAmount":    "1,607.5",             // a thousands separator: unreadable, kept
				"Account":        "12345678901234",
				"List": []any{
					map[string]any{"TSNO": "T1", "OrderNO": "A1", "PayDate": "202401091200", "Amount": json.Number("1.7e3"), "Fee": map[string]any{"x": 1}, "TSType": "P"},
					map[string]any{"TSNO": "T2", "OrderNO": "A2", "PayDate": "202401091300", "Amount": json.Number("170000"), "Fee": json.Number("42.555"), "TSType": "P"},
				},
			}},
		})
	})
	res, err := c.AllotQuery(context.Background(), &AllotParams{AllotDateS: "20240101", AllotDateE: "20240131"})
	if err != nil {
		t.Fatalf("one odd amount failed the whole answer: %v", err)
	}
	a := res.Allots[0]
	it0, it1 := a.Items[0], a.Items[1]
	for _, c := range []struct {
		name     string
		got      SettlementAmount
		raw      string
		cents    int64
		form     AmountForm
		doubtful bool
	}{
		{"PayAmount", a.PayAmount, "1700.0", 170000, AmountInNTD, true},
		{"RefundAmount", a.RefundAmount, "42.5", 4250, AmountInNTD, true},
		{"FeeAmount", a.FeeAmount, "4250", 4250, AmountInCents, false},
		{"ExtAllotAmount", a.ExtAllotAmount, "-100", -100, AmountInCents, false},
		{"AllotAmount", a.AllotAmount, "1,607.5", 0, AmountUnreadable, true},
		{"List[0].Amount", it0.Amount, "1.7e3", 0, AmountUnreadable, true},
		{"List[0].Fee", it0.Fee, `{"x":1}`, 0, AmountUnreadable, true},
		{"List[1].Amount", it1.Amount, "170000", 170000, AmountInCents, false},
		{"List[1].Fee", it1.Fee, "42.555", 0, AmountUnreadable, true},
	} {
		if c.got.Raw != c.raw || c.got.Cents != c.cents || c.got.Form != c.form || c.got.Doubtful() != c.doubtful {
			t.Errorf("%s = %+v, want raw %q, %d cents, form %d", c.name, c.got, c.raw, c.cents, c.form)
		}
	}
	if ntd, ok := a.PayAmount.NTD(); !ok || ntd != 1700 {
		t.Errorf("PayAmount in NT$: %d %v", ntd, ok)
	}
	if _, ok := a.RefundAmount.NTD(); ok {
		t.Error("NT$42.50 read as a whole NT$ amount")
	}
	// JSON carries the bank's own text back out.
	out, err := json.Marshal(a.PayAmount)
	if err != nil || string(out) != "1700.0" {
		t.Errorf("PayAmount as JSON: %s %v", out, err)
	}
	var back SettlementAmount
	if err := json.Unmarshal([]byte(`"42.5"`), &back); err != nil || back != a.RefundAmount {
		t.Errorf("RefundAmount from JSON: %+v %v", back, err)
	}
}

func TestParseSettlementAmount(t *testing.T) {
	for in, want := range map[string]struct {
		cents int64
		form  AmountForm
	}{
		"0": {0, AmountInCents}, "150000": {150000, AmountInCents}, "-5": {-5, AmountInCents}, "+7": {7, AmountInCents},
		"": {0, AmountInCents}, "1700.0": {170000, AmountInNTD}, "42.5": {4250, AmountInNTD}, "0.01": {1, AmountInNTD},
		"42.500": {4250, AmountInNTD}, "-0.5": {-50, AmountInNTD}, " 12 ": {12, AmountInCents},
		"42.555": {0, AmountUnreadable}, "1.": {0, AmountUnreadable}, ".5": {0, AmountUnreadable}, "1e3": {0, AmountUnreadable},
		"1,000": {0, AmountUnreadable}, "NT$5": {0, AmountUnreadable}, "--1": {0, AmountUnreadable},
		"99999999999999999999": {0, AmountUnreadable},
	} {
		if c, f := parseSettlementAmount(in); c != want.cents || f != want.form {
			t.Errorf("%q: %d %d, want %d %d", in, c, f, want.cents, want.form)
		}
	}
}
