package web

import (
	"net/http"

	"github.com/sinopay/sinopay/locale"
)

// langSwitch remembers a language in a cookie (GET /lang/{code}?next=…)
// and goes back to the page it came from. It changes nothing but the
// visitor's own preference, so a GET is fine.
func (s *Server) langSwitch(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !locale.Supported(code) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: code, Path: "/", MaxAge: int(langTTL.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	// A customer's e-mail follows the language they chose.
	ctx, cancel := s.timeout(r)
	defer cancel()
	if c := s.visitor(ctx, r); c != nil && c.Lang != code {
		if err := s.db.SetCustomerLang(ctx, c.ID, code); err != nil {
			s.log.WarnContext(r.Context(), "cannot remember the customer's language", "err", err)
		}
	}
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}
