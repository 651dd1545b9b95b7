package web

import (
	"net/http"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

// httpStatus is the one place where an error code becomes an HTTP status.
// Unauthorized has no status here: it is a redirect to the login page.
func httpStatus(code shop.Code) int {
	switch code {
	case shop.Invalid:
		return http.StatusBadRequest
	case shop.NotFound:
		return http.StatusNotFound
	case shop.Conflict:
		return http.StatusConflict
	case shop.Unauthorized:
		return http.StatusUnauthorized
	case shop.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail answers a request that went wrong: a redirect to the login page
// for Unauthorized, otherwise an error page whose status comes from the
// error's code and whose message is the translation of its key. Server
// faults are logged; the page never shows the error's inner text.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.failBack(w, r, err, "")
}

// failBack is fail with a link back to the page where the visitor can fix
// what was wrong.
func (s *Server) failBack(w http.ResponseWriter, r *http.Request, err error, back string) {
	code := shop.ErrorCode(err)
	if code == shop.Unauthorized {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/"
		}
		http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
		return
	}
	status := httpStatus(code)
	var c *shop.Customer
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "code", string(code), "error", err)
	} else {
		// The navbar shows who is logged in; when the database is the
		// trouble, the page does without.
		c = s.visitor(r.Context(), r)
	}
	v := s.newView(r, c, "error.title", nil)
	v.Data = errorPage{Status: status, Message: locale.T(v.Lang, shop.ErrorKey(err)), Back: back}
	s.render(w, status, "error", v)
}

// errorPage is the error page's data.
type errorPage struct {
	Status  int
	Message string
	Back    string
}

// renderError shows the error page with the message of key. It does not
// look up the session: it must work when the database does not.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	s.renderErrorBack(w, r, status, key, "")
}

func (s *Server) renderErrorBack(w http.ResponseWriter, r *http.Request, status int, key, back string) {
	v := s.newView(r, nil, "error.title", nil)
	v.Data = errorPage{Status: status, Message: locale.T(v.Lang, key), Back: back}
	s.render(w, status, "error", v)
}

// notFound answers paths no route knows.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "error.not_found")
}

// crossOriginDenied answers a state-changing request that another site's
// page sent (cross-site request forgery, or a stale form opened through a
// proxy that rewrote the Host).
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusForbidden, "error.cross_origin")
}
