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
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}
