package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// zipped sends a request with these headers (Accept-Encoding among them,
// so the client hands back the body as sent) and returns the answer with
// its body gunzipped when it came gzipped, and whether it did.
func (b *browser) zipped(method, path string, form url.Values, header map[string]string) (*page, bool) {
	b.r.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.r.srv.URL+path, body)
	if err != nil {
		b.r.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	p := b.do(req)
	if p.Header.Get("Content-Encoding") != "gzip" {
		return p, false
	}
	zr, err := gzip.NewReader(strings.NewReader(p.Body))
	if err != nil {
		b.r.t.Fatalf("%s: %v", path, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		b.r.t.Fatalf("%s: %v", path, err)
	}
	p.Body = string(plain)
	return p, true
}

// A visitor's pages come gzipped when the browser asks, and say the same
// as when it does not; not asked, or asked with q=0, they come as they
// are. Both say Vary: Accept-Encoding.
func TestPagesCompressed(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for _, path := range []string{"/", "/products/" + r.products[0].SKU, "/signup", "/login"} {
		plain, zipped := b.zipped("GET", path, nil, map[string]string{"Accept-Encoding": "identity"})
		if zipped || plain.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s not asked: compressed %v, Vary %q", path, zipped, plain.Header.Get("Vary"))
		}
		if _, zipped := b.zipped("GET", path, nil, map[string]string{"Accept-Encoding": "br, gzip;q=0"}); zipped {
			t.Errorf("%s compressed with gzip;q=0", path)
		}
		p, zipped := b.zipped("GET", path, nil, map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd", "Sec-Fetch-Site": "none"})
		if !zipped || p.Status != plain.Status || p.Body != plain.Body || p.Header.Get("Vary") != "Accept-Encoding" ||
			p.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s asked: compressed %v, %d %v", path, zipped, p.Status, p.Header)
		}
	}
}

// The BREACH rule: with the session cookie, a page is compressed only
// when the browser says the request came from the shop's own pages or
// was typed in; never for a request another site made, nor from a
// browser that does not say.
func TestCompressionWithSessionNeedsSameOrigin(t *testing.T) {
	r := newRig(t)
	b := r.signup("breach@example.com")
	for site, want := range map[string]bool{"same-origin": true, "none": true, "same-site": false, "cross-site": false, "": false} {
		p, zipped := b.zipped("GET", "/orders", nil, map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": site})
		if p.Status != http.StatusOK || zipped != want {
			t.Errorf("Sec-Fetch-Site %q: %d, compressed %v, want %v", site, p.Status, zipped, want)
		}
		if p.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Sec-Fetch-Site %q: Vary %q", site, p.Header.Get("Vary"))
		}
	}
	// Another cookie is not the session: a visitor who chose a language
	// gets the catalogue compressed from anywhere.
	v := r.browser()
	v.get("/lang/en")
	if _, zipped := v.zipped("GET", "/", nil, map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": "cross-site"}); !zipped {
		t.Error("a visitor with the language cookie: not compressed")
	}
}

