package web

import (
	"net/http"
	"net/url"
	"strings"
)

// secretPaths are the URL prefixes whose rest is a secret: a
// password-reset token, a hosted payment's id (anyone with the link sees
// the page), a card return's reference. A page under one names the
// public page it stands for as its canonical URL, so that the secret
// never leaves in a link, a search engine or a share, and is not
// indexed.
var secretPaths = []struct{ prefix, public string }{
	{"/password/reset/", "/password/forgot"},
	{"/pay/", "/"},
	{"/payments/", "/"},
}

// definingQuery are, per path, the query parameters that choose what a
// page shows (which page of a list, which filter); any other parameter
// (a cart carried to checkout, where to go after logging in) is left
// out of the canonical URL.
var definingQuery = map[string][]string{
	"/orders":          {"page"},
	"/admin/orders":    {"status", "pay_type", "from", "to", "customer", "no"},
	"/admin/mail":      {"status", "page"},
	"/admin/paytokens": {"q", "page"},
	"/admin/jobs":      {"state"},
}

// canonicalURL is r's page as search engines and shares should know it:
// the shop's base URL, the page's path, and only the query parameters
// that define the page. noIndex reports a page whose URL is a secret.
func (s *Server) canonicalURL(r *http.Request) (canonical string, noIndex bool) {
	path := r.URL.EscapedPath()
	for _, sp := range secretPaths {
		if strings.HasPrefix(path, sp.prefix) {
			return s.baseURL + sp.public, true
		}
	}
	q := url.Values{}
	for _, k := range definingQuery[path] {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	u := s.baseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, false
}
