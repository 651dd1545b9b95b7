// Package reconcile compares the shop's money with the bank's, one day
// at a time: our ledger against BillQuery, each order's state against
// OrderQuery, and the day's money against its settlements (AllotQuery).
// Reports are stored for the back office; a daily job (Jobs) reports the
// day before on its own.
package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Config tunes the service. Zero values take the defaults in brackets.
type Config struct {
	// Now is the clock [time.Now].
	Now func() time.Time
}

// Service makes and keeps the reconciliation reports. It is safe for
// concurrent use.
type Service struct {
	db   *storage.DB
	bank *funbiz.Client
	now  func() time.Time
	log  *slog.Logger
}

// New builds the service; log nil discards its lines.
func New(db *storage.DB, bank *funbiz.Client, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, bank: bank, now: cfg.Now, log: log}
}

// KeepReports is how many reports are kept; older ones are deleted as new
// ones are stored.
const KeepReports = 30

// maxLookups bounds the single-order OrderQuery calls of one report; rows
// beyond it show no bank status.
const maxLookups = 300

// Reconcile compares one day's money (day is yyyyMMdd, Taiwan time) by our
// books with the bank's: our ledger (payments, captures and refunds
// recorded that day) against BillQuery (the day's collections and
// refunds), the state of every order involved against OrderQuery, and
// the day's money against AllotQuery (its settlements, once there are
// any). The report is stored, keeping the newest KeepReports. source and
// adminEmail say who asked. Errors: Invalid for a bad or future day,
// Unavailable when the bank cannot be asked.
func (s *Service) Reconcile(ctx context.Context, day string, source shop.ReportSource, adminEmail string) (*shop.Report, error) {
	start, err := funbiz.ParseDate(day)
	if err != nil || funbiz.FormatDate(start) != day {
		return nil, shop.Errorf(shop.Invalid, "admin.recon.bad_day", "day %q", day)
	}
	now := s.now()
	if day > funbiz.FormatDate(now) {
		return nil, shop.Errorf(shop.Invalid, "admin.recon.future_day", "day %s is in the future", day)
	}
	end := start.AddDate(0, 0, 1)
	ledger, err := s.db.Ledger(ctx, start, end)
	if err != nil {
		return nil, err
	}
	bill, err := s.bank.BillQuery(ctx, day)
	if err != nil {
		return nil, bankDown(err, "BillQuery")
	}

	rows := map[string]*shop.ReportRow{}
	row := func(no string, payType shop.PayType) *shop.ReportRow {
		r := rows[no]
		if r == nil {
			r = &shop.ReportRow{OrderNo: no, PayType: payType}
			rows[no] = r
		}
		return r
	}
	for _, m := range ledger {
		r := row(m.OrderNo, m.PayType)
		if m.Kind == "P" {
			r.OurCollected += m.Amount
		} else {
			r.OurRefunded += m.Amount
		}
	}
	for _, it := range bill.Items {
		r := row(it.OrderNo, shop.PayType(it.PayType))
		if it.TSType == "R" {
			r.BankRefunded += shop.Money(it.Amount)
		} else {
			r.BankCollected += shop.Money(it.Amount)
		}
	}

	// The bank's state of every order: one query for the orders collected
	// that day, then one per order for the rest (refunds of older orders,
	// money only one side has).
	status := map[string]shop.PayStatus{}
	q, err := s.bank.OrderQuery(ctx, &funbiz.OrderQueryParams{PayDateTimeS: day + "0000", PayDateTimeE: day + "2359"})
	if err != nil {
		return nil, bankDown(err, "OrderQuery")
	}
	for _, o := range q.Orders {
		status[o.OrderNo] = shop.PayStatus(o.PayStatus)
	}
	nos := make([]string, 0, len(rows))
	for no := range rows {
		nos = append(nos, no)
	}
	sort.Strings(nos)
	lookups := 0
	for _, no := range nos {
		if _, ok := status[no]; ok || lookups == maxLookups {
			continue
		}
		lookups++
		info, found, err := s.bank.FindOrder(ctx, no)
		// ErrInvalid: an order number the bank's rules refuse, which a row
		// of the bank's might have; the bank knows no such order.
		if err != nil && !errors.Is(err, funbiz.ErrInvalid) {
			return nil, bankDown(err, "OrderQuery")
		}
		if found {
			status[no] = shop.PayStatus(info.PayStatus)
		}
	}

	rep := &shop.Report{Day: day, Source: source, AdminEmail: adminEmail, Counts: map[shop.Verdict]int{}}
	rep.Settlements, rep.Unsettled, err = s.settlements(ctx, day, now, rows)
	if err != nil {
		return nil, err
	}
	for _, no := range nos {
		r := rows[no]
		r.BankStatus = status[no]
		o, err := s.db.OrderByNo(ctx, no)
		switch {
		case err == nil:
			r.OurStatus, r.AwaitsCapture = o.Status, o.AwaitingCapture()
			if r.PayType == "" {
				r.PayType = o.PayType
			}
		case !shop.IsCode(err, shop.NotFound):
			return nil, err
		}
		r.Verdict, r.Reason = judge(r, o)
		rep.Counts[r.Verdict]++
		rep.Rows = append(rep.Rows, *r)
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if a.Verdict != b.Verdict {
			return verdictRank(a.Verdict) < verdictRank(b.Verdict)
		}
		return a.OrderNo < b.OrderNo
	})
	if err := s.db.SaveReport(ctx, rep, KeepReports, s.now()); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "reconciliation report", "day", day, "id", rep.ID, "source", source,
		"matched", rep.Counts[shop.VerdictMatched], "differs", rep.Counts[shop.VerdictDiffers],
		"missing_bank", rep.Counts[shop.VerdictMissingBank], "missing_shop", rep.Counts[shop.VerdictMissingShop])
	return rep, nil
}

