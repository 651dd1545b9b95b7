package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// adminReportRun reconciles the chosen day now (POST /admin/reports,
// day=yyyy-mm-dd) and shows the report. The bank is asked several times;
// a report of a busy day takes a few seconds.
func (s *Server) adminReportRun(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	input := strings.TrimSpace(form.Get("day"))
	d, ok := parseDay(input)
	if !ok {
		s.showReports(w, r, a, http.StatusBadRequest, input, "admin.recon.bad_day")
		return
	}
	rep, err := s.recon.Reconcile(r.Context(), funbiz.FormatDate(d), shop.ReportByAdmin, a.Email)
	if err != nil {
		if shop.IsCode(err, shop.Invalid) || shop.IsCode(err, shop.Unavailable) {
			s.showReports(w, r, a, httpStatus(shop.ErrorCode(err)), input, shop.ErrorKey(err))
			return
		}
		s.adminFail(w, r, a, err, "")
		return
	}
	http.Redirect(w, r, "/admin/reports/"+strconv.FormatInt(rep.ID, 10), http.StatusSeeOther)
}
