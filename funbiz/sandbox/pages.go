package sandbox

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/internal/compress"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticFiles are the pages' files, every file of static/ (one added
// there is served without a line of code), each at a URL with a hash of
// its content, cached for a year and gzipped once; templates link to
// them with {{static "name"}}.
var staticFiles = func() *compress.Files {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // embedded at build time
	}
	f, err := compress.NewFiles(sub, "/_sandbox/static/")
	if err != nil {
		panic(err)
	}
	return f
}()

// pageNames are the templates; each is parsed with the layout, once per
// language, when the sandbox starts, so a broken template fails New and
// a page costs no parsing.
var pageNames = []string{"card", "card_done", "message", "atm", "dashboard"}

type pages struct {
	s       *Sandbox
	cat     map[string]catalog
	tmpl    map[string]map[string]*template.Template // lang → page
	flashes flashes
}

func newPages(s *Sandbox) (*pages, error) {
	cat, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	p := &pages{s: s, cat: cat, tmpl: map[string]map[string]*template.Template{}}
	for _, lang := range Languages {
		c := cat[lang]
		funcs := template.FuncMap{
			"T":             c.translate,
			"source":        c.source,
			"outcome":       c.outcome,
			"ntd":           formatNTD,
			"short":         shortToken,
			"deliveryClass": deliveryClass,
			"static":        staticFiles.URL,
		}
		p.tmpl[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("sandbox: template %s: %w", name, err)
			}
			p.tmpl[lang][name] = t
		}
	}
	return p, nil
}

func (p *pages) routes(mux *http.ServeMux) {
	mux.Handle("GET /_sandbox/static/", staticFiles.Handler(nil))
	mux.HandleFunc("GET /_sandbox/{$}", p.dashboard)
	mux.HandleFunc("GET /_sandbox/card/{token}", p.cardPage)
	mux.HandleFunc("POST /_sandbox/card/{token}", p.cardSubmit)
	mux.HandleFunc("GET /_sandbox/atm/{atmPayNo}", p.atmPage)
	mux.HandleFunc("POST /_sandbox/atm/{atmPayNo}", p.atmSubmit)
}

// pageData is what every page gets; Page is the page's own data. Flash
// and Error say how the form posted just before went.
type pageData struct {
	Lang      string
	OtherLang string
	Path      string
	Flash     string
	Error     string
	Page      any
}

// render writes a page in the request's language. Rendering goes to a
// buffer first, so a template error is a clean 500, not half a page.
func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, name string, page any) {
	lang := pageLang(w, r)
	d := pageData{Lang: lang, OtherLang: "en", Path: r.URL.Path, Page: page}
	// What a form just did, kept on the server; never text from the URL.
	if f, ok := p.takeFlash(w, r); ok {
		if f.err {
			d.Error = f.text(p.cat[lang])
		} else {
			d.Flash = f.text(p.cat[lang])
		}
	}
	if lang == "en" {
		d.OtherLang = "zh-TW"
	}
	var buf bytes.Buffer
	if err := p.tmpl[lang][name].Execute(&buf, d); err != nil {
		p.s.log.Error("sandbox: rendering a page", "page", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var formTo []string
	if f, ok := page.(formTargeter); ok {
		formTo = f.formTargets()
	}
	w.Header().Set("Content-Security-Policy", pagePolicy(formTo...))
	// The pages are the bank's, not the shop's: nobody may frame them
	// (frame-ancestors says so too, to browsers that read the policy).
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// formTargeter is a page whose form posts to another site: the page
// after a card payment posts to the shop's ReturnURL.
type formTargeter interface {
	formTargets() []string
}

// pagePolicy is the Content-Security-Policy of every page: styles,
// script and images only from the sandbox itself (Bootstrap's data: SVG
// icons aside), no inline script or style, no plugins, no <base>, no
// framing, and forms that post only back to the sandbox or to the
// sources in formTo.
func pagePolicy(formTo ...string) string {
	formAction := "'self'"
	for _, o := range formTo {
		formAction += " " + o
	}
	return "default-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action " + formAction
}

// t translates for the request's language, for texts built in Go.
func (p *pages) t(r *http.Request, key string, args ...any) string {
	lang := Languages[0]
	if l := r.URL.Query().Get("lang"); p.cat[l] != nil {
		lang = l
	} else if c, err := r.Cookie(langCookie); err == nil && p.cat[c.Value] != nil {
		lang = c.Value
	}
	return p.cat[lang].translate(key, args...)
}

type messagePage struct {
	Kind, Title, Body string
}

func (p *pages) message(w http.ResponseWriter, r *http.Request, status int, kind, titleKey, bodyKey string, args ...any) {
	p.render(w, r, status, "message", messagePage{Kind: kind, Title: p.t(r, titleKey), Body: p.t(r, bodyKey, args...)})
}

// formatNTD renders whole NT$ with thousands separators: NT$1,234.
func formatNTD(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-NT$" + b.String()
	}
	return "NT$" + b.String()
}

func shortToken(s string) string {
	if len(s) <= 10 {
		return s
	}
	return s[:10] + "…"
}

func deliveryClass(state string) string {
	switch deliveryState(state) {
	case deliveryDelivered:
		return "success"
	case deliveryPending:
		return "warning"
	}
	return "danger"
}
