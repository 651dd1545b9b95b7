// Package audit compares the shop's orders with the bank's records. It is
// the check that ends every load and fault run: paid at the bank if and
// only if paid in the shop, the same amount on both sides, one payment and
// one transition to paid per order, and no order lost on either side.
//
// It only compares; callers gather the two sides (the shop's pages or
// database, the sandbox's control API, whose views FromSandbox turns into
// the bank's side) and may call it again and again while the shop catches
// up.
package audit

import (
	"fmt"
	"slices"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// ShopOrder is one order as the shop has it.
type ShopOrder struct {
	No     string
	Amount int64  // whole NT$
	Status string // W S F E R V (shop.Status)
	// PaidEvents counts the order's payment events into S; -1 when the
	// caller cannot see them.
	PaidEvents int
	// PaidAmount is the amount on that event; 0 when unknown.
	PaidAmount int64
}

// BankOrder is one order as the bank has it.
type BankOrder struct {
	OrderNo string
	Amount  int64 // whole NT$
}

// BankPayment is one payment attempt at the bank.
type BankPayment struct {
	OrderNo string
	Amount  int64  // whole NT$
	Status  string // S succeeded, F failed
	APType  string // PayOut, or CaptureOut for a later capture of the same money
}

// FromSandbox is the bank's side as the sandbox lists it: its orders and
// its payments.
func FromSandbox(orders []sandbox.OrderView, payments []sandbox.PaymentView) ([]BankOrder, []BankPayment) {
	var bo []BankOrder
	for _, o := range orders {
		bo = append(bo, BankOrder{OrderNo: o.OrderNo, Amount: o.Amount})
	}
	var bp []BankPayment
	for _, p := range payments {
		bp = append(bp, BankPayment{OrderNo: p.OrderNo, Amount: p.Amount, Status: p.Status, APType: p.APType})
	}
	return bo, bp
}

// Options widen the comparison.
type Options struct {
	// BankSide also reports bank orders missing from the shop's list: set
	// it when the list is every order of the shop, not a sample.
	BankSide bool
}

// Result is what Compare found.
type Result struct {
	Orders   int      // shop orders compared
	Paid     int      // of which paid at the bank
	Problems []string // one line per difference, sorted; empty when all agree
}

// OK reports whether the two sides agree.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// paidInShop are the statuses of an order whose money arrived: paid, and
// paid then refunded.
func paidInShop(status string) bool { return status == "S" || status == "R" }

// Compare checks the shop's orders against the bank's orders and payments.
func Compare(shop []ShopOrder, bankOrders []BankOrder, payments []BankPayment, o Options) Result {
	bank := map[string][]BankOrder{}
	for _, b := range bankOrders {
		bank[b.OrderNo] = append(bank[b.OrderNo], b)
	}
	paid := map[string][]BankPayment{}
	for _, p := range payments {
		// A capture is the same money as the authorisation it follows.
		if p.Status == "S" && p.APType != "CaptureOut" {
			paid[p.OrderNo] = append(paid[p.OrderNo], p)
		}
	}
	r := Result{Orders: len(shop)}
	add := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	for _, s := range shop {
		if seen[s.No] {
			add("%s: listed twice by the shop", s.No)
			continue
		}
		seen[s.No] = true
		bs := bank[s.No]
		switch {
		case len(bs) == 0:
			add("%s: in the shop (NT$%d, %s), not at the bank", s.No, s.Amount, s.Status)
			continue
		case len(bs) > 1:
			add("%s: %d orders at the bank", s.No, len(bs))
		}
		if bs[0].Amount != s.Amount {
			add("%s: NT$%d in the shop, NT$%d at the bank", s.No, s.Amount, bs[0].Amount)
		}
		ps := paid[s.No]
		if len(ps) > 0 {
			r.Paid++
		}
		switch {
		case len(ps) > 1:
			add("%s: paid %d times at the bank", s.No, len(ps))
		case len(ps) == 1 && !paidInShop(s.Status):
			add("%s: paid at the bank, %q in the shop", s.No, s.Status)
		case len(ps) == 0 && paidInShop(s.Status):
			add("%s: %q in the shop, not paid at the bank", s.No, s.Status)
		}
		for _, p := range ps {
			if p.Amount != s.Amount {
				add("%s: order NT$%d, payment NT$%d", s.No, s.Amount, p.Amount)
			}
		}
		if s.PaidEvents >= 0 {
			// A paid order got there once; any other never did.
			want := 0
			if paidInShop(s.Status) {
				want = 1
			}
			if s.PaidEvents != want {
				add("%s: %d transitions to paid in the shop, want %d", s.No, s.PaidEvents, want)
			}
		}
		if s.PaidAmount != 0 && len(ps) == 1 && s.PaidAmount != ps[0].Amount {
			add("%s: paid event NT$%d, bank payment NT$%d", s.No, s.PaidAmount, ps[0].Amount)
		}
	}
	if o.BankSide {
		for no, bs := range bank {
			if !seen[no] {
				add("%s: at the bank (NT$%d), not in the shop", no, bs[0].Amount)
			}
		}
	}
	slices.Sort(r.Problems)
	return r
}
