// Package compress gzips the text a web server answers, where that is
// safe, and serves embedded static files gzipped once, ahead of time.
//
// Handler wraps a whole server. An answer is gzipped when all of these
// hold:
//
//   - the request accepts gzip (Accept-Encoding, q-values read: gzip;q=0
//     is a no), and is not a HEAD;
//   - the answer is text: HTML, CSS, JavaScript, plain text, CSV, JSON
//     (problem+json too), SVG or XML;
//   - its status has a body that may be encoded (not 1xx, 204, 206, 304);
//   - the handler set no Content-Encoding of its own and did not call Off;
//   - it is at least MinSize bytes: smaller answers gain less than the
//     gzip header and the CPU cost;
//   - the BREACH rule below lets it.
//
// Every answer that could be gzipped carries Vary: Accept-Encoding, so a
// cache never hands a gzipped copy to a client that cannot read it.
//
// # BREACH
//
// An attacker who can make a victim's browser send requests, and can put
// text of his own into the answers (a query string echoed into a form,
// say), learns a secret on the same page byte by byte from the size of the
// compressed answers: a guess that matches the secret compresses better.
// Compression is therefore refused where such a request could carry the
// victim's credentials:
//
//   - a request that carries the session cookie (Options.Cookie; every
//     cookie when that is "") is compressed only when its Sec-Fetch-Site
//     is same-origin or none, that is when the browser says it was not
//     made by another site's page. A browser that sends a cookie without
//     Sec-Fetch-Site gets no compression;
//   - a request without that cookie is compressed: it carries nothing an
//     attacker could not fetch himself (API calls carry their key in
//     Authorization, which no other site's page can add);
//   - a page that shows a secret calls Off before it writes, and is never
//     compressed, whatever the request says.
//
// Static files (Files) hold no secret and are always served gzipped to
// clients that accept it.
package compress

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
)

// MinSize is the size below which an answer is sent as it is.
const MinSize = 1024

// level is the gzip level of dynamic answers: BestSpeed, by measure
// (BenchmarkLevel, an 11 KiB page, an idle two-core machine): 50 µs a
// page against 83 µs at the default level, for an answer 9% bigger
// (3.8 KB against 3.5 KB, both a third of the page), and a pooled writer
// resets in 0.1 µs against 12 µs. Pages are made per request, so CPU
// counts more than the last few hundred bytes. HuffmanOnly saves another
// 14 µs but sends twice the bytes. Static files, compressed once, use
// BestCompression.
const level = gzip.BestSpeed

// Options are Handler's settings.
type Options struct {
	// Cookie is the name of the cookie that proves who the visitor is
	// (the session cookie). A request that carries it is compressed only
	// when Sec-Fetch-Site is same-origin or none. "" means any cookie.
	Cookie string
}

// Handler returns next, gzipping its text answers as the package
// documentation says. The handler is safe for concurrent use; the
// ResponseWriter it hands to next supports http.Flusher and Unwrap (for
// http.ResponseController).
func Handler(next http.Handler, opts Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &writer{ResponseWriter: w, gzip: r.Method != http.MethodHead && acceptsGzip(r.Header) && opts.allows(r)}
		next.ServeHTTP(cw, r)
		// Not deferred: after a panic the answer is abandoned, and its
		// gzip writer with it.
		cw.finish()
	})
}

// allows applies the BREACH rule to r.
func (o Options) allows(r *http.Request) bool {
	if len(r.Header["Cookie"]) == 0 {
		return true
	}
	if o.Cookie != "" {
		if _, err := r.Cookie(o.Cookie); err != nil {
			return true
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	}
	return false
}

// Off keeps the answer w is writing from being compressed, whatever the
// request asked. A page that shows a secret calls it before it writes
// anything; called later, once compression has begun, it changes nothing.
// Off is a no-op when w does not come from Handler.
func Off(w http.ResponseWriter) {
	for {
		switch v := w.(type) {
		case *writer:
			v.off = true
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return
		}
	}
}

var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, level) // the level is valid
	return zw
}}

// writer holds back the first MinSize bytes of an answer, to learn its
// type and size, then sends it gzipped or as it is.
type writer struct {
	http.ResponseWriter
	gzip bool // the request may get a gzipped answer

	off     bool // Off was called
	status  int  // 0 until WriteHeader
	decided bool // the header went out; zw says how the body goes
	zw      *gzip.Writer
	buf     []byte
}

func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *writer) WriteHeader(code int) {
	if w.status != 0 {
		return // superfluous, as net/http would have it
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // informational: more headers follow
		return
	}
	w.status = code
	if !bodyMayBeEncoded(code) || w.Header().Get("Content-Encoding") != "" {
		w.decide(false, nil)
	}
}

