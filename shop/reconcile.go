package shop

import (
	"slices"
	"time"
)

// Verdict is what the reconciliation made of one order on one day.
type Verdict string

const (
	// VerdictMatched: the same money moved by our books and by the bank's,
	// and the order's state agrees with the bank's.
	VerdictMatched Verdict = "matched"
	// VerdictDiffers: both sides know of money on the order that day, but
	// the amounts or the states differ.
	VerdictDiffers Verdict = "differs"
	// VerdictMissingBank: our books have money that day the bank does not.
	VerdictMissingBank Verdict = "missing_bank"
	// VerdictMissingShop: the bank has money that day our books do not.
	VerdictMissingShop Verdict = "missing_shop"
)

// Verdicts lists every verdict, in the order reports show them.
var Verdicts = []Verdict{VerdictMissingShop, VerdictMissingBank, VerdictDiffers, VerdictMatched}

// Report reasons: why a row is not matched, as translation keys.
const (
	ReasonAmount    = "admin.recon.reason.amount"      // collected or refunded amounts differ
	ReasonState     = "admin.recon.reason.state"       // the amounts agree, the order's state does not
	ReasonNoOrder   = "admin.recon.reason.no_order"    // the bank names an order we do not have
	ReasonNotAtBank = "admin.recon.reason.not_at_bank" // the bank does not list the money at all
	ReasonNotOurs   = "admin.recon.reason.not_ours"    // our books list no money on the order that day
)

// PayStatus is the bank's state of an order (its PayStatus, 1A200 and the
// like), kept as the bank writes it; funbiz.PayStatus says what each
// means.
type PayStatus string

// ReportRow is one order in a reconciliation report: the money that moved
// on it that day by our books and by the bank's (BillQuery), its state
// now on both sides (our status; the bank's PayStatus from OrderQuery), its
// settlement (AllotQuery) when there is one yet, and the verdict.
type ReportRow struct {
	OrderNo       string
	PayType       PayType `json:",omitempty"`
	OurCollected  Money
	OurRefunded   Money
	OurStatus     Status `json:",omitempty"` // empty: we have no such order
	AwaitsCapture bool   `json:",omitempty"`
	BankCollected Money
	BankRefunded  Money
	BankStatus    PayStatus `json:",omitempty"` // empty: the bank was not asked, or has no such order
	AllotNo       string    `json:",omitempty"`
	FeeCents      int64     `json:",omitempty"`
	// FeeRaw is the bank's own text of the fee when its form leaves the
	// unit in doubt (see funbiz.SettlementAmount); FeeCents is then a
	// reading, or 0 when it could not be read.
	FeeRaw  string `json:",omitempty"`
	Verdict Verdict
	Reason  string `json:",omitempty"` // a Reason… key
}

// Settlement is one of the bank's settlements (撥款) that pays out money
// of the report's day.
type Settlement struct {
	AllotNo          string
	AllotDate        string
	PayType          PayType
	PayAmount        Money
	RefundAmount     Money
	FeeCents         int64
	AllotAmountCents int64
	// Doubts lists, as "PayAmount 1700.0", the amounts whose form on the
	// wire leaves their unit in doubt or that could not be read, with the
	// bank's own text: the figures above are then readings, shown beside
	// what the bank sent.
	Doubts []string `json:",omitempty"`
}

// ReportSource says who made a report.
type ReportSource string

const (
	ReportBySchedule ReportSource = "schedule" // the daily job
	ReportByAdmin    ReportSource = "admin"    // an admin, named by AdminEmail
)

// Report is a reconciliation of one day (Taiwan time): our ledger against
// the bank's. Reports are stored; ID and the fields after it describe the
// stored copy. A list of reports has Counts but no Rows or Settlements.
type Report struct {
	Day         string // yyyyMMdd
	Rows        []ReportRow
	Settlements []Settlement
	// Unsettled says the day's settlements cannot be known yet (they come
	// the next day at the earliest).
	Unsettled bool
	Counts    map[Verdict]int

	ID         int64        `json:"-"`
	Source     ReportSource `json:"-"`
	AdminEmail string       `json:"-"`
	CreatedAt  time.Time    `json:"-"`
}

// Scheduled reports whether the daily job made the report (and no admin).
func (r *Report) Scheduled() bool { return r.Source == ReportBySchedule }

// Count is how many rows have verdict v.
func (r *Report) Count(v Verdict) int { return r.Counts[v] }

// Unmatched is how many rows are not matched: what an admin must look at.
func (r *Report) Unmatched() int {
	n := 0
	for v, k := range r.Counts {
		if v != VerdictMatched {
			n += k
		}
	}
	return n
}

// DayTotal is a report's money of one pay type (or, with All, of every
// pay type): what our books and the bank's moved that day, the bank's
// fees on it, and the net the bank settles for it.
type DayTotal struct {
	PayType       PayType // "" when not known (and for All)
	All           bool
	Orders        int
	OurCollected  Money
	OurRefunded   Money
	BankCollected Money
	BankRefunded  Money
	// FeeCents are the fees of the rows' settlements, in NT$0.01; 0 until
	// the day is settled.
	FeeCents int64
}

// NetCents is what the bank settles for the day's money: what it
// collected, less what it refunded and its fees, in NT$0.01.
func (t DayTotal) NetCents() int64 {
	return int64(t.BankCollected-t.BankRefunded)*100 - t.FeeCents
}

// Totals adds up the report's rows per pay type, in the order
// card, ATM, then any other, followed by the total of all of them. A
// report without rows has no totals.
func (r *Report) Totals() []DayTotal {
	if len(r.Rows) == 0 {
		return nil
	}
	by := map[PayType]*DayTotal{}
	var order []PayType
	all := DayTotal{All: true}
	for _, row := range r.Rows {
		t := by[row.PayType]
		if t == nil {
			t = &DayTotal{PayType: row.PayType}
			by[row.PayType] = t
			order = append(order, row.PayType)
		}
		for _, t := range []*DayTotal{t, &all} {
			t.Orders++
			t.OurCollected += row.OurCollected
			t.OurRefunded += row.OurRefunded
			t.BankCollected += row.BankCollected
			t.BankRefunded += row.BankRefunded
			t.FeeCents += row.FeeCents
		}
	}
	rank := func(p PayType) int {
		switch p {
		case PayCard:
			return 0
		case PayATM:
			return 1
		case "":
			return 3
		}
		return 2
	}
	slices.SortStableFunc(order, func(a, b PayType) int { return rank(a) - rank(b) })
	out := make([]DayTotal, 0, len(order)+1)
	for _, p := range order {
		out = append(out, *by[p])
	}
	return append(out, all)
}
