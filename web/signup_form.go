package web

import (
	"net/http"
	"strings"

	"github.com/sinopay/sinopay/shop"
)

// authPage is the sign-up and login form.
type authPage struct {
	Email string
	Next  string
	Error string // translation key of what went wrong
	// Field is the input Error is about ("email" or "password"), shown
	// beside it; "" shows Error above the form (a failed log-in names
	// neither, so as not to say which was wrong).
	Field string
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

// refuse sets the page's error from its translation key, beside the
// field it concerns.
func (p *authPage) refuse(key string) {
	p.Error, p.Field = key, ""
	switch key {
	case "auth.bad_email", "auth.email_taken":
		p.Field = "email"
	case "auth.password_short", "auth.password_long":
		p.Field = "password"
	}
}

// ForCheckout says the form stands between a visitor and the checkout of
// a cart: the page says why an account is needed, and that the cart is
// kept (it is in Next, the checkout's own URL).
func (p authPage) ForCheckout() bool {
	return p.Next == "/checkout" || strings.HasPrefix(p.Next, "/checkout?")
}
