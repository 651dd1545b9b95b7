package audit

import (
	"slices"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

func TestCompare(t *testing.T) {
	bank := []BankOrder{{"K1", 100}, {"K2", 200}, {"K3", 300}, {"K4", 400}, {"K5", 500}, {"K6", 600}, {"K7", 700}, {"K9", 900}}
	pays := []BankPayment{
		{"K1", 100, "S", "PayOut"},
		{"K2", 200, "F", "PayOut"}, {"K2", 200, "S", "PayOut"}, {"K2", 200, "S", "CaptureOut"},
		{"K4", 400, "S", "PayOut"},
		{"K5", 500, "S", "PayOut"}, {"K5", 500, "S", "PayOut"},
		{"K6", 60, "S", "PayOut"},
		{"K7", 700, "S", "PayOut"},
	}
	shop := []ShopOrder{
		{No: "K1", Amount: 100, Status: "S", PaidEvents: 1, PaidAmount: 100}, // agrees
		{No: "K2", Amount: 200, Status: "R", PaidEvents: 1},                  // paid, refunded: agrees
		{No: "K3", Amount: 300, Status: "S", PaidEvents: 1},                  // paid only in the shop
		{No: "K4", Amount: 400, Status: "W", PaidEvents: 0},                  // paid only at the bank
		{No: "K5", Amount: 500, Status: "S", PaidEvents: 1},                  // paid twice at the bank
		{No: "K6", Amount: 600, Status: "S", PaidEvents: 1},                  // short payment
		{No: "K7", Amount: 700, Status: "S", PaidEvents: 2},                  // two transitions
		{No: "K8", Amount: 800, Status: "W", PaidEvents: -1},                 // lost at the bank
	}
	r := Compare(shop, bank, pays, Options{BankSide: true})
	want := []string{
		`K3: "S" in the shop, not paid at the bank`,
		`K4: paid at the bank, "W" in the shop`,
		"K5: paid 2 times at the bank",
		"K6: order NT$600, payment NT$60",
		"K7: 2 transitions to paid in the shop, want 1",
		"K8: in the shop (NT$800, W), not at the bank",
		"K9: at the bank (NT$900), not in the shop",
	}
	if !slices.Equal(r.Problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(r.Problems, "\n"), strings.Join(want, "\n"))
	}
	if r.Orders != 8 || r.Paid != 6 || r.OK() {
		t.Errorf("result %+v", r)
	}

	ok := Compare(shop[:2], bank[:2], pays[:4], Options{})
	if !ok.OK() || ok.Paid != 2 {
		t.Errorf("agreeing sides: %+v", ok)
	}
}

func TestCompareAmountAndDuplicates(t *testing.T) {
	r := Compare([]ShopOrder{{No: "K1", Amount: 100, Status: "W", PaidEvents: -1}, {No: "K1", Amount: 100, Status: "W", PaidEvents: -1}},
		[]BankOrder{{"K1", 150}}, nil, Options{})
	want := []string{"K1: NT$100 in the shop, NT$150 at the bank", "K1: listed twice by the shop"}
	if !slices.Equal(r.Problems, want) {
		t.Errorf("problems %q", r.Problems)
	}
}

// The sandbox's views become the bank's side field for field: a capture
// stays a capture, so it is not counted as a second payment.
func TestFromSandbox(t *testing.T) {
	orders := []sandbox.OrderView{{OrderNo: "K1", Amount: 100, PayType: "C"}}
	pays := []sandbox.PaymentView{
		{OrderNo: "K1", Amount: 100, Status: "S", APType: "PayOut"},
		{OrderNo: "K1", Amount: 100, Status: "S", APType: "CaptureOut"},
	}
	bo, bp := FromSandbox(orders, pays)
	if !slices.Equal(bo, []BankOrder{{"K1", 100}}) || !slices.Equal(bp, []BankPayment{{"K1", 100, "S", "PayOut"}, {"K1", 100, "S", "CaptureOut"}}) {
		t.Fatalf("bank side %v %v", bo, bp)
	}
	if r := Compare([]ShopOrder{{No: "K1", Amount: 100, Status: "S", PaidEvents: 1}}, bo, bp, Options{BankSide: true}); !r.OK() {
		t.Fatalf("problems %q", r.Problems)
	}
}
