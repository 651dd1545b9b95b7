package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFS embed.FS

// staticVersions maps each static file to a short hash of its content.
// Pages link to /static/<name>?v=<hash>, so the files can be cached for a
// year and a new build still reaches every browser at once.
var staticVersions = func() map[string]string {
	m := map[string]string{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err) // embedded at build time
	}
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return m
}()

// staticURL is the versioned URL of a static file. A name that is not
// embedded panics at template execution: it is a typo in a template, and
// the page tests catch it.
func staticURL(name string) string {
	v, ok := staticVersions[name]
	if !ok {
		panic("web: no static file " + name)
	}
	return "/static/" + name + "?v=" + v
}

// staticFiles serves the embedded files under /static/ with long cache
// headers. Only the files themselves: no directory listing, and a 404 is
// not cached.
func (s *Server) staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := staticVersions[strings.TrimPrefix(r.URL.Path, "/static/")]; !ok {
			s.notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	})
}
