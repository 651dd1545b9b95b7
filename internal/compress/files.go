package compress

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Files serves a tree of files (embedded at build time) under versioned
// URLs: URL gives /prefix/name?v=<hash of the content>, so a page links
// to exactly the build it was rendered with and the file can be cached
// for a year, immutable; a new build is a new URL, reaching every browser
// at once. The same name without the current version is still served, but
// browsers must check it again each time (no-cache), so a stale URL never
// pins old bytes for a year.
//
// Each text file is gzipped once, at BestCompression, the first time a
// client that accepts gzip asks for it; those bytes are sent as they are,
// with their own ETag and Content-Length. A Range request gets the plain
// bytes, by http.ServeContent. Handler serves them.
//
// Files is safe for concurrent use.
type Files struct {
	prefix string
	files  map[string]*file
}

type file struct {
	raw     []byte
	ctype   string
	version string // hex of the content's hash
	query   string // "v=" + version
	etag    string // of the plain bytes; the gzipped ones add -gz

	once sync.Once
	gz   []byte // nil: not text, too small, or no smaller gzipped
}

// yearLong is the Cache-Control of a file under its current URL.
const yearLong = "public, max-age=31536000, immutable"

// NewFiles reads every file of fsys, to be served under prefix (which
// starts and ends with a slash, as "/static/"). It fails when fsys cannot
// be read.
func NewFiles(fsys fs.FS, prefix string) (*Files, error) {
	f := &Files{prefix: prefix, files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v := hex.EncodeToString(sum[:6])
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		f.files[name] = &file{raw: b, ctype: ct, version: v, query: "v=" + v, etag: `"` + v + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// URL is the versioned URL of the file name. It fails for a name that is
// not a file: a template that calls it for a typo fails to render.
func (f *Files) URL(name string) (string, error) {
	fl, ok := f.files[name]
	if !ok {
		return "", &fs.PathError{Op: "static URL", Path: name, Err: fs.ErrNotExist}
	}
	return f.prefix + name + "?" + fl.query, nil
}

// Names lists the files.
func (f *Files) Names() []string {
	names := make([]string, 0, len(f.files))
	for n := range f.files {
		names = append(names, n)
	}
	return names
}

// Handler serves GET and HEAD of the files under the prefix. A name that
// is not a file is answered by notFound (nil is http.NotFound), with no
// cache header.
func (f *Files) Handler(notFound http.Handler) http.Handler {
	if notFound == nil {
		notFound = http.HandlerFunc(http.NotFound)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fl, ok := f.files[strings.TrimPrefix(r.URL.Path, f.prefix)]
		if !ok || !strings.HasPrefix(r.URL.Path, f.prefix) {
			notFound.ServeHTTP(w, r)
			return
		}
		fl.serve(w, r)
	})
}

func (fl *file) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", fl.ctype)
	if r.URL.RawQuery == fl.query {
		h.Set("Cache-Control", yearLong)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	// The choice is made here: the middleware leaves the answer alone.
	Off(w)
	gz := fl.gzipped()
	if gz == nil {
		h.Set("Etag", fl.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(fl.raw))
		return
	}
	h.Add("Vary", "Accept-Encoding")
	if r.Method == http.MethodHead || !acceptsGzip(r.Header) || r.Header.Get("Range") != "" {
		h.Set("Etag", fl.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(fl.raw))
		return
	}
	etag := fl.etag[:len(fl.etag)-1] + `-gz"`
	h.Set("Etag", etag)
	if inm := r.Header.Get("If-None-Match"); inm == "*" || strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(len(gz)))
	w.Write(gz)
}

// gzipped is the file gzipped, made on first use; nil when that is not
// worth it.
func (fl *file) gzipped() []byte {
	fl.once.Do(func() {
		if len(fl.raw) < MinSize || !compressible(fl.ctype) {
			return
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // the level is valid
		zw.Write(fl.raw)
		zw.Close()
		if b.Len() < len(fl.raw) {
			fl.gz = b.Bytes()
		}
	})
	return fl.gz
}
