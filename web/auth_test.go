package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func sessionCookieOf(t *testing.T, p *page) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no session cookie set; headers %v", p.Header)
	return nil
}

func TestSignupLoginLogout(t *testing.T) {
	r := newRig(t)
	b := r.browser()

	// Sign-up logs in, with a cookie scripts cannot read and other sites'
	// posts do not carry.
	p := b.post("/signup", url.Values{"email": {" Kummy@Example.com "}, "password": {"dachshund"}, "next": {"/orders"}})
	if p.Status != http.StatusSeeOther || p.Location != "/orders" {
		t.Fatalf("signup: %d %q %s", p.Status, p.Location, p.Body)
	}
	c := sessionCookieOf(t, p)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || len(c.Value) != 64 || c.MaxAge != 30*24*3600 {
		t.Errorf("session cookie %+v", c)
	}
	first := c.Value
	p = b.get("/orders")
	if p.Status != http.StatusOK {
		t.Fatalf("orders after signup: %d", p.Status)
	}
	mustContain(t, p.Body, "kummy@example.com", `action="/logout"`, "還沒有訂單喔")

	// Log out: the session is gone on the server, not only in the browser.
	p = b.post("/logout", nil)
	if p.Status != http.StatusSeeOther || p.Location != "/" {
		t.Fatalf("logout: %d %q", p.Status, p.Location)
	}
	if c := sessionCookieOf(t, p); c.MaxAge >= 0 {
		t.Errorf("logout kept the cookie: %+v", c)
	}
	if _, err := r.db.SessionCustomer(context.Background(), first, r.web.now()); err == nil {
		t.Error("session still valid after logout")
	}
	p = b.get("/orders")
	if p.Status != http.StatusSeeOther || p.Location != "/login?next=%2Forders" {
		t.Fatalf("orders after logout: %d %q", p.Status, p.Location)
	}

	// A wrong password and an unknown email read the same.
	for _, form := range []url.Values{
		{"email": {"kummy@example.com"}, "password": {"wrong password"}},
		{"email": {"nobody@example.com"}, "password": {"dachshund"}},
	} {
		p = b.post("/login", form)
		if p.Status != http.StatusUnauthorized {
			t.Fatalf("bad login %v: %d", form["email"], p.Status)
		}
		mustContain(t, p.Body, "Email 或密碼不正確。")
	}

	// A session planted before login never becomes the logged-in one.
	u, _ := url.Parse(r.srv.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: first, Path: "/"}})
	p = b.post("/login", url.Values{"email": {"KUMMY@example.com"}, "password": {"dachshund"}, "next": {"/orders?page=1"}})
	if p.Status != http.StatusSeeOther || p.Location != "/orders?page=1" {
		t.Fatalf("login: %d %q %s", p.Status, p.Location, p.Body)
	}
	if c := sessionCookieOf(t, p); c.Value == first {
		t.Error("login kept the old session token")
	}
	if p = b.get("/orders"); p.Status != http.StatusOK {
		t.Fatalf("orders after login: %d", p.Status)
	}
}

func TestSignupRefusals(t *testing.T) {
	r := newRig(t)
	r.signup("taken@example.com")
	cases := []struct {
		email, pw string
		status    int
		msg       string
		field     string // the input the message is beside
	}{
		{"taken@example.com", "long enough", http.StatusConflict, "這個 Email 已經註冊過了", "email"},
		{"TAKEN@example.com", "long enough", http.StatusConflict, "這個 Email 已經註冊過了", "email"},
		{"new@example.com", "short", http.StatusBadRequest, "密碼太短了", "password"},
		{"new@example.com", strings.Repeat("x", 73), http.StatusBadRequest, "密碼太長了", "password"},
		{"not an email", "long enough", http.StatusBadRequest, "這個 Email 看起來怪怪的", "email"},
		{"Kummy <k@example.com>", "long enough", http.StatusBadRequest, "這個 Email 看起來怪怪的", "email"},
		// Bidirectional overrides and isolates make an address read
		// otherwise on screen; other control and format characters hide.
		{"kummy\u202e@example.com", "long enough", http.StatusBadRequest, "這個 Email 看起來怪怪的", "email"},
		{"\u2066kummy@example.com", "long enough", http.StatusBadRequest, "這個 Email 看起來怪怪的", "email"},
		{"kum\u200bmy@example.com", "long enough", http.StatusBadRequest, "這個 Email 看起來怪怪的", "email"},
		{"kummy@exam\u00adple.com", "long enough", http.StatusBadRequest, "這個 Email 看起來怪怪的", "email"},
		{"kummy\x7f@example.com", "long enough", http.StatusBadRequest, "這個 Email 看起來怪怪的", "email"},
	}
	for _, c := range cases {
		p := r.browser().post("/signup", url.Values{"email": {c.email}, "password": {c.pw}})
		if p.Status != c.status {
			t.Errorf("%q/%q: status %d, want %d", c.email, c.pw, p.Status, c.status)
		}
		mustContain(t, p.Body, `id="`+c.field+`-error">`+c.msg)
		mustContain(t, p.Body, `aria-describedby="`)
		if strings.Contains(p.Body, "alert-danger") {
			t.Errorf("%q/%q: the message is above the form, not beside %s", c.email, c.pw, c.field)
		}
		if strings.Contains(p.Header.Get("Set-Cookie"), sessionCookie+"=") {
			t.Errorf("%q: a refused sign-up started a session", c.email)
		}
	}
}

