package sandbox

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The pages speak Taiwanese Mandarin by default and English on request
// (?lang=en, remembered in a cookie). Every word on a page is a key in
// locale/<lang>.json; a test fails when the two catalogues disagree on
// their keys or a template uses a key that is missing.

//go:embed locale/*.json
var localeFS embed.FS

// Languages are the page languages, the default first.
var Languages = []string{"zh-TW", "en"}

const langCookie = "sandbox_lang"

type catalog map[string]string

func loadCatalogs() (map[string]catalog, error) {
	out := map[string]catalog{}
	for _, lang := range Languages {
		b, err := localeFS.ReadFile("locale/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		var c catalog
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("sandbox: locale/%s.json: %w", lang, err)
		}
		out[lang] = c
	}
	return out, nil
}

// translate looks a key up; a missing key shows as [[key]] rather than
// failing the page, and the catalogue test keeps that from shipping.
func (c catalog) translate(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return "[[" + key + "]]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// pageLang picks the language of a page: ?lang= (and remember it), else
// the cookie, else the default.
func pageLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); slices.Contains(Languages, l) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/_sandbox/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(Languages, c.Value) {
		return c.Value
	}
	return Languages[0]
}

// source names where a payment came from (the card page, the control
// API, an ATM transfer…) in the catalogue's words; a source the catalogue
// does not know (one a program gave PayCard) is shown as it is.
func (c catalog) source(src string) string {
	if s, ok := c["source."+strings.ReplaceAll(strings.ToLower(src), " ", "_")]; ok {
		return s
	}
	return src
}

// outcome names a payment's outcome in the words of its kind: an ATM
// transfer is received, not authorised.
func (c catalog) outcome(payType, o string) string {
	if payType == "A" {
		if s, ok := c["outcome.atm."+o]; ok {
			return s
		}
	}
	return c.translate("outcome." + o)
}
