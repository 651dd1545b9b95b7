package web

import (
	"net/http"
	"net/url"

	"github.com/sinopay/sinopay/shop"
)

// adminJobRetry makes a failed job run again now (POST
// /admin/jobs/{id}/retry), and goes back to the jobs of the state it came
// from. A running job is left alone.
func (s *Server) adminJobRetry(w http.ResponseWriter, r *http.Request) {
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
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	back := "/admin/jobs?state=" + url.QueryEscape(form.Get("state"))
	job, err := s.jobs.Retry(ctx, id)
	if shop.IsCode(err, shop.NotFound) {
		s.adminFail(w, r, a, shop.Wrap(shop.NotFound, "admin.jobs.gone", err, "job %d", id), back)
		return
	}
	if err != nil {
		s.adminFail(w, r, a, shop.Wrap(shop.Unavailable, "error.unavailable", err, "retry job %d", id), back)
		return
	}
	s.log.InfoContext(r.Context(), "job retried from the back office", "job", id, "kind", job.Kind, "admin", a.Email)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
