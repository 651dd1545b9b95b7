package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// A form posted from another site's page is refused; the bank's two
// callbacks, which come from the bank's server and pages, are not.
func TestCrossOriginProtection(t *testing.T) {
	r := newRig(t)
	b := r.signup("csrf@example.com")
	form := b.checkoutForm(map[string]int{"bone-matcha": 1})
	form.Set("pay_type", "C")

	evil := r.browser()
	evil.client.Jar = b.client.Jar // the victim's cookies, as a browser would send them
	evil.header.Set("Origin", "https://evil.example")
	evil.header.Set("Sec-Fetch-Site", "cross-site")
	for path, f := range map[string]url.Values{
		"/checkout": form,
		"/logout":   nil,
		"/login":    {"email": {"csrf@example.com"}, "password": {"correct horse"}},
		"/signup":   {"email": {"x@example.com"}, "password": {"correct horse"}},
	} {
		p := evil.post(path, f)
		if p.Status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d", path, p.Status)
		}
		mustContain(t, p.Body, "這個請求不是從本店的網頁送出的")
	}
	if p := b.get("/orders"); strings.Contains(p.Body, "/orders/K") {
		t.Error("a cross-site post made an order")
	}

	// Same-origin posts from our own pages pass.
	b.header.Set("Origin", r.srv.URL)
	b.header.Set("Sec-Fetch-Site", "same-origin")
	if p := b.post("/checkout", form); p.Status != http.StatusSeeOther {
		t.Errorf("same-origin checkout: %d", p.Status)
	}

	// The notification is not refused as cross-origin; its body decides.
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/funbiz/notify",
		strings.NewReader(`{"ShopNo":"NA0249_001","PayToken":"`+strings.Repeat("f", 64)+`"}`))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", r.bank.ServerURL)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("cross-site notify: %d", resp.StatusCode)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/orders":                   "/orders",
		"/orders?page=2":            "/orders?page=2",
		"/checkout?q_1=2&q_3=1":     "/checkout?q_1=2&q_3=1",
		"/":                         "/",
		"":                          "/",
		"//evil.example":            "/",
		"//evil.example/orders":     "/",
		`/\evil.example`:            "/",
		"/\t/evil.example":          "/",
		"/\n/evil.example":          "/",
		"https://evil.example":      "/",
		"http:/evil.example":        "/",
		"javascript:alert(1)":       "/",
		"evil.example":              "/",
		"orders":                    "/",
		"\\\\evil.example":          "/",
		" /orders":                  "/",
		"/%2F%2Fevil.example":       "/%2F%2Fevil.example", // a path on this site, harmless
		"///evil.example":           "/",
		"/orders#x":                 "/orders#x",
		"/\u3000/evil.example":      "/%E3%80%80/evil.example", // the same path, as a browser sends it
		"/./%5Cevil.example":        "/%5Cevil.example",        // escaped: a path on this site
		"/./\\evil.example":         "/",
		"/x/..\\\\evil.example":     "/",
		"/.\\\\evil.example":        "/",
		"/./evil.example":           "/evil.example",
		"/a/b/../../orders?x=1":     "/orders?x=1",
		"/a/./../..//evil.example":  "/evil.example",
		"/orders/":                  "/orders/",
		"/lang/en?next=//evil.test": "/lang/en?next=//evil.test",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// next and the language switch never send a browser to another site.
