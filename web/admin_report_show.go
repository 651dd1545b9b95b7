package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// adminReportPage is one reconciliation report.
type adminReportPage struct {
	*shop.Report
	Verdicts []shop.Verdict
}

// adminReportShow shows a stored reconciliation report (GET
// /admin/reports/{id}): the differences first, then what matched.
func (s *Server) adminReportShow(w http.ResponseWriter, r *http.Request) {
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
	s.renderAdmin(w, http.StatusOK, "admin_report", s.newAdminView(r, a, "reports", "admin.reports.title",
		adminReportPage{Report: rep, Verdicts: shop.Verdicts}))
}

// verdictClass colours a verdict: red for money one side lacks, amber
// for a difference, green when matched.
func verdictClass(v shop.Verdict) string {
	switch v {
	case shop.VerdictMatched:
		return "success"
	case shop.VerdictDiffers:
		return "warning"
	}
	return "danger"
}