func (w *writer) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.decided {
		if len(w.buf)+len(p) < MinSize {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.decide(true, p)
	}
	if w.zw != nil {
		return w.zw.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// WriteString is Write: without it, the embedded ResponseWriter's would
// let io.WriteString go around the compression.
func (w *writer) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// Flush sends what is written so far. An answer not decided yet is
// compressed if everything but its size allows: a handler that flushes
// is streaming, and its answer will grow.
func (w *writer) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.decided {
		w.decide(true, nil)
	}
	if w.zw != nil {
		w.zw.Flush()
	}
	// Through the writers of middleware further out that only unwrap.
	http.NewResponseController(w.ResponseWriter).Flush()
}

// decide sets the header for a gzipped answer when big (the body is
// long enough) and the rest allows, writes the header and what was held
// back; next is what is about to be written.
func (w *writer) decide(big bool, next []byte) {
	w.decided = true
	h := w.Header()
	ct, typed := h["Content-Type"]
	if !typed && len(w.buf)+len(next) > 0 {
		// net/http would sniff the bytes we pass; once gzipped they would
		// sniff as a gzip file.
		sniff := w.buf
		if len(sniff) < 512 {
			sniff = append(sniff[:len(sniff):len(sniff)], next[:min(len(next), 512)]...)
		}
		ct = []string{http.DetectContentType(sniff)}
		h["Content-Type"] = ct
	}
	if !w.off && bodyMayBeEncoded(w.status) && len(ct) > 0 && compressible(ct[0]) && h.Get("Content-Encoding") == "" {
		if !hasToken(h.Values("Vary"), "Accept-Encoding") {
			h.Add("Vary", "Accept-Encoding")
		}
		if w.gzip && big {
			h.Set("Content-Encoding", "gzip")
			h.Del("Content-Length")
			h.Del("Accept-Ranges")
			if et := h.Get("Etag"); strings.HasPrefix(et, `"`) {
				// The gzipped bytes are not the ones the tag names.
				h.Set("Etag", "W/"+et)
			}
			w.zw = gzipPool.Get().(*gzip.Writer)
			w.zw.Reset(w.ResponseWriter)
		}
	}
	w.ResponseWriter.WriteHeader(w.status)
	if len(w.buf) > 0 {
		if w.zw != nil {
			w.zw.Write(w.buf)
		} else {
			w.ResponseWriter.Write(w.buf)
		}
		w.buf = nil
	}
}

// finish sends what is still held back and ends the gzip stream.
func (w *writer) finish() {
	if !w.decided {
		if w.status == 0 {
			return // nothing written: net/http sends its empty 200
		}
		w.decide(false, nil)
	}
	if w.zw != nil {
		w.zw.Close()
		w.zw.Reset(io.Discard) // let go of the connection
		gzipPool.Put(w.zw)
		w.zw = nil
	}
}

// bodyMayBeEncoded says whether an answer of status code may be gzipped:
// not one without a body, and not part of a file (its range is of the
// bytes as they are).
func bodyMayBeEncoded(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusPartialContent && code != http.StatusNotModified
}

// compressible says whether a Content-Type is text worth compressing.
func compressible(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	switch ct {
	case "text/html", "text/css", "text/plain", "text/csv", "text/javascript",
		"application/javascript", "application/json", "application/problem+json",
		"image/svg+xml", "application/xml", "text/xml":
		return true
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip (or x-gzip) with a q-value
// above 0, or else * above 0. A q-value that does not parse is taken as
// a no.
func acceptsGzip(h http.Header) bool {
	star := false
	for _, v := range h.Values("Accept-Encoding") {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.TrimSpace(coding)
			switch {
			case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
				return qAbove0(params)
			case coding == "*":
				star = qAbove0(params)
			}
		}
	}
	return star
}

// qAbove0 says whether the parameters of an Accept-Encoding item give it
// a weight above 0 (no q is 1).
func qAbove0(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		// A qvalue is 0 or 1 with at most three decimals (RFC 9110
		// 12.4.2): it is above 0 when it is "1…", or "0." with a digit
		// other than 0.
		value = strings.TrimSpace(value)
		if value == "" || len(value) > 5 {
			return false
		}
		switch value[0] {
		case '1':
			return strings.Trim(value[1:], ".0") == ""
		case '0':
			rest := value[1:]
			if rest == "" {
				return false
			}
			if rest[0] != '.' {
				return false
			}
			nonzero := false
			for _, c := range rest[1:] {
				if c < '0' || c > '9' {
					return false
				}
				if c != '0' {
					nonzero = true
				}
			}
			return nonzero
		}
		return false
	}
	return true
}

// hasToken says whether a comma-separated header lists token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if t = strings.TrimSpace(t); strings.EqualFold(t, token) || t == "*" {
				return true
			}
		}
	}
	return false
}
