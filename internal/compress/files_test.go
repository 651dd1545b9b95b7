package compress

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

var css = strings.Repeat(".btn{color:#0d6efd;border:1px solid}\n", 200)

func newFiles(t *testing.T) (*Files, string) {
	t.Helper()
	f, err := NewFiles(fstest.MapFS{
		"site.css":   {Data: []byte(css)},
		"icon.svg":   {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"LICENSE":    {Data: []byte(strings.Repeat("Permission is hereby granted. ", 50))},
		"sub/app.js": {Data: []byte(strings.Repeat("console.log(1);\n", 100))},
	}, "/static/")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", f.Handler(nil))
	srv := httptest.NewServer(Handler(mux, Options{}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// A text file is sent gzipped (once made, with its length and a tag of
// its own) to a client that accepts it, plain to one that does not, and
// cached for a year under its versioned URL.
func TestFilesPrecompressed(t *testing.T) {
	f, srv := newFiles(t)
	u, err := f.URL("site.css")
	if err != nil || !strings.HasPrefix(u, "/static/site.css?v=") {
		t.Fatalf("URL %q %v", u, err)
	}
	resp, body := get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || gunzip(t, body) != css {
		t.Fatalf("gzipped: %d %v", resp.StatusCode, resp.Header)
	}
	if resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) || resp.Header.Get("Cache-Control") != yearLong ||
		resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("gzipped header %v", resp.Header)
	}
	gzTag := resp.Header.Get("Etag")
	resp, body = get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "identity"})
	if resp.Header.Get("Content-Encoding") != "" || string(body) != css || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("plain: %v", resp.Header)
	}
	tag := resp.Header.Get("Etag")
	if tag == "" || gzTag == "" || tag == gzTag {
		t.Errorf("tags %q and %q", tag, gzTag)
	}
	resp, _ = get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzTag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match the gzip tag: %d", resp.StatusCode)
	}
	resp, _ = get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "identity", "If-None-Match": tag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match the plain tag: %d", resp.StatusCode)
	}
	// A range is of the plain bytes.
	resp, body = get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-3"})
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Encoding") != "" || string(body) != css[:4] {
		t.Errorf("range: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, body = get(t, "HEAD", srv+u, map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	if u, _ := f.URL("sub/app.js"); true {
		resp, body := get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "gzip"})
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || gunzip(t, body) != strings.Repeat("console.log(1);\n", 100) {
			t.Errorf("app.js: %v", resp.Header)
		}
	}
}

// A small file goes as it is; the middleware does not take it up again.
func TestFilesSmallPlain(t *testing.T) {
	f, srv := newFiles(t)
	u, _ := f.URL("icon.svg")
	resp, body := get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(string(body), "<svg") ||
		resp.Header.Get("Content-Type") != "image/svg+xml" || resp.Header.Get("Cache-Control") != yearLong {
		t.Errorf("icon: %d %v", resp.StatusCode, resp.Header)
	}
	u, _ = f.URL("LICENSE")
	resp, _ = get(t, "GET", srv+u, map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("LICENSE: %v", resp.Header)
	}
}

// Without its version, or with an old one, a file is served but checked
// again each time; an unknown name is a 404 no cache keeps.
func TestFilesVersionsAndUnknown(t *testing.T) {
	f, srv := newFiles(t)
	for _, path := range []string{"/static/site.css", "/static/site.css?v=000000000000"} {
		resp, _ := get(t, "GET", srv+path, map[string]string{"Accept-Encoding": "gzip"})
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	for _, path := range []string{"/static/", "/static/nope.css", "/static/sub", "/static/sub/"} {
		resp, _ := get(t, "GET", srv+path, nil)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Cache-Control") != "" {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	if _, err := f.URL("nope.css"); err == nil {
		t.Error("URL of no file")
	}
}
