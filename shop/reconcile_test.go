package shop

import (
	"reflect"
	"testing"
)

// A report's totals per pay type, card first, then the total of all; the
// net is what the bank collected less what it refunded and its fees.
func TestReportTotals(t *testing.T) {
	r := &Report{Rows: []ReportRow{
		{OrderNo: "A1", PayType: PayATM, OurCollected: 750, BankCollected: 750, FeeCents: 1000},
		{OrderNo: "C1", PayType: PayCard, OurCollected: 4900, OurRefunded: 1000, BankCollected: 4900, BankRefunded: 1000, FeeCents: 12250},
		{OrderNo: "X1", PayType: PayATM, BankCollected: 321},
		{OrderNo: "C2", PayType: PayCard, OurRefunded: 100, BankRefunded: 100},
	}}
	got := r.Totals()
	want := []DayTotal{
		{PayType: PayCard, Orders: 2, OurCollected: 4900, OurRefunded: 1100, BankCollected: 4900, BankRefunded: 1100, FeeCents: 12250},
		{PayType: PayATM, Orders: 2, OurCollected: 750, BankCollected: 1071, FeeCents: 1000},
		{All: true, Orders: 4, OurCollected: 5650, OurRefunded: 1100, BankCollected: 5971, BankRefunded: 1100, FeeCents: 13250},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("totals:\n%+v\nwant\n%+v", got, want)
	}
	if n := got[0].NetCents(); n != 367750 {
		t.Errorf("card net %d, want 367750", n)
	}
	if n := got[2].NetCents(); n != 473850 {
		t.Errorf("net of all %d, want 473850", n)
	}
	if (&Report{}).Totals() != nil {
		t.Error("an empty report has totals")
	}
}
