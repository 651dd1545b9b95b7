package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// authPage is the sign-up and login form.
type authPage struct {
	Email string
	Next  string
	Error string // translation key of what went wrong
	MinPW int
	// WaitMinutes is how long to wait before trying again, for
	// auth.throttled.
	WaitMinutes int
}

// signupForm shows the sign-up form (GET /signup).
func (s *Server) signupForm(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	v := s.newView(r, s.visitor(ctx, r), "signup.title",
		authPage{Next: localPath(r.URL.Query().Get("next")), MinPW: shop.MinPassword})
	s.render(w, http.StatusOK, "signup", v)
}
