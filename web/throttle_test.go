package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// withClock gives the web server the test's clock.
func withClock(c *testClock) rigOption {
	return func(_ *payment.Config, w *Config) { w.Now = c.Now }
}

// retryAfter reads a 429's Retry-After seconds.
func retryAfter(t *testing.T, h http.Header) time.Duration {
	t.Helper()
	s, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Fatalf("Retry-After %q", h.Get("Retry-After"))
	}
	return time.Duration(s) * time.Second
}

// minutesOf is how a page says a wait: whole minutes, rounded up.
func minutesOf(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }

func loginForm(email, pw string) url.Values {
	return url.Values{"email": {email}, "password": {pw}, "next": {"/orders"}}
}

// Someone guessing one customer's password is held after a few tries and
// told when to try again, in both languages; the customer's own browser,
// where they logged in before, still logs them in, and once the wait is
// over anyone may try again.
func TestLoginThrottleAccount(t *testing.T) {
	clock := newTestClock()
	r := newRig(t, withClock(clock), func(_ *payment.Config, c *Config) { c.ServeMetrics = true })
	const email, pw = "owner@example.com", "correct horse"
	owner := r.signup(email)
	owner.post("/logout", nil)
	if p := owner.post("/login", loginForm(email, pw)); p.Status != http.StatusSeeOther {
		t.Fatalf("owner's login: %d %s", p.Status, p.Body)
	}
	owner.post("/logout", nil)
	// Only failures count against an account: its owner may log in on
	// new browsers as often as they like.
	for i := range 2 * accountBurst {
		b := r.browser()
		if p := b.post("/login", loginForm(email, pw)); p.Status != http.StatusSeeOther {
			t.Fatalf("log-in %d on a new browser: %d", i, p.Status)
		}
	}

	attacker := r.browser()
	tried, held := 0, 0
	var last *page
	for i := range 60 {
		p := attacker.post("/login", loginForm(email, fmt.Sprintf("guess number %d", i)))
		switch p.Status {
		case http.StatusUnauthorized:
			tried++
		case http.StatusTooManyRequests:
			held++
			last = p
		default:
			t.Fatalf("guess %d: %d %s", i, p.Status, p.Body)
		}
	}
	if held == 0 {
		t.Fatalf("60 wrong passwords for one account were all tried")
	}
	if tried > 10 {
		t.Errorf("%d wrong passwords were tried before the account was held", tried)
	}
	wait := retryAfter(t, last.Header)
	if wait > 10*time.Minute {
		t.Errorf("Retry-After %s", wait)
	}
	mustContain(t, last.Body, "嘗試太多次", fmt.Sprintf("請 %d 分鐘後再試", minutesOf(wait)), `value="owner@example.com"`)
	mustNotContain(t, last.Body, "Email 或密碼不正確")
	attacker.header.Set("Accept-Language", "en")
	p := attacker.post("/login", loginForm(email, "one more guess"))
	if p.Status != http.StatusTooManyRequests {
		t.Fatalf("English guess: %d", p.Status)
	}
	mustContain(t, p.Body, "Too many attempts", fmt.Sprintf("try again in %d min", minutesOf(retryAfter(t, p.Header))))

	if m := r.browser().get("/metrics"); !strings.Contains(m.Body, fmt.Sprintf(`sinopay_auth_held_total{form="login",limit="account"} %d`, held+1)) {
		t.Errorf("metrics after %d held log-ins:\n%s", held+1, m.Body)
	}

	// Even the right password is held on a browser the account has not
	// logged in from...
	stranger := r.browser()
	if p := stranger.post("/login", loginForm(email, pw)); p.Status != http.StatusTooManyRequests {
		t.Errorf("right password on a new browser while held: %d", p.Status)
	}
	// ...but not on the owner's.
	if p := owner.post("/login", loginForm(email, pw)); p.Status != http.StatusSeeOther || p.Location != "/orders" {
		t.Fatalf("owner's browser while the account is held: %d %q %s", p.Status, p.Location, p.Body)
	}
	if p := owner.get("/orders"); p.Status != http.StatusOK {
		t.Errorf("owner's orders: %d", p.Status)
	}
	// A wrong password on the owner's browser is an ordinary mistake.
	owner.post("/logout", nil)
	if p := owner.post("/login", loginForm(email, "a typo")); p.Status != http.StatusUnauthorized {
		t.Errorf("owner's typo while held: %d", p.Status)
	}

	// Once the wait is over, the right password works anywhere.
	clock.Advance(retryAfter(t, p.Header))
	if p := stranger.post("/login", loginForm(email, pw)); p.Status != http.StatusSeeOther {
		t.Errorf("right password after the wait: %d %s", p.Status, p.Body)
	}
}

// post sends a form to the server as a client at addr (host:port).
func (r *rig) postFrom(addr, path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(http.MethodPost, r.srv.URL+path, strings.NewReader(form.Encode()))
	req.RemoteAddr = addr
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	r.web.Handler().ServeHTTP(w, req)
	return w
}

