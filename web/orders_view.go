package web

import (
	"strings"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// orderView is an order with what its pages decide about it. The words
// are left to the templates' locale functions; the decisions are made
// here, once, for the order page, the result page and the order list.
type orderView struct {
	*shop.Order
	// Confirming: the bank has not answered the creation yet, or we do not
	// know whether it has the order.
	Confirming bool
	// Refused: the bank refused the order; Bank.Error says why.
	Refused bool
	// PayATM: show the virtual account to transfer to.
	PayATM bool
	// ATMLarge: the amount is more than most banks let an ATM transfer to
	// a non-designated account carry; the page says how else to pay.
	ATMLarge bool
	// PayCard: the card page link still works and the order is unpaid.
	PayCard bool
	// CardLinkExpired: an unpaid card order whose link no longer works.
	CardLinkExpired bool
	// Account is the virtual account in groups of four digits, as people
	// read and type it.
	Account string
	// ExpireDate is the last day to pay an ATM order, yyyy-MM-dd.
	ExpireDate string
	// RowClass colours the order's row in the order list; BadgeClass its
	// status on the order page.
	RowClass, BadgeClass string
	// RefundTotal is what has been refunded to the buyer so far.
	RefundTotal shop.Money
	// CardInstead: an unpaid ATM order its customer may still choose to
	// pay by card instead (a new card order replaces it).
	CardInstead bool
}

// Unpaid says the order waits for a payment or for the bank: its pages
// follow it until that changes.
func (v orderView) Unpaid() bool {
	return v.Status == shop.StatusWaiting || v.Status == shop.StatusFailed
}

// refundTotal is what has been refunded of o: the back office keeps the
// sum; an order refunded whole without it (the bank said so) had all of
// its amount refunded.
func refundTotal(o *shop.Order) shop.Money {
	if o.Refunded == 0 && o.Status == shop.StatusRefunded {
		return o.Amount
	}
	return o.Refunded
}

func newOrderView(o *shop.Order, now time.Time) orderView {
	v := orderView{Order: o, RowClass: rowClass(o.Status), BadgeClass: badgeClass(o.Status), RefundTotal: refundTotal(o)}
	created := o.Bank.State == shop.BankCreated
	v.Confirming = o.Bank.State == shop.BankCreating || o.Bank.State == shop.BankUnknown
	v.Refused = o.Bank.State == shop.BankRefused
	unpaid := o.Status == shop.StatusWaiting || o.Status == shop.StatusFailed
	switch o.PayType {
	case shop.PayATM:
		// A replaced order shows no account: its purchase is paid by card.
		v.PayATM = created && o.Status == shop.StatusWaiting && o.Bank.AtmPayNo != "" && o.ReplacedBy == ""
		v.CardInstead = o.Status == shop.StatusWaiting && o.ReplacedBy == "" && (created || v.Refused)
		v.ATMLarge = o.Amount > shop.NonDesignatedLimit
		v.Account = groupDigits(o.Bank.AtmPayNo, 4)
		v.ExpireDate = dashedDate(o.Bank.ExpireDate)
	case shop.PayCard:
		live := o.Bank.CardPayURL != "" && now.Before(o.Bank.CardExpiresAt)
		v.PayCard = created && unpaid && live
		v.CardLinkExpired = created && unpaid && !live
	}
	return v
}

// rowClass is the Bootstrap class of an order's row: blue while waiting,
// red when the last attempt failed, grey when expired, amber when a
// person must look (refunded or under review), plain when paid.
func rowClass(s shop.Status) string {
	switch s {
	case shop.StatusWaiting:
		return "table-info"
	case shop.StatusFailed:
		return "table-danger"
	case shop.StatusExpired:
		return "table-secondary"
	case shop.StatusRefunded, shop.StatusReview:
		return "table-warning"
	}
	return ""
}

// badgeClass colours a status badge the way rowClass colours a row, with
// green for paid.
func badgeClass(s shop.Status) string {
	switch s {
	case shop.StatusPaid:
		return "text-bg-success"
	case shop.StatusWaiting:
		return "text-bg-info"
	case shop.StatusFailed:
		return "text-bg-danger"
	case shop.StatusRefunded, shop.StatusReview:
		return "text-bg-warning"
	}
	return "text-bg-secondary"
}

// groupDigits splits s into groups of size, separated by spaces.
func groupDigits(s string, size int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += size {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+size, len(s))])
	}
	return b.String()
}

// dashedDate writes the bank's yyyyMMdd as yyyy-MM-dd; anything else is
// shown as it is.
func dashedDate(d string) string {
	if len(d) != 8 {
		return d
	}
	if _, err := time.Parse("20060102", d); err != nil {
		return d
	}
	return d[:4] + "-" + d[4:6] + "-" + d[6:]
}
