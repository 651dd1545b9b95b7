package compress

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// page is a text answer well above MinSize.
var page = strings.Repeat("<p>庫米狗屋 KummyShop: a line of a page</p>\n", 100)

// get sends a GET to url with the headers, and returns the answer and its
// body as sent (not decompressed).
func get(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	// Setting Accept-Encoding ourselves keeps the transport from
	// decompressing; with none, ask for identity.
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
	return resp, b
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// serve runs h with Handler in front of it, with opts.
func serve(t *testing.T, opts Options, h http.HandlerFunc) string {
	srv := httptest.NewServer(Handler(h, opts))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAcceptsGzip(t *testing.T) {
	for v, want := range map[string]bool{
		"":                          false,
		"gzip":                      true,
		"GZIP":                      true,
		"x-gzip":                    true,
		"gzip, deflate, br, zstd":   true,
		"br;q=1.0, gzip;q=0.8":      true,
		"gzip;q=0":                  false,
		"gzip; q=0.000":             false,
		"gzip;q=0.001":              true,
		"gzip;q=1":                  true,
		"gzip;q=1.000":              true,
		"gzip;q=x":                  false,
		"gzip;q=0.5x":               false,
		"deflate":                   false,
		"identity":                  false,
		"*":                         true,
		"*;q=0":                     false,
		"*, gzip;q=0":               false,
		"gzip;q=0, *":               false,
		"identity;q=1, *;q=0.5":     true,
		"br ; q=0.9 , gzip ; q=0.1": true,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Accept-Encoding", v)
		}
		if got := acceptsGzip(h); got != want {
			t.Errorf("Accept-Encoding %q: %v, want %v", v, got, want)
		}
	}
}

// Text is gzipped when asked, and comes out as it went in; the type is
// kept, Content-Length dropped and Vary set. Not asked, or asked with
// q=0, it goes as it is, with Vary all the same.
func TestTextCompressedWhenAsked(t *testing.T) {
	url := serve(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Header().Set("Etag", `"abc"`)
		// Written in small pieces, across MinSize.
		for i := 0; i < len(page); i += 100 {
			w.Write([]byte(page[i:min(i+100, len(page))]))
		}
	})
	resp, body := get(t, "GET", url, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("not gzipped: %v", resp.Header)
	}
	if got := gunzip(t, body); got != page {
		t.Errorf("gunzipped body differs: %d bytes, want %d", len(got), len(page))
	}
	if len(body) >= len(page)/2 {
		t.Errorf("gzipped %d bytes to %d", len(page), len(body))
	}
	if resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Vary") != "Accept-Encoding" ||
		resp.Header.Get("Etag") != `W/"abc"` || resp.ContentLength == int64(len(page)) {
		t.Errorf("header %v, length %d", resp.Header, resp.ContentLength)
	}
	for _, ae := range []string{"identity", "gzip;q=0", "deflate, br", "*;q=0"} {
		resp, body := get(t, "GET", url, map[string]string{"Accept-Encoding": ae})
		if resp.Header.Get("Content-Encoding") != "" || string(body) != page || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: Content-Encoding %q, Vary %q, %d bytes", ae, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"), len(body))
		}
	}
}