// One address trying many accounts is held too, and with it the
// addresses of its IPv6 /64; other addresses are not, and a customer's
// own browser there still logs in.
func TestLoginThrottleAddress(t *testing.T) {
	clock := newTestClock()
	r := newRig(t, withClock(clock))
	const email, pw = "regular@example.com", "correct horse"
	w := r.postFrom("198.51.100.7:5000", "/signup", loginForm(email, pw))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("signup: %d %s", w.Code, w.Body)
	}
	var device []*http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name != sessionCookie {
			device = append(device, c)
		}
	}

	for _, addrs := range [][2]string{
		{"203.0.113.9:1000", "203.0.113.9:2000"},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff::9]:2000"},
	} {
		tried := 0
		var last *httptest.ResponseRecorder
		for i := range 100 {
			w := r.postFrom(addrs[0], "/login", loginForm(fmt.Sprintf("nobody%d@example.com", i), pw))
			if w.Code == http.StatusTooManyRequests {
				last = w
				break
			}
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("%s, try %d: %d", addrs[0], i, w.Code)
			}
			tried++
		}
		if last == nil {
			t.Fatalf("%s tried 100 accounts unhindered", addrs[0])
		}
		if tried > 50 {
			t.Errorf("%s tried %d accounts before it was held", addrs[0], tried)
		}
		retryAfter(t, last.Result().Header)
		if w := r.postFrom(addrs[1], "/login", loginForm("someone@example.com", pw)); w.Code != http.StatusTooManyRequests {
			t.Errorf("%s, beside %s: %d", addrs[1], addrs[0], w.Code)
		}
		// The customer's own browser, behind the same address.
		if w := r.postFrom(addrs[0], "/login", loginForm(email, pw), device...); w.Code != http.StatusSeeOther {
			t.Errorf("known browser at %s: %d %s", addrs[0], w.Code, w.Body)
		}
	}
	if w := r.postFrom("192.0.2.1:3000", "/login", loginForm("nobody0@example.com", pw)); w.Code != http.StatusUnauthorized {
		t.Errorf("another address: %d", w.Code)
	}
	if w := r.postFrom("[2001:db8:1:3::1]:1000", "/login", loginForm("nobody0@example.com", pw)); w.Code != http.StatusUnauthorized {
		t.Errorf("another /64: %d", w.Code)
	}
}

