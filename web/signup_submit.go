package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// signupSubmit opens an account and logs it in (POST /signup). A bad email
// or password, or a taken email, shows the form again with the reason.
//
// Saying that an email is taken tells whoever asks that it has an
// account; a shop that does not send e-mail cannot avoid it, since the
// sign-up of a free email succeeds at once. So a sign-up that passes the
// form's rules costs an attempt from its address's limit on password
// checks, shared with log-in (authThrottle): a list of emails is checked
// no faster than passwords are guessed. The answer for a taken email does
// not depend on the password given, so sign-up never tests one.
func (s *Server) signupSubmit(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	email, pw := shop.NormEmail(form.Get("email")), form.Get("password")
	page := authPage{Email: email, Next: localPath(form.Get("next")), MinPW: shop.MinPassword}
	err = shop.CheckCredentials(email, pw)
	if err == nil && s.held(w, r, "signup", &page, "", false) {
		return
	}
	var hash []byte
	if err == nil {
		// The hash may wait for its turn on a busy machine; the database's
		// deadline starts after it.
		hash, err = s.passwords.hash(r.Context(), pw)
	}
	var id int64
	if err == nil {
		ctx, cancel := s.timeout(r)
		defer cancel()
		if id, err = s.db.CreateCustomer(ctx, email, string(hash), s.now()); err == nil {
			err = s.startSession(ctx, w, r, id)
		}
		if err == nil {
			// The e-mail to the customer is written in the shop's language.
			err = s.db.SetCustomerLang(ctx, id, langOf(r))
		}
	}
	switch code := shop.ErrorCode(err); {
	case err == nil:
		s.rememberDevice(w, r, &shop.Customer{ID: id, Email: email, PasswordHash: string(hash)})
		// The page the new customer lands on says welcome, once.
		http.SetCookie(w, &http.Cookie{Name: welcomeCookie, Value: "1", Path: "/", MaxAge: 300,
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, page.Next, http.StatusSeeOther)
	case code == shop.Invalid || code == shop.Conflict:
		page.refuse(shop.ErrorKey(err))
		s.render(w, httpStatus(code), "signup", s.newView(r, nil, "signup.title", page))
	default:
		s.fail(w, r, err)
	}
}