// Only text types; small answers, answers without a body, parts of
// files, a handler's own encoding and HEAD go as they are.
func TestWhatIsNotCompressed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		method   string
		ctype    string
		status   int
		encoding string
		body     string
		vary     bool
	}{
		{name: "json", ctype: "application/json", body: page, vary: true},
		{name: "problem", ctype: "application/problem+json", body: page, vary: true},
		{name: "csv", ctype: "text/csv; charset=utf-8", body: page, vary: true},
		{name: "svg", ctype: "image/svg+xml", body: page, vary: true},
		{name: "js", ctype: "text/javascript; charset=utf-8", body: page, vary: true},
		{name: "jpeg", ctype: "image/jpeg", body: page},
		{name: "octets", ctype: "application/octet-stream", body: page},
		{name: "small", ctype: "text/html", body: page[:MinSize-1], vary: true},
		{name: "own encoding", ctype: "text/html", encoding: "br", body: page},
		{name: "no content", ctype: "text/html", status: http.StatusNoContent},
		{name: "not modified", ctype: "text/html", status: http.StatusNotModified},
		{name: "partial", ctype: "text/html", status: http.StatusPartialContent, body: page},
		{name: "head", method: "HEAD", ctype: "text/html", body: page, vary: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serve(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				if tc.encoding != "" {
					w.Header().Set("Content-Encoding", tc.encoding)
				}
				if tc.status != 0 {
					w.WriteHeader(tc.status)
				}
				io.WriteString(w, tc.body)
			})
			method := cmpOr(tc.method, "GET")
			resp, body := get(t, method, url, map[string]string{"Accept-Encoding": "gzip"})
			compressed := resp.Header.Get("Content-Encoding") == "gzip"
			wantCompressed := strings.HasPrefix(tc.ctype, "text/") || strings.Contains(tc.ctype, "json") || strings.Contains(tc.ctype, "svg")
			wantCompressed = wantCompressed && tc.encoding == "" && tc.status == 0 && len(tc.body) >= MinSize && method == "GET"
			if compressed != wantCompressed {
				t.Fatalf("compressed %v, want %v: %v", compressed, wantCompressed, resp.Header)
			}
			if gotVary := resp.Header.Get("Vary") == "Accept-Encoding"; gotVary != (tc.vary || wantCompressed) {
				t.Errorf("Vary %q", resp.Header.Get("Vary"))
			}
			if !compressed && method == "GET" && tc.status != http.StatusNoContent && tc.status != http.StatusNotModified && string(body) != tc.body {
				t.Errorf("body changed: %d bytes, want %d", len(body), len(tc.body))
			}
			if compressed && gunzip(t, body) != tc.body {
				t.Error("gunzipped body differs")
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// An answer with no type set is sniffed before it is gzipped, as net/http
// would have sniffed it.
func TestUntypedAnswerSniffed(t *testing.T) {
	url := serve(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!DOCTYPE html>"+page)
	})
	resp, _ := get(t, "GET", url, map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("header %v", resp.Header)
	}
}

// The BREACH rule: a request with the session cookie is compressed only
// from our own pages (Sec-Fetch-Site same-origin) or typed in (none).
func TestCookieNeedsSameOrigin(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, page)
	}
	shop := serve(t, Options{Cookie: "session"}, h)
	anyCookie := serve(t, Options{}, h)
	for _, tc := range []struct {
		url, cookie, site string
		want              bool
	}{
		{shop, "", "", true},
		{shop, "", "cross-site", true},
		{shop, "lang=en", "cross-site", true},
		{shop, "lang=en", "", true},
		{shop, "session=s3cret", "same-origin", true},
		{shop, "lang=en; session=s3cret", "none", true},
		{shop, "session=s3cret", "cross-site", false},
		{shop, "session=s3cret", "same-site", false},
		{shop, "session=s3cret", "", false},
		{anyCookie, "", "cross-site", true},
		{anyCookie, "lang=en", "same-origin", true},
		{anyCookie, "lang=en", "cross-site", false},
		{anyCookie, "lang=en", "", false},
	} {
		hdr := map[string]string{"Accept-Encoding": "gzip", "Cookie": tc.cookie, "Sec-Fetch-Site": tc.site}
		resp, _ := get(t, "GET", tc.url, hdr)
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.want {
			t.Errorf("cookie %q, Sec-Fetch-Site %q (any cookie: %v): compressed %v, want %v", tc.cookie, tc.site, tc.url == anyCookie, got, tc.want)
		}
		if resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("cookie %q, Sec-Fetch-Site %q: Vary %q", tc.cookie, tc.site, resp.Header.Get("Vary"))
		}
	}
}

// Off keeps a page from being compressed, through the writers of other
// middleware that unwrap.
func TestOff(t *testing.T) {
	url := serve(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		Off(&wrapped{w})
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, page)
	})
	resp, body := get(t, "GET", url, map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "" || string(body) != page {
		t.Errorf("compressed after Off: %v", resp.Header)
	}
	if resp.Header.Get("Vary") != "" {
		t.Errorf("Vary %q on an answer never compressed", resp.Header.Get("Vary"))
	}
	Off(httptest.NewRecorder()) // not ours: nothing to do
}

type wrapped struct{ http.ResponseWriter }

func (w *wrapped) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// A handler that flushes gets its bytes to the client before it ends,
// gzipped; http.ResponseController reaches the writer.
func TestFlush(t *testing.T) {
	release := make(chan struct{})
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "first\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Error(err)
		}
		<-release
		io.WriteString(w, "second\n")
	}), Options{})
	// A writer further out that does not flush, only unwraps.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(&wrapped{w}, r) }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // before the server closes
	url := srv.URL
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	// A client that waits a while, not for ever, for what was flushed.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("flushed answer not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(zr).ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("before the end: %q %v", line, err)
	}
}

// The gzip writers are pooled: answers one after another each come out
// whole.
func TestManyAnswers(t *testing.T) {
	n := 0
	url := serve(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strings.Repeat(string(rune('a'+n%26)), MinSize+n))
	})
	for i := 1; i <= 20; i++ {
		resp, body := get(t, "GET", url, map[string]string{"Accept-Encoding": "gzip"})
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatal("not gzipped")
		}
		if got, want := gunzip(t, body), strings.Repeat(string(rune('a'+i%26)), MinSize+i); got != want {
			t.Fatalf("answer %d: %d bytes, want %d", i, len(got), len(want))
		}
	}
}

// A handler that writes nothing still gets net/http's empty 200, and one
// that only sets a status gets it.
func TestEmptyAnswers(t *testing.T) {
	url := serve(t, Options{}, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
	})
	resp, body := get(t, "GET", url, map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || len(body) != 0 {
		t.Errorf("%d %q", resp.StatusCode, body)
	}
	resp, _ = get(t, "GET", url+"/teapot", map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("%d", resp.StatusCode)
	}
}