// Sign-up says when an email is taken (the sign-up that succeeds for a
// new one would tell anyway), whatever the password; so it is held per
// address like log-in, and a list of emails cannot be checked fast.
func TestSignupThrottle(t *testing.T) {
	clock := newTestClock()
	r := newRig(t, withClock(clock))
	const addr = "203.0.113.50:4000"
	if w := r.postFrom(addr, "/signup", loginForm("taken@example.com", "correct horse")); w.Code != http.StatusSeeOther {
		t.Fatalf("signup: %d", w.Code)
	}
	right := r.postFrom(addr, "/signup", loginForm("taken@example.com", "correct horse"))
	wrong := r.postFrom(addr, "/signup", loginForm("taken@example.com", "another password"))
	if right.Code != http.StatusConflict || wrong.Code != http.StatusConflict || right.Body.String() != wrong.Body.String() {
		t.Errorf("a taken email's answer depends on the password: %d, %d", right.Code, wrong.Code)
	}
	mustContain(t, right.Body.String(), "這個 Email 已經註冊過了")

	var last *httptest.ResponseRecorder
	for i := range 100 {
		email := "taken@example.com"
		if i%2 == 1 {
			email = fmt.Sprintf("new%d@example.com", i)
		}
		w := r.postFrom(addr, "/signup", loginForm(email, "correct horse"))
		if w.Code == http.StatusTooManyRequests {
			last = w
			break
		}
		if w.Code != http.StatusConflict && w.Code != http.StatusSeeOther {
			t.Fatalf("signup %d: %d", i, w.Code)
		}
	}
	if last == nil {
		t.Fatal("100 sign-ups from one address went through")
	}
	wait := retryAfter(t, last.Result().Header)
	mustContain(t, last.Body.String(), "嘗試太多次", fmt.Sprintf("請 %d 分鐘後再試", minutesOf(wait)), `action="/signup"`)
	if strings.Contains(last.Header().Get("Set-Cookie"), sessionCookie+"=") {
		t.Error("a held sign-up started a session")
	}
	// Another address signs up as usual.
	if w := r.postFrom("192.0.2.80:1", "/signup", loginForm("fresh@example.com", "correct horse")); w.Code != http.StatusSeeOther {
		t.Errorf("another address: %d", w.Code)
	}
	clock.Advance(wait)
	if w := r.postFrom(addr, "/signup", loginForm("later@example.com", "correct horse")); w.Code != http.StatusSeeOther {
		t.Errorf("after the wait: %d", w.Code)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newLimiter(3, 10*time.Second, 8)
	for i := range 3 {
		if _, ok := l.take("a", now); !ok {
			t.Fatalf("take %d refused", i)
		}
	}
	wait, ok := l.take("a", now)
	if ok || wait != 10*time.Second {
		t.Fatalf("fourth take: %v %s", ok, wait)
	}
	if wait, ok := l.take("a", now.Add(4*time.Second)); ok || wait != 6*time.Second {
		t.Fatalf("4 s later: %v %s", ok, wait)
	}
	if _, ok := l.take("b", now); !ok {
		t.Fatal("another key was held")
	}
	l.give("a", now)
	if _, ok := l.take("a", now); !ok {
		t.Fatal("a token given back was not there")
	}
	if _, ok := l.take("a", now.Add(10*time.Second)); !ok {
		t.Fatal("no token after the interval")
	}
	// A key given back to a full bucket is forgotten.
	l.give("b", now)
	if l.size() != 1 {
		t.Errorf("%d keys, want 1", l.size())
	}

	// Full: buckets that have refilled go first...
	l = newLimiter(3, 10*time.Second, 8)
	for i := range 8 {
		l.take(fmt.Sprint("full", i), now)
	}
	if l.size() != 8 {
		t.Fatalf("%d keys, want 8", l.size())
	}
	later := now.Add(time.Hour)
	l.take("new", later)
	if l.size() != 1 {
		t.Errorf("after the sweep of refilled buckets: %d keys, want 1", l.size())
	}
	// ...then others, down to three quarters, never past maxKeys.
	for i := range 100 {
		for range 3 {
			l.take(fmt.Sprint("busy", i), later)
		}
		if l.size() > 8 {
			t.Fatalf("%d keys, more than 8", l.size())
		}
	}
}

func TestDeviceCookie(t *testing.T) {
	r := newRig(t)
	alice := &shop.Customer{ID: 7, PasswordHash: "$2a$10$alicealicealicealicealicealicealicealicealicealicealic"}
	bob := &shop.Customer{ID: 8, PasswordHash: "$2a$10$bobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobb"}
	remember := func(req *http.Request, c *shop.Customer) *http.Request {
		w := httptest.NewRecorder()
		r.web.rememberDevice(w, req, c)
		next := httptest.NewRequest(http.MethodPost, "/login", nil)
		for _, ck := range w.Result().Cookies() {
			if ck.Path != "/login" || !ck.HttpOnly || ck.MaxAge < 300*24*3600 {
				t.Errorf("device cookie %+v", ck)
			}
			next.AddCookie(ck)
		}
		return next
	}
	req := remember(httptest.NewRequest(http.MethodPost, "/login", nil), alice)
	if !knownDevice(req, alice) || knownDevice(req, bob) {
		t.Fatal("alice's browser is not hers alone")
	}
	req = remember(req, bob)
	if !knownDevice(req, alice) || !knownDevice(req, bob) {
		t.Fatal("one browser, two accounts")
	}
	// A new password forgets every browser.
	if knownDevice(req, &shop.Customer{ID: 7, PasswordHash: alice.PasswordHash + "x"}) {
		t.Error("known after a password change")
	}
	// A forged or altered entry is not known.
	own := remember(httptest.NewRequest(http.MethodPost, "/login", nil), alice)
	ck, _ := own.Cookie(deviceCookie)
	id, nonce, mac := func() (string, string, string) {
		p := strings.Split(ck.Value, ".")
		return p[0], p[1], p[2]
	}()
	flip := func(s string) string { return strings.Repeat("0", len(s)-1) + "1" }
	for _, c := range []struct {
		value string
		who   *shop.Customer
	}{
		{"8." + nonce + "." + mac, &shop.Customer{ID: 8, PasswordHash: alice.PasswordHash}},
		{id + "." + flip(nonce) + "." + mac, alice},
		{id + "." + nonce + "." + flip(mac), alice},
		{id + "." + nonce + "." + strings.ToUpper(mac), alice},
		{"", alice}, {id, alice}, {id + "..", alice}, {strings.Repeat("_", 1000), alice},
		{strings.Repeat(ck.Value+"_", 10), alice}, // longer than a cookie of maxDevices entries
	} {
		forged := httptest.NewRequest(http.MethodPost, "/login", nil)
		forged.AddCookie(&http.Cookie{Name: deviceCookie, Value: c.value})
		if knownDevice(forged, c.who) {
			t.Errorf("forged %q is known", c.value)
		}
	}
	// The cookie keeps the newest maxDevices accounts.
	for id := range int64(10) {
		req = remember(req, &shop.Customer{ID: 100 + id, PasswordHash: bob.PasswordHash})
	}
	if n := len(deviceEntries(req)); n != maxDevices {
		t.Errorf("%d entries", n)
	}
	if !knownDevice(req, &shop.Customer{ID: 109, PasswordHash: bob.PasswordHash}) || knownDevice(req, alice) {
		t.Error("the newest accounts are not the ones kept")
	}
}
