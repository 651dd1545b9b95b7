package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

// Cookie names.
const (
	sessionCookie = "session"
	langCookie    = "lang"
)

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails on supported systems
	return hex.EncodeToString(b)
}

// langOf is the language of a request: the lang cookie, else the browser's
// Accept-Language, else zh-TW.
func langOf(r *http.Request) string {
	cookie := ""
	if c, err := r.Cookie(langCookie); err == nil {
		cookie = c.Value
	}
	return locale.Match(r.Header.Get("Accept-Language"), cookie)
}

// errAnonymous is who's answer for a visitor without a live session.
var errAnonymous = shop.Errorf(shop.Unauthorized, "error.unauthorized", "login required")

// who returns the customer logged in on r. A visitor without a live
// session (no cookie, an expired or unknown session, a deleted account)
// gets an Unauthorized error; any other error means the database could
// not tell.
func (s *Server) who(ctx context.Context, r *http.Request) (*shop.Customer, error) {
	cookie, err := r.Cookie(sessionCookie)
	if err != nil || cookie.Value == "" {
		return nil, errAnonymous
	}
	customer, err := s.db.SessionCustomer(ctx, cookie.Value, s.now())
	if shop.IsCode(err, shop.NotFound) {
		return nil, errAnonymous
	}
	if err != nil {
		return nil, err
	}
	return customer, nil
}

// visitor is who for pages anyone may see: nil for a visitor, and when
// the database cannot say who is logged in, the page is still shown, as
// to a visitor.
func (s *Server) visitor(ctx context.Context, r *http.Request) *shop.Customer {
	customer, err := s.who(ctx, r)
	if err != nil && !shop.IsCode(err, shop.Unauthorized) {
		s.log.WarnContext(r.Context(), "session lookup failed", "error", err)
	}
	return customer
}

// loggedIn returns the logged-in customer, or answers the request itself
// (a redirect to the login page, or an error page) and returns nil.
func (s *Server) loggedIn(ctx context.Context, w http.ResponseWriter, r *http.Request) *shop.Customer {
	customer, err := s.who(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	return customer
}

// startSession gives the customer a new session and its cookie. A new
// token at every login means a token planted before login (session
// fixation) never becomes a logged-in session; the old one is deleted.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, customerID int64) error {
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := s.db.DeleteSession(ctx, old.Value); err != nil {
			return err
		}
	}
	token := randomHex(32)
	now := s.now()
	if err := s.db.CreateSession(ctx, token, customerID, now, now.Add(sessionTTL)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		Expires: now.Add(sessionTTL), MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// endSession deletes the session of r and its cookie.
func (s *Server) endSession(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.db.DeleteSession(ctx, c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// localPath is next if it is a path on this shop, else "/": the only
// redirect targets the shop takes from a request (?next=, the language
// switch). It must stay on the shop after every normalisation a browser
// or net/http applies on the way, so it returns the target already in its
// final form (dot segments resolved as http.Redirect and browsers do) and
// refuses whatever a browser could read as another host: a scheme, "//",
// a backslash (browsers read "\" as "/" in paths), control characters
// (browsers drop tabs and newlines, which can turn "/\t/x" into "//x").
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return "/"
	}
	// Resolve dot segments now, as http.Redirect and the browser would:
	// "/./x" and "/a/../x" must not leave a "//" behind.
	p := u.EscapedPath()
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if strings.HasPrefix(clean, "//") {
		return "/"
	}
	out := clean
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out
}

// loginURL is the login page that comes back to next.
func loginURL(next string) string {
	return "/login?next=" + url.QueryEscape(localPath(next))
}