// Pages that show a secret are never compressed, whatever the request:
// the password reset form (and its answer to a refused password), the
// API key just made, and a reset link in the outbox not sent yet.
func TestSecretPagesNotCompressed(t *testing.T) {
	r := newRig(t)
	r.signup("secret@example.com")
	anon := r.browser()
	if p := anon.post("/password/forgot", url.Values{"email": {"secret@example.com"}}); p.Status != http.StatusOK {
		t.Fatalf("forgot: %d", p.Status)
	}
	mails := r.kept("secret@example.com")
	if len(mails) == 0 {
		t.Fatal("no reset mail")
	}
	link := resetLinkRE.FindString(mails[0].Text)
	if link == "" {
		t.Fatalf("no link in %q", mails[0].Text)
	}
	asked := map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": "same-origin"}
	p, zipped := anon.zipped("GET", link, nil, asked)
	if p.Status != http.StatusOK || zipped || !strings.Contains(p.Body, link) {
		t.Errorf("reset form: %d, compressed %v", p.Status, zipped)
	}
	if p, zipped := anon.zipped("POST", link, url.Values{"password": {"short"}}, asked); p.Status != http.StatusBadRequest || zipped {
		t.Errorf("reset form refused: %d, compressed %v", p.Status, zipped)
	}

	a := r.adminBrowser("boss@example.com")
	p, zipped = a.zipped("POST", "/admin/apikeys", url.Values{"name": {"Woo"}, "mode": {"test"}}, asked)
	if p.Status != http.StatusOK || zipped || !regexp.MustCompile(`sk_test_[0-9a-f]{48}`).MatchString(p.Body) || !strings.Contains(p.Body, "whsec_") {
		t.Errorf("new API key: %d, compressed %v", p.Status, zipped)
	}
	// The list, without the secret, is compressed as any page.
	if p, zipped := a.zipped("GET", "/admin/apikeys", nil, asked); p.Status != http.StatusOK || !zipped {
		t.Errorf("API key list: %d, compressed %v", p.Status, zipped)
	}

	mail := "/admin/mail/" + strconv.FormatInt(mails[0].ID, 10)
	if p, zipped := a.zipped("GET", mail, nil, asked); p.Status != http.StatusOK || zipped || !strings.Contains(p.Body, link) {
		t.Errorf("reset mail in the outbox: %d, compressed %v", p.Status, zipped)
	}
}

// The JSON API (a key in Authorization, no cookie) compresses as asked.
func TestAPICompressed(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	plain, _ := b.zipped("GET", "/api/v1/openapi.json", nil, map[string]string{"Accept-Encoding": "identity"})
	p, zipped := b.zipped("GET", "/api/v1/openapi.json", nil, map[string]string{"Accept-Encoding": "gzip"})
	if p.Status != http.StatusOK || !zipped || p.Body != plain.Body || len(plain.Body) < 1024 {
		t.Errorf("openapi.json: %d, compressed %v, %d bytes", p.Status, zipped, len(plain.Body))
	}
}

// Every static file is served gzipped (when text, and worth it) with
// its length, cached for a year under its versioned URL; the bytes are
// the file's.
func TestStaticFilesPrecompressed(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		t.Fatal(err)
	}
	gzipped := map[string]bool{}
	for _, e := range entries {
		want, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		// The browser sends the cookie with its page's files.
		p, zipped := b.zipped("GET", staticURL(e.Name()), nil, map[string]string{"Accept-Encoding": "gzip", "Cookie": sessionCookie + "=x"})
		if p.Status != http.StatusOK || p.Body != string(want) {
			t.Errorf("%s: %d, %d bytes, want %d", e.Name(), p.Status, len(p.Body), len(want))
		}
		if cc := p.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", e.Name(), cc)
		}
		if zipped {
			gzipped[e.Name()] = true
			if n, _ := strconv.Atoi(p.Header.Get("Content-Length")); n == 0 || n >= len(want) {
				t.Errorf("%s: Content-Length %q of %d bytes", e.Name(), p.Header.Get("Content-Length"), len(want))
			}
		}
	}
	for _, name := range []string{"bootstrap.min.css", "bootstrap.bundle.min.js", "shop.css", "shop.js"} {
		if !gzipped[name] {
			t.Errorf("%s not gzipped", name)
		}
	}
	// The bytes were gzipped once, at the best level: no smaller than
	// gzip -9 would make them, give or take its header.
	p, _ := b.zipped("GET", staticURL("bootstrap.min.css"), nil, map[string]string{"Accept-Encoding": "gzip"})
	css, _ := staticFS.ReadFile("static/bootstrap.min.css")
	var best bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&best, gzip.BestCompression)
	zw.Write(css)
	zw.Close()
	if n, _ := strconv.Atoi(p.Header.Get("Content-Length")); n != best.Len() {
		t.Errorf("bootstrap.min.css: %d bytes gzipped, %d at the best level", n, best.Len())
	}
}

// No static file points at a source map: none is shipped, and the
// browser's request for it would be a 404.
func TestStaticNoSourceMap(t *testing.T) {
	err := fs.WalkDir(staticFS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		if bytes.Contains(b, []byte("sourceMappingURL")) {
			t.Errorf("%s names a source map", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
