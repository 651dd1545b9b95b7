package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/sinopay/sinopay/internal/compress"
)

//go:embed static
var staticFS embed.FS

// staticFiles are the embedded files, each at a URL with a hash of its
// content (/static/<name>?v=<hash>), so they can be cached for a year and
// a new build still reaches every browser at once; gzipped once, at first
// use, for the browsers that take it.
var staticFiles = func() *compress.Files {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // embedded at build time
	}
	f, err := compress.NewFiles(sub, "/static/")
	if err != nil {
		panic(err)
	}
	return f
}()

// staticURL is the versioned URL of a static file. A name that is not
// embedded panics at template execution: it is a typo in a template, and
// the page tests catch it.
func staticURL(name string) string {
	u, err := staticFiles.URL(name)
	if err != nil {
		panic("web: no static file " + name)
	}
	return u
}

// staticHandler serves the embedded files under /static/: the files only,
// no directory listing, and the shop's 404 page, not cached, for any
// other name.
func (s *Server) staticHandler() http.Handler {
	return staticFiles.Handler(http.HandlerFunc(s.notFound))
}
