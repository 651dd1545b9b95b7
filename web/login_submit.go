package web

import (
	"net/http"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// loginSubmit logs a customer in (POST /login) with a new session, and
// goes on to next. A wrong email and a wrong password get the same
// message, and take the same time, so the form does not reveal who has an
// account. Before the password is checked, the attempt must pass the
// limits on guessing (authThrottle): a 429 says when to try again. A
// browser the account has logged in on before (its device cookie) is
// never held by the account's limit, only by its address's.
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
		page.refuse(shop.ErrorKey(err))
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
	case shop.IsCode(err, shop.NotFound):
		c = nil
	default:
		s.fail(w, r, err)
		return
	}
	known := knownDevice(r, c)
	if s.held(w, r, "login", &page, email, known) {
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
	s.throttle.succeeded(email, known, s.now())
	ctx, cancel := s.timeout(r)
	defer cancel()
	if err := s.startSession(ctx, w, r, c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if lang := langOf(r); lang != c.Lang {
		// The e-mail to the customer follows the language they use.
		if err := s.db.SetCustomerLang(ctx, c.ID, lang); err != nil {
			s.log.WarnContext(r.Context(), "cannot remember the customer's language", "err", err)
		}
	}
	s.rememberDevice(w, r, c)
	http.Redirect(w, r, page.Next, http.StatusSeeOther)
}

// held takes a password check's attempt from the limits on guessing, for
// account (a normalised email, "" for a sign-up) on a browser known to it
// or not. When a limit holds it, held answers 429 with Retry-After and
// page (form "login" or "signup") saying when to try again, and returns
// true.
func (s *Server) held(w http.ResponseWriter, r *http.Request, form string, page *authPage, account string, known bool) bool {
	limit, wait := s.throttle.admit(s.clientAddr(r), account, known, s.now())
	if limit == "" {
		return false
	}
	s.metrics.AuthHeld(form, limit)
	s.log.InfoContext(r.Context(), "password attempt held", "form", form, "limit", limit, "retry_after", wait.Round(time.Second))
	page.Error = "auth.throttled"
	page.WaitMinutes = setRetryAfter(w, wait)
	s.render(w, http.StatusTooManyRequests, form, s.newView(r, nil, form+".title", *page))
	return true
}
