package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// loginSubmit logs a customer in (POST /login) with a new session, and
// goes on to next. A wrong email and a wrong password get the same
// message, and take the same time, so the form does not reveal who has an
// account.
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	email, pw := shop.NormEmail(form.Get("email")), form.Get("password")
	page := authPage{Email: email, Next: localPath(form.Get("next"))}
	// An email no account can have is refused before any work, and says
	// nothing of who has an account.
	if err := shop.CheckEmail(email); err != nil {
		page.Error = shop.ErrorKey(err)
		s.render(w, http.StatusBadRequest, "login", s.newView(r, nil, "login.title", page))
		return
	}
	lookup, cancel := s.timeout(r)
	c, err := s.db.CustomerByEmail(lookup, email)
	cancel()
	var hash []byte
	switch {
	case err == nil:
		hash = []byte(c.PasswordHash)
	case !shop.IsCode(err, shop.NotFound):
		s.fail(w, r, err)
		return
	}
	// The check may wait for its turn on a busy machine, outside any
	// database deadline.
	ok, err := s.passwords.check(r.Context(), hash, pw)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		page.Error = "auth.bad_login"
		s.render(w, http.StatusUnauthorized, "login", s.newView(r, nil, "login.title", page))
		return
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	if err := s.startSession(ctx, w, r, c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, page.Next, http.StatusSeeOther)
}