func TestNoOpenRedirect(t *testing.T) {
	r := newRig(t)
	r.signup("redirect@example.com")
	payloads := []string{
		"//evil.example", "https://evil.example/", `/\evil.example`, "/\t/evil.example",
		"javascript:alert(1)", "evil.example", "///evil.example", `\\evil.example`,
		`/./\evil.example`, `/x/..\\evil.example`, `/.\\evil.example`, "/./\t/evil.example",
	}
	// As an attacker writes them in a link, escapes and all.
	for _, raw := range []string{"/./%5Cevil.example", "/x/..%5C%5Cevil.example", "/.%5C%5Cevil.example", "/%2F%2Fevil.example", "/.//evil.example", "/x/../%2Fevil.example"} {
		p := r.browser().get("/lang/en?next=" + raw)
		if p.Status != http.StatusSeeOther || !staysOnShop(p.Location) {
			t.Errorf("lang next=%s: %d %q leaves the shop", raw, p.Status, p.Location)
		}
	}
	for i, next := range payloads {
		b := r.browser()
		p := b.get("/lang/en?next=" + url.QueryEscape(next))
		if p.Status != http.StatusSeeOther || p.Location != "/" {
			t.Errorf("lang next=%q: %d %q", next, p.Status, p.Location)
		}
		p = b.post("/login", url.Values{"email": {"redirect@example.com"}, "password": {"correct horse"}, "next": {next}})
		if p.Status != http.StatusSeeOther || p.Location != "/" {
			t.Errorf("login next=%q: %d %q", next, p.Status, p.Location)
		}
		p = b.post("/signup", url.Values{"email": {fmt.Sprintf("r%d@example.com", i)}, "password": {"correct horse"}, "next": {next}})
		if p.Status != http.StatusSeeOther || p.Location != "/" {
			t.Errorf("signup next=%q: %d %q", next, p.Status, p.Location)
		}
		p = b.get("/login?next=" + url.QueryEscape(next))
		mustContain(t, p.Body, `name="next" value="/"`)
	}
	if p := r.browser().get("/lang/xx?next=/orders"); p.Status != http.StatusNotFound {
		t.Errorf("unknown language: %d", p.Status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for _, path := range []string{"/", "/login", "/nowhere", "/static/cart.js", "/healthz"} {
		p := b.get(path)
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		} {
			if got := p.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q", path, k, got)
			}
		}
		csp := p.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	if p := b.get("/nowhere"); p.Status != http.StatusNotFound {
		t.Errorf("unknown path: %d", p.Status)
	}
}

func TestStaticFiles(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for name, ctype := range map[string]string{
		"bootstrap.min.css":       "text/css",
		"bootstrap.bundle.min.js": "javascript",
		"cart.js":                 "javascript",
	} {
		p := b.get(staticURL(name))
		if p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %q", name, p.Status, p.Header.Get("Content-Type"))
		}
		if cc := p.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
	}
	for _, path := range []string{"/static/", "/static/nope.js"} {
		p := b.get(path)
		if p.Status != http.StatusNotFound || strings.Contains(p.Header.Get("Cache-Control"), "max-age") {
			t.Errorf("%s: %d %q", path, p.Status, p.Header.Get("Cache-Control"))
		}
	}
}

func TestHealthz(t *testing.T) {
	r := newRig(t)
	p := r.browser().get("/healthz")
	if p.Status != http.StatusOK || p.Body != "ok" {
		t.Fatalf("healthz: %d %q", p.Status, p.Body)
	}
}

