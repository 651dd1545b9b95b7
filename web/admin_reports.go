package web

import (
	"net/http"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/shop"
)

// adminReportsPage lists the stored reconciliation reports and offers to
// run one.
type adminReportsPage struct {
	Reports []*shop.Report
	// Verdicts are the columns of counts, in the order reports show them.
	Verdicts []shop.Verdict
	// Day fills the form: yesterday, the day a report is usually for.
	Day   string
	Today string
	Keep  int
	Hour  int
	Error string
}

// adminReports lists the reconciliation reports, newest first (GET
// /admin/reports): the daily ones and those admins ran.
func (s *Server) adminReports(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	s.showReports(w, r, a, http.StatusOK, "", "")
}

func (s *Server) showReports(w http.ResponseWriter, r *http.Request, a *shop.Customer, status int, day, errKey string) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	list, err := s.recon.Reports(ctx)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	now := s.now().In(funbiz.Taipei)
	p := adminReportsPage{Reports: list, Verdicts: shop.Verdicts, Day: day, Today: now.Format("2006-01-02"), Keep: reconcile.KeepReports, Hour: reconcile.ReportHour, Error: errKey}
	if p.Day == "" {
		p.Day = now.AddDate(0, 0, -1).Format("2006-01-02")
	}
	s.renderAdmin(w, status, "admin_reports", s.newAdminView(r, a, "reports", "admin.reports.title", p))
}
