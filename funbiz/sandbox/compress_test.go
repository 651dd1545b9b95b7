package sandbox_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// fetched is what fetch got: the status, the header, the body gunzipped
// when it came gzipped, and whether it did.
type fetched struct {
	status int
	header http.Header
	body   string
	zipped bool
}

// fetch sends a request with these headers; Accept-Encoding set by hand
// keeps the client from gunzipping, so the test sees what was sent.
func fetch(t *testing.T, method, u string, body []byte, header map[string]string) fetched {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f := fetched{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		f.body, f.zipped = string(plain), true
	}
	return f
}

// The pages and the control API come gzipped when asked, and say the
// same as when not; with a cookie, only from the sandbox's own pages or
// typed in. The bank API's answers never are.
func TestCompression(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	r.createCard("Z1", "")
	dash := r.srv.URL + "/_sandbox/?lang=en"
	plain := fetch(t, "GET", dash, nil, nil)
	if plain.status != 200 || plain.zipped || plain.header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("not asked: %d, compressed %v, Vary %q", plain.status, plain.zipped, plain.header.Get("Vary"))
	}
	if f := fetch(t, "GET", dash, nil, map[string]string{"Accept-Encoding": "gzip;q=0, br"}); f.zipped {
		t.Error("compressed with gzip;q=0")
	}
	f := fetch(t, "GET", dash, nil, map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"})
	if !f.zipped || f.body != plain.body || f.header.Get("Vary") != "Accept-Encoding" || !strings.HasPrefix(f.header.Get("Content-Type"), "text/html") {
		t.Errorf("asked: compressed %v, same body %v, %v", f.zipped, f.body == plain.body, f.header)
	}

	for _, tc := range []struct {
		cookie, site string
		want         bool
	}{
		{"", "cross-site", true},
		{"sandbox_lang=en", "same-origin", true},
		{"sandbox_lang=en", "none", true},
		{"sandbox_lang=en", "cross-site", false},
		{"sandbox_lang=en", "same-site", false},
		{"sandbox_lang=en", "", false},
	} {
		f := fetch(t, "GET", dash, nil, map[string]string{"Accept-Encoding": "gzip", "Cookie": tc.cookie, "Sec-Fetch-Site": tc.site})
		if f.status != 200 || f.zipped != tc.want {
			t.Errorf("cookie %q, Sec-Fetch-Site %q: %d, compressed %v, want %v", tc.cookie, tc.site, f.status, f.zipped, tc.want)
		}
	}

	if f := fetch(t, "GET", r.srv.URL+"/_sandbox/orders", nil, map[string]string{"Accept-Encoding": "gzip"}); f.status != 200 || !strings.Contains(f.body, `"Z1"`) ||
		f.zipped != (len(f.body) >= 1024) {
		t.Errorf("control API: %d, compressed %v, %d bytes", f.status, f.zipped, len(f.body))
	}

	f = fetch(t, "POST", r.api()+"/Nonce", []byte(`{"ShopNo":"`+sandbox.DemoShopNo+`"}`), map[string]string{"Accept-Encoding": "gzip", "Content-Type": "application/json"})
	if f.status != 200 || f.zipped || f.header.Get("Vary") != "" || !strings.Contains(f.body, "Nonce") {
		t.Errorf("bank API: %d, compressed %v, Vary %q: %s", f.status, f.zipped, f.header.Get("Vary"), f.body)
	}
}

var staticRE = regexp.MustCompile(`/_sandbox/static/([a-z.]+)\?v=[0-9a-f]{12}`)

// The pages link to their files under versioned URLs, cached for a year
// and sent gzipped; an unknown name is a 404 no cache keeps.
func TestStaticVersioned(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	page := fetch(t, "GET", r.srv.URL+"/_sandbox/", nil, nil)
	links := map[string]string{}
	for _, m := range staticRE.FindAllStringSubmatch(page.body, -1) {
		links[m[1]] = m[0]
	}
	if links["bootstrap.min.css"] == "" || links["favicon.svg"] == "" {
		t.Fatalf("no versioned links in the dashboard: %v", links)
	}
	for name, u := range links {
		want, err := os.ReadFile(filepath.Join("static", name))
		if err != nil {
			t.Fatal(err)
		}
		f := fetch(t, "GET", r.srv.URL+u, nil, map[string]string{"Accept-Encoding": "gzip", "Cookie": "sandbox_lang=en"})
		if f.status != 200 || f.body != string(want) || f.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d, %d bytes, Cache-Control %q", name, f.status, len(f.body), f.header.Get("Cache-Control"))
		}
		if len(want) >= 1024 {
			n, _ := strconv.Atoi(f.header.Get("Content-Length"))
			if !f.zipped || n == 0 || n >= len(want) {
				t.Errorf("%s: compressed %v, Content-Length %q", name, f.zipped, f.header.Get("Content-Length"))
			}
		}
	}
	for _, path := range []string{"/_sandbox/static/", "/_sandbox/static/nope.css", "/_sandbox/static/nope.css?v=0123456789ab"} {
		f := fetch(t, "GET", r.srv.URL+path, nil, nil)
		if f.status != http.StatusNotFound || f.header.Get("Cache-Control") != "" {
			t.Errorf("%s: %d, Cache-Control %q", path, f.status, f.header.Get("Cache-Control"))
		}
	}
}

// No static file points at a source map: none is shipped, and the
// browser's request for it would be a 404.
func TestStaticNoSourceMap(t *testing.T) {
	entries, err := os.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("static", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("sourceMappingURL")) {
			t.Errorf("%s names a source map", e.Name())
		}
	}
}
