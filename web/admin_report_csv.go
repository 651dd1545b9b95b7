package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

// utf8BOM starts the CSV: without it Excel reads UTF-8 as the local code
// page and the Chinese comes out garbled.
const utf8BOM = "\uFEFF"

// csvHeader are the column titles of the CSV, translation keys.
var csvHeader = []string{
	"admin.report.verdict", "admin.report.reason", "admin.report.order_no", "admin.report.pay_type",
	"admin.report.our_collected", "admin.report.our_refunded", "admin.report.our_status",
	"admin.report.bank_collected", "admin.report.bank_refunded", "admin.report.bank_status",
	"admin.report.settlement", "admin.report.fee", "admin.report.net",
}

// adminReportCSV downloads a report as CSV (GET /admin/reports/{id}/csv):
// UTF-8 with a byte-order mark, titles and words in the admin's language,
// amounts as plain whole NT$ (fees as NT$ with two decimals) so a
// spreadsheet can add them up.
func (s *Server) adminReportCSV(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	rep, err := s.recon.ReportByID(ctx, id)
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/reports")
		return
	}
	lang := langOf(r)
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	cw := csv.NewWriter(&buf)
	head := make([]string, len(csvHeader))
	for i, k := range csvHeader {
		head[i] = locale.T(lang, k)
	}
	cw.Write(head)
	for _, row := range rep.Rows {
		status := ""
		if row.OurStatus != "" {
			status = locale.Status(lang, row.OurStatus)
		}
		reason := ""
		if row.Reason != "" {
			reason = locale.T(lang, row.Reason)
		}
		fee := ""
		switch {
		case row.FeeRaw != "":
			// The unit is in doubt: the bank's own text, as sent.
			fee = csvText(locale.T(lang, "admin.report.bank_sent", row.FeeRaw))
		case row.FeeCents != 0:
			fee = csvCents(row.FeeCents)
		}
		net := shop.DayTotal{BankCollected: row.BankCollected, BankRefunded: row.BankRefunded, FeeCents: row.FeeCents}.NetCents()
		cw.Write([]string{
			locale.Verdict(lang, row.Verdict), reason, csvText(row.OrderNo), payType(lang, row.PayType),
			amount(row.OurCollected), amount(row.OurRefunded), status,
			amount(row.BankCollected), amount(row.BankRefunded), bankStatus(lang, row.BankStatus),
			csvText(row.AllotNo), fee, csvCents(net),
		})
	}
	// The day's totals per pay type, then of all, in the same columns, so
	// a spreadsheet can check them against the rows above.
	for _, t := range rep.Totals() {
		kind := payType(lang, t.PayType)
		if t.All {
			kind = locale.T(lang, "admin.report.all_types")
		}
		cw.Write([]string{
			locale.T(lang, "admin.report.total"), locale.T(lang, "admin.report.total_orders", t.Orders), "", kind,
			amount(t.OurCollected), amount(t.OurRefunded), "",
			amount(t.BankCollected), amount(t.BankRefunded), "",
			"", csvCents(t.FeeCents), csvCents(t.NetCents()),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.adminFail(w, r, a, shop.Wrap(shop.Internal, "", err, "report CSV"), "")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="reconciliation-%s-%d.csv"`, rep.Day, rep.ID))
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// csvText keeps a text that came from the bank from being read as a
// formula by a spreadsheet (CSV injection): a leading = + - @ gets a
// quote.
func csvText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func amount(m shop.Money) string { return strconv.FormatInt(int64(m), 10) }

// csvCents writes NT$0.01 units as NT$ with two decimals: -12.50.
func csvCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func payType(lang string, p shop.PayType) string {
	if p == "" {
		return ""
	}
	return locale.PayType(lang, p)
}

func bankStatus(lang string, s shop.PayStatus) string {
	if s == "" {
		return ""
	}
	return locale.PayStatus(lang, s)
}
