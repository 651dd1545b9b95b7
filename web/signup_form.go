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

// ForCheckout says the form stands between a visitor and the checkout of
// a cart: the page says why an account is needed, and that the cart is
// kept (it is in Next, the checkout's own URL).
func (p authPage) ForCheckout() bool {
	return p.Next == "/checkout" || strings.HasPrefix(p.Next, "/checkout?")
}