// Forms are read up to 64 KiB.
func TestFormBodyLimit(t *testing.T) {
	r := newRig(t)
	p := r.browser().post("/login", url.Values{"email": {"a@example.com"}, "password": {strings.Repeat("x", 70<<10)}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("oversized form: %d", p.Status)
	}
	mustContain(t, p.Body, "表單內容太大了")
}

// The log has one line per request with the route pattern, and never a
// password or a session token.
func TestRequestLog(t *testing.T) {
	r := newRig(t)
	b := r.signup("log@example.com")
	b.get("/orders/K123")
	logs := r.logs.String()
	mustContain(t, logs, `"route":"POST /signup"`, `"status":303`, `"route":"GET /orders/{no}"`, `"status":404`, `"duration"`)
	mustNotContain(t, logs, "correct horse", "K123", "log@example.com")
	u, _ := url.Parse(r.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if strings.Contains(logs, c.Value) {
			t.Errorf("cookie %s in the log", c.Name)
		}
	}
}

// shopURL is where the oracle below resolves redirects from.
var shopURL = &url.URL{Scheme: "https", Host: "shop.example", Path: "/lang/en"}

// staysOnShop resolves a Location as a browser would, backslashes read as
// slashes and tabs and newlines dropped, and reports whether it keeps the
// shop's host.
func staysOnShop(loc string) bool {
	loc = strings.NewReplacer("\\", "/", "\t", "", "\n", "", "\r", "").Replace(loc)
	u, err := url.Parse(loc)
	if err != nil {
		return false
	}
	res := shopURL.ResolveReference(u)
	return res.Host == shopURL.Host && res.Scheme == shopURL.Scheme
}

// Whatever next a request carries, the language switch's redirect stays
// on the shop once a browser has normalised it.
func FuzzLangSwitchNext(f *testing.F) {
	for _, seed := range []string{"/", "/orders?page=2", "//evil.example", `/./\evil.example`, "/x/..%5C%5Chost",
		"/.%5C%5Chost", "/\t/evil", "https://evil.example", "/a/../../b", "/%2F%2Fevil", "/?next=//x", "/#//evil"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		req := httptest.NewRequest(http.MethodGet, "https://shop.example/lang/en", nil)
		q := url.Values{"next": {next}}
		req.URL.RawQuery = q.Encode()
		w := httptest.NewRecorder()
		langSwitch := (&Server{secure: true}).langSwitch
		req.SetPathValue("code", "en")
		langSwitch(w, req)
		loc := w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || !staysOnShop(loc) {
			t.Fatalf("next %q: %d Location %q leaves the shop", next, w.Code, loc)
		}
		// What localPath returns is already in its final form.
		if got := localPath(next); localPath(got) != got {
			t.Fatalf("next %q: localPath %q is not a fixed point (%q)", next, got, localPath(got))
		}
	})
}

// Behind HTTPS every answer tells the browser to come back only over
// HTTPS; over plain HTTP no answer says so, as browsers ignore it there
// and a shop on http would otherwise lock itself out of a domain.
func TestStrictTransportSecurity(t *testing.T) {
	r := newRig(t)
	s, err := New(Config{DB: r.db, Pay: r.pay, Jobs: r.pay.Queue(), Recon: r.recon, BaseURL: "https://shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	s.passwords = r.web.passwords
	const want = "max-age=31536000; includeSubDomains"
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "https://shop.example/", nil),
		httptest.NewRequest(http.MethodGet, "https://shop.example/no-such-page", nil),
		httptest.NewRequest(http.MethodGet, "https://shop.example/healthz", nil),
		httptest.NewRequest(http.MethodGet, "https://shop.example/static/favicon.svg", nil),
		httptest.NewRequest(http.MethodPost, "https://shop.example/login", strings.NewReader("email=x%40example.com&password=wrong+password")),
		httptest.NewRequest(http.MethodPost, "https://shop.example/funbiz/notify", strings.NewReader("{}")),
	} {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if got := w.Header().Get("Strict-Transport-Security"); got != want {
			t.Errorf("%s %s (%d): Strict-Transport-Security %q", req.Method, req.URL.Path, w.Code, got)
		}
	}
	for _, path := range []string{"/", "/login", "/no-such-page"} {
		if p := r.browser().get(path); p.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("over http, %s has Strict-Transport-Security %q", path, p.Header.Get("Strict-Transport-Security"))
		}
	}
}

// A notification that names a member twice, in any case, is refused and
// recorded nowhere: the bank's .NET would read one value and we another.
func TestNotifyDuplicateMembers(t *testing.T) {
	r := newRig(t)
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	for _, body := range []string{
		`{"ShopNo":"NA0249_001","PayToken":"` + a + `","PayToken":"` + b + `"}`,
		`{"ShopNo":"NA0249_001","PayToken":"` + a + `","paytoken":"` + b + `"}`,
		`{"ShopNo":"NA0249_001","SHOPNO":"NA0249_001","PayToken":"` + a + `"}`,
		`{"ShopNo":"NA0249_001","PayToken":"` + a + `","Extra":{"x":1,"X":2}}`,
	} {
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/funbiz/notify", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "twice") {
			t.Errorf("%s: %d %s", body, resp.StatusCode, msg)
		}
	}
	var n int
	if err := r.db.SQL.QueryRow(`SELECT COUNT(*) FROM pay_tokens`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d PayTokens recorded (%v)", n, err)
	}
}
