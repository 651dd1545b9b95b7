package web

import (
	"net/http"
	"time"

	"github.com/sinopay/sinopay/internal/compress"

	"github.com/sinopay/sinopay/shop"
)

// resetTTL is how long a password reset link works.
const resetTTL = 30 * time.Minute

// forgotPage is the "forgot password" form, and what it said.
type forgotPage struct {
	Email       string
	Error       string // translation key of what is wrong with the email
	Sent        bool
	WaitMinutes int
}

// forgotForm asks for the email of the account whose password is
// forgotten (GET /password/forgot).
func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "forgot", s.newView(r, nil, "forgot.title", forgotPage{}))
}

// forgotSubmit sends a reset link to the account of an email (POST
// /password/forgot). The answer is the same whether or not the email has
// an account, and the link goes only to the account's own address, so
// the form tells nobody who has one. It is held by the same limits as
// log-in (by address, and by the account's email): a stranger cannot
// fill a customer's mailbox or learn anything faster than by guessing
// passwords.
func (s *Server) forgotSubmit(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	email := shop.NormEmail(form.Get("email"))
	page := forgotPage{Email: email}
	if err := shop.CheckEmail(email); err != nil {
		page.Error = shop.ErrorKey(err)
		s.render(w, http.StatusBadRequest, "forgot", s.newView(r, nil, "forgot.title", page))
		return
	}
	if limit, wait := s.throttle.admit(s.clientAddr(r), email, false, s.now()); limit != "" {
		s.metrics.AuthHeld("forgot", limit)
		page.WaitMinutes = setRetryAfter(w, wait)
		s.render(w, http.StatusTooManyRequests, "forgot", s.newView(r, nil, "forgot.title", page))
		return
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	c, err := s.db.CustomerByEmail(ctx, email)
	switch {
	case err == nil:
		now := s.now()
		if err := s.db.CreatePasswordReset(ctx, c.ID, randomHex(32), now, now.Add(resetTTL)); err != nil {
			s.fail(w, r, err)
			return
		}
		if s.outbox != nil {
			s.outbox.Wake()
		}
		s.log.InfoContext(r.Context(), "password reset link queued", "customer", c.ID)
	case !shop.IsCode(err, shop.NotFound):
		s.fail(w, r, err)
		return
	}
	page.Sent = true
	s.render(w, http.StatusOK, "forgot", s.newView(r, nil, "forgot.title", page))
}

// resetPage is the form that sets a new password through a link.
type resetPage struct {
	Token   string
	Invalid bool   // the link is unknown, used or expired
	Error   string // translation key of what is wrong with the password
	MinPW   int
}

// resetForm asks for a new password, when the link still works (GET
// /password/reset/{token}). The page is kept out of caches and its
// address out of Referer headers: it holds the link's token.
func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	page := resetPage{Token: r.PathValue("token"), MinPW: shop.MinPassword}
	status := http.StatusOK
	if _, err := s.db.PasswordResetCustomer(ctx, page.Token, s.now()); err != nil {
		if !shop.IsCode(err, shop.NotFound) {
			s.fail(w, r, err)
			return
		}
		page.Invalid, page.Token, status = true, "", http.StatusNotFound
	}
	secretPage(w)
	s.render(w, status, "reset", s.newView(r, nil, "reset.title", page))
}

// resetSubmit sets the new password (POST /password/reset/{token}): the
// link is used up, every session of the account ends, and this browser
// is logged in with a new one.
func (s *Server) resetSubmit(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := resetPage{Token: r.PathValue("token"), MinPW: shop.MinPassword}
	secretPage(w)
	pw := form.Get("password")
	if err := shop.CheckPassword(pw); err != nil {
		page.Error = shop.ErrorKey(err)
		s.render(w, http.StatusBadRequest, "reset", s.newView(r, nil, "reset.title", page))
		return
	}
	// The hash may wait for its turn on a busy machine, outside any
	// database deadline.
	hash, err := s.passwords.hash(r.Context(), pw)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	id, err := s.db.ResetPassword(ctx, page.Token, string(hash), s.now())
	if shop.IsCode(err, shop.NotFound) {
		page.Invalid, page.Token = true, ""
		s.render(w, http.StatusNotFound, "reset", s.newView(r, nil, "reset.title", page))
		return
	}
	if err == nil {
		err = s.startSession(ctx, w, r, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "password changed through a reset link; the account's other sessions ended", "customer", id)
	http.Redirect(w, r, "/orders", http.StatusSeeOther)
}

// secretPage keeps a page that shows a secret (in its address, or made
// for it) out of caches and Referer headers, and never compresses it,
// whatever the request: a compressed size would tell the secret to an
// attacker who can put text beside it (BREACH; see internal/compress).
func secretPage(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	compress.Off(w)
}
