package sandbox

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// A form posted from the pages redirects back (POST, redirect, GET), and
// the page it lands on says how it went. That message never comes from
// the URL: anyone can write a URL, and these pages look like the bank's.
// The message is kept here, on the server, for a minute, under a random
// id the browser holds in a cookie of its own; the page shows it once, in
// the page's language.

const (
	flashCookie = "sandbox_flash"
	flashTTL    = time.Minute
	// flashMax bounds the messages kept: a script posting forms without
	// reading the pages cannot fill the memory.
	flashMax = 1000
)

// flash is one message waiting for the page a form redirects to.
type flash struct {
	err     bool
	text    func(catalog) string // the message in a language
	expires time.Time
}

type flashes struct {
	mu sync.Mutex
	m  map[string]flash
}

// put keeps f and returns its id.
func (fs *flashes) put(f flash, now time.Time) string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m == nil {
		fs.m = map[string]flash{}
	}
	for id, old := range fs.m {
		if now.After(old.expires) {
			delete(fs.m, id)
		}
	}
	for id := range fs.m {
		if len(fs.m) < flashMax {
			break
		}
		delete(fs.m, id)
	}
	f.expires = now.Add(flashTTL)
	id := randomHex(16)
	fs.m[id] = f
	return id
}

// take returns the message of id, once.
func (fs *flashes) take(id string, now time.Time) (flash, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.m[id]
	if !ok {
		return flash{}, false
	}
	delete(fs.m, id)
	return f, !now.After(f.expires)
}

// setFlash keeps a message for the next page this browser opens.
func (p *pages) setFlash(w http.ResponseWriter, f flash) {
	id := p.flashes.put(f, time.Now())
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: id, Path: "/_sandbox/", MaxAge: int(flashTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the message kept for this browser, if any, and
// forgets it.
func (p *pages) takeFlash(w http.ResponseWriter, r *http.Request) (flash, bool) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}, false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/_sandbox/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return p.flashes.take(c.Value, time.Now())
}

// said is a message of the catalogue: key with args.
func said(key string, args ...any) func(catalog) string {
	return func(c catalog) string { return c.translate(key, args...) }
}

// refusedSaying is the message of a refused action: the catalogue's words for
// its reason when there are some (prefix+reason), else the sandbox's own
// text of the error.
func refusedSaying(err error, prefix string) func(catalog) string {
	return func(c catalog) string {
		var e *Error
		if errors.As(err, &e) {
			if _, ok := c[prefix+e.Reason]; ok {
				if e.Reason == "invalid" {
					// What was wrong with the input, in the sandbox's
					// own (technical) words.
					return c.translate(prefix+e.Reason, e.Msg)
				}
				return c.translate(prefix + e.Reason)
			}
		}
		return err.Error()
	}
}
