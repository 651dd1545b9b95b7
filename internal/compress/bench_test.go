package compress

import (
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"testing"
)

// discard is a ResponseWriter that keeps nothing, so a benchmark measures
// the middleware, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkHandler is the cost of a 10 KiB page (the sandbox's dashboard,
// testdata/page.html) written at once, as the pages render: with no
// middleware, through it to a client that does not ask for gzip, and to
// one that does.
func BenchmarkHandler(b *testing.B) {
	body, err := os.ReadFile("testdata/page.html")
	if err != nil {
		b.Fatal(err)
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
		ae   string
	}{
		{"bare", page, "gzip"},
		{"identity", Handler(page, Options{Cookie: "session"}), "identity"},
		{"gzip", Handler(page, Options{Cookie: "session"}), "gzip, deflate, br, zstd"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", bc.ae)
			r.Header.Set("Cookie", "session=0123456789abcdef; lang=en")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(&discard{h: http.Header{}}, r)
			}
		})
	}
}

// BenchmarkLevel compares gzip levels on the same page, with a writer
// reused as the pool reuses it; the output size is reported as
// bytes/page.
func BenchmarkLevel(b *testing.B) {
	body, err := os.ReadFile("testdata/page.html")
	if err != nil {
		b.Fatal(err)
	}
	for _, lv := range []struct {
		name  string
		level int
	}{{"HuffmanOnly", gzip.HuffmanOnly}, {"BestSpeed", gzip.BestSpeed}, {"Default", gzip.DefaultCompression}, {"BestCompression", gzip.BestCompression}} {
		b.Run(lv.name, func(b *testing.B) {
			zw, _ := gzip.NewWriterLevel(io.Discard, lv.level)
			var n countWriter
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				n = 0
				zw.Reset(&n)
				zw.Write(body)
				zw.Close()
			}
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
