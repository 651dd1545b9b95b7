package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/sinopay/sinopay/shop"
)

// parseForm reads a form post of at most maxFormBody bytes and returns its
// fields (the body only: a query string does not count as a form field).
func parseForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, shop.Wrap(shop.Invalid, "error.form_too_large", err, "form too large")
		}
		return nil, shop.Wrap(shop.Invalid, "error.bad_form", err, "form unreadable")
	}
	return r.PostForm, nil
}