func bankDown(err error, service string) error {
	return shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "reconciliation: %s", service)
}

func verdictRank(v shop.Verdict) int {
	for i, w := range shop.Verdicts {
		if v == w {
			return i
		}
	}
	return len(shop.Verdicts)
}

// judge gives a row its verdict and reason. o is nil when we have no such
// order.
func judge(r *shop.ReportRow, o *shop.Order) (shop.Verdict, string) {
	ours := r.OurCollected > 0 || r.OurRefunded > 0
	bank := r.BankCollected > 0 || r.BankRefunded > 0
	switch {
	case o == nil:
		return shop.VerdictMissingShop, shop.ReasonNoOrder
	case ours && !bank:
		return shop.VerdictMissingBank, shop.ReasonNotAtBank
	case bank && !ours:
		return shop.VerdictMissingShop, shop.ReasonNotOurs
	case r.OurCollected != r.BankCollected || r.OurRefunded != r.BankRefunded:
		return shop.VerdictDiffers, shop.ReasonAmount
	case r.BankStatus != "" && !statesAgree(o, funbiz.PayStatus(r.BankStatus)):
		return shop.VerdictDiffers, shop.ReasonState
	}
	return shop.VerdictMatched, ""
}

// statesAgree reports whether the bank's PayStatus fits our order's state
// now.
func statesAgree(o *shop.Order, st funbiz.PayStatus) bool {
	switch o.Status {
	case shop.StatusPaid:
		if o.AwaitingCapture() {
			return st == funbiz.PayStatusCardAuthed
		}
		return st.Paid() && st != funbiz.PayStatusCardAuthed
	case shop.StatusRefunded:
		// Refunded in full keeps the collected status at the bank (the
		// refund is beside it); a cancelled authorisation does not.
		return st.Paid() || st == funbiz.PayStatusCardCanceled || st == funbiz.PayStatusCardVoid
	}
	return !st.Paid()
}

// settlements finds the bank's settlements of the day's money: AllotQuery
// from the next day (money settles the day after at the earliest) for a
// week, as far as today. Each row gets its settlement number and fee.
func (s *Service) settlements(ctx context.Context, day string, now time.Time, rows map[string]*shop.ReportRow) ([]shop.Settlement, bool, error) {
	start, _ := funbiz.ParseDate(day)
	from := funbiz.FormatDate(start.AddDate(0, 0, 1))
	today := funbiz.FormatDate(now)
	if from > today {
		return nil, true, nil
	}
	to := min(funbiz.FormatDate(start.AddDate(0, 0, 7)), today)
	res, err := s.bank.AllotQuery(ctx, &funbiz.AllotParams{AllotDateS: from, AllotDateE: to})
	if err != nil {
		return nil, false, bankDown(err, "AllotQuery")
	}
	var out []shop.Settlement
	for _, a := range res.Allots {
		ours := false
		for _, it := range a.Items {
			if len(it.PayDate) < 8 || it.PayDate[:8] != day {
				continue
			}
			if r := rows[it.OrderNo]; r != nil {
				ours = true
				r.AllotNo = a.AllotNo
				r.FeeCents += it.Fee.Cents
				if it.Fee.Doubtful() {
					r.FeeRaw = it.Fee.Raw
				}
			}
		}
		if ours {
			st := shop.Settlement{AllotNo: a.AllotNo, AllotDate: a.AllotDate, PayType: shop.PayType(a.PayType),
				PayAmount: shop.Money(a.PayAmount.Cents / 100), RefundAmount: shop.Money(a.RefundAmount.Cents / 100),
				FeeCents: a.FeeAmount.Cents, AllotAmountCents: a.AllotAmount.Cents}
			for _, f := range []struct {
				name string
				v    funbiz.SettlementAmount
			}{{"PayAmount", a.PayAmount}, {"RefundAmount", a.RefundAmount}, {"FeeAmount", a.FeeAmount}, {"ExtAllotAmount", a.ExtAllotAmount}, {"AllotAmount", a.AllotAmount}} {
				if f.v.Doubtful() {
					st.Doubts = append(st.Doubts, f.name+" "+f.v.Raw)
				}
			}
			if _, whole := a.PayAmount.NTD(); !whole && !a.PayAmount.Doubtful() {
				st.Doubts = append(st.Doubts, "PayAmount "+a.PayAmount.Raw)
			}
			out = append(out, st)
		}
	}
	return out, false, nil
}

// ReportByID reads a stored report.
func (s *Service) ReportByID(ctx context.Context, id int64) (*shop.Report, error) {
	return s.db.ReportByID(ctx, id)
}

// Reports lists the stored reports, newest first, without their rows.
func (s *Service) Reports(ctx context.Context) ([]*shop.Report, error) {
	return s.db.Reports(ctx, KeepReports)
}
