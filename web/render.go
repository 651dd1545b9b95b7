package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/internal/telemetry"
	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

//go:embed templates
var templateFS embed.FS

// pageNames are the pages; each is templates/<name>.html on top of
// templates/layout.html.
var pageNames = []string{"catalogue", "checkout", "order", "result", "payment", "orders", "signup", "login", "forgot", "reset", "product", "pay", "error"}

// pages holds one parsed template set per page and language. The language
// is bound into the set's functions, so templates write {{t "key"}} and
// the words come out in the page's language. Everything is parsed once, at
// start.
type pages struct {
	sets map[string]map[string]*template.Template // page → lang → set
}

func parsePages() (*pages, error) {
	p := &pages{sets: map[string]map[string]*template.Template{}}
	for _, name := range pageNames {
		p.sets[name] = map[string]*template.Template{}
		for _, lang := range locale.Langs {
			t, err := template.New("layout.html").Funcs(funcs(lang)).
				ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("web: template %s: %w", name, err)
			}
			bakeWords(t, lang)
			p.sets[name][lang] = t
		}
	}
	return p, nil
}

// funcs are the template functions for one language. The code-to-word
// converters live in locale; templates only call them.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string, args ...any) string { return locale.T(lang, key, args...) },
		"money":    func(m shop.Money) string { return locale.Money(lang, m) },
		"status":   func(s shop.Status) string { return locale.Status(lang, s) },
		"paytype":  func(p shop.PayType) string { return locale.PayType(lang, p) },
		"event":    func(e shop.Event) string { return locale.Event(lang, e) },
		"source":   func(src shop.Source) string { return locale.Source(lang, src) },
		"subtotal": func(it shop.Item) shop.Money { return it.UnitPrice * shop.Money(it.Qty) },
		"itemname": func(it shop.Item) string { return it.NameIn(lang) },
		"when":     func(t time.Time) string { return t.In(funbiz.Taipei).Format("2006-01-02 15:04") },
		"static":   staticURL,
		"pname":    func(p shop.Product) string { return p.Name(lang) },
		"city": func(c string) string {
			if en := shop.CityEN[c]; lang == locale.EN && en != "" {
				return en + " " + c
			}
			return c
		},
	}
}

// view is what every page gets: the layout's needs, and the page's own
// Data.
type view struct {
	Lang      string
	OtherLang string // the language the switch link offers
	Customer  *shop.Customer
	Here      string // this page's local URL, to come back to after login or a language switch
	Title     string // translation key of the page title
	// RequestID is the request's id, which error pages show for a
	// customer to quote.
	RequestID string
	Data      any

	// Canonical is the page's URL on the shop's base URL (canonicalURL);
	// NoIndex asks search engines to leave out a page whose URL is a
	// secret.
	Canonical string
	NoIndex   bool

	// Waiting pages follow what they wait for. With a script, static/shop.js
	// asks Poll (a small JSON answer, see status.go) now and then, and
	// when its version is no longer Version, draws the page's main part
	// again in place, or goes on to where the answer says; without one,
	// Refresh reloads the page every 2 s.
	Refresh bool
	Poll    string
	Version string

	// Contact is how to reach the shop, for the footer ("" for none).
	Contact string
	// Welcome greets a customer who has just signed up.
	Welcome bool
	// Hosted is a page shown to another merchant's buyer (an API
	// payment's): the header has the language switch, and neither the
	// shop's links nor log-in.
	Hosted bool
}

// welcomeCookie marks the first page after a sign-up, which greets the
// new customer once.
const welcomeCookie = "welcome"

// newView starts the view of a page for r.
func (s *Server) newView(r *http.Request, c *shop.Customer, title string, data any) *view {
	lang := langOf(r)
	other := locale.EN
	if lang == locale.EN {
		other = locale.ZH
	}
	v := &view{Lang: lang, OtherLang: other, Customer: c, Here: r.URL.RequestURI(), Title: title,
		RequestID: telemetry.RequestID(r.Context()), Data: data, Contact: s.contact}
	v.Canonical, v.NoIndex = s.canonicalURL(r)
	if ck, err := r.Cookie(welcomeCookie); err == nil && ck.Value == "1" && c != nil {
		v.Welcome = true
	}
	return v
}

// render writes page with status. The page is executed into a buffer
// first, so a template error becomes a clean 500 and not half a page.
// A page that greeted a new customer forgets the greeting.
func (s *Server) render(w http.ResponseWriter, status int, page string, v *view) {
	if v.Welcome {
		http.SetCookie(w, &http.Cookie{Name: welcomeCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	}
	s.renderIn(w, status, page, v.Lang, v)
}

// renderIn executes page's template set for lang (the default language's
// when the page has none) with data.
func (s *Server) renderIn(w http.ResponseWriter, status int, page, lang string, data any) {
	set := s.pages.sets[page][lang]
	if set == nil {
		set = s.pages.sets[page][locale.Default]
	}
	var buf bytes.Buffer
	if err := set.Execute(&buf, data); err != nil {
		args := []any{"page", page, "error", err}
		if v, ok := data.(*view); ok && v.RequestID != "" {
			args = append(args, "request_id", v.RequestID)
		}
		s.log.Error("template failed", args...)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show orders and accounts: never keep them in a shared cache.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