func TestLoginRequired(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for path, next := range map[string]string{
		"/checkout?q_1=2":   "/checkout?q_1=2",
		"/orders":           "/orders",
		"/orders/K1":        "/orders/K1",
		"/orders/K1/result": "/orders/K1/result",
	} {
		p := b.get(path)
		if p.Status != http.StatusSeeOther || p.Location != "/login?next="+url.QueryEscape(next) {
			t.Errorf("%s: %d %q", path, p.Status, p.Location)
		}
	}
	p := b.post("/checkout", url.Values{"key": {strings.Repeat("a", 32)}})
	if p.Status != http.StatusSeeOther || p.Location != "/login?next=%2F" {
		t.Errorf("POST /checkout: %d %q", p.Status, p.Location)
	}
	// The login page carries next on to its form.
	p = b.get("/login?next=%2Fcheckout%3Fq_1%3D2")
	mustContain(t, p.Body, `name="next" value="/checkout?q_1=2"`)
}

// Log-in refuses the emails sign-up refuses, with the same words, before
// any password is checked.
func TestLoginBadEmail(t *testing.T) {
	r := newRig(t)
	r.signup("kummy@example.com")
	for _, email := range []string{"kummy\u202e@example.com", "kummy@example.com\u2069", "\u200ekummy@example.com", "kummy\x01@example.com"} {
		p := r.browser().post("/login", url.Values{"email": {email}, "password": {"correct horse"}})
		if p.Status != http.StatusBadRequest {
			t.Errorf("%q: %d", email, p.Status)
		}
		mustContain(t, p.Body, `id="email-error">這個 Email 看起來怪怪的`)
	}
	// A wrong password is said above the form, beside neither field: it
	// must not tell which of the two was wrong.
	p := r.browser().post("/login", url.Values{"email": {"kummy@example.com"}, "password": {"not the password"}})
	if p.Status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", p.Status)
	}
	mustContain(t, p.Body, `<div class="alert alert-danger" role="alert">Email 或密碼不正確。</div>`)
	if strings.Contains(p.Body, "is-invalid") {
		t.Error("a wrong password marks a field")
	}
}

// Behind HTTPS the cookies are sent only over HTTPS.
func TestSecureCookies(t *testing.T) {
	r := newRig(t)
	s, err := New(Config{DB: r.db, Pay: r.pay, Jobs: r.pay.Queue(), Recon: r.recon, BaseURL: "https://shop.example/"})
	if err != nil {
		t.Fatal(err)
	}
	s.passwords = r.web.passwords
	form := url.Values{"email": {"tls@example.com"}, "password": {"correct horse"}}.Encode()
	for _, c := range []struct {
		req     *http.Request
		cookies int // session and device (and the welcome after a sign-up), or lang
	}{
		{httptest.NewRequest(http.MethodPost, "https://shop.example/signup", strings.NewReader(form)), 3},
		{httptest.NewRequest(http.MethodPost, "https://shop.example/login", strings.NewReader(form)), 2},
		{httptest.NewRequest(http.MethodGet, "https://shop.example/lang/en", nil), 1},
	} {
		c.req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, c.req)
		cookies := w.Result().Cookies()
		if w.Code != http.StatusSeeOther || len(cookies) != c.cookies {
			t.Errorf("%s: %d %+v", c.req.URL.Path, w.Code, cookies)
		}
		for _, ck := range cookies {
			if !ck.Secure || !ck.HttpOnly {
				t.Errorf("%s: cookie %+v", c.req.URL.Path, ck)
			}
		}
	}
	if _, err := New(Config{DB: r.db, Pay: r.pay, Jobs: r.pay.Queue(), Recon: r.recon, BaseURL: "shop.example"}); err == nil {
		t.Error("a BaseURL without a scheme was accepted")
	}
}
