package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
)

// The attacks share one shop: each subtest is a different attacker.
func TestAttacks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sqlite", nil)
	t.Run("token swap", func(t *testing.T) { tokenSwap(t, w) })
	t.Run("cross-site forms", func(t *testing.T) { crossSiteForms(t, w) })
	t.Run("customers apart", func(t *testing.T) { customersApart(t, w) })
	t.Run("open redirects", func(t *testing.T) { openRedirects(t, w) })
	t.Run("oversized bodies", func(t *testing.T) { oversized(t, w) })
	w.converge(10 * time.Second)
}

// Slow clients wait out the shop's timeouts, so they have a shop of their
// own and run alongside the other attacks.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	slowClients(t, newWorld(t, "sqlite", nil))
}

// The PayToken of a cheap order, paid, posted back (as a return and as a
// notification) by the buyer of an expensive order: the bank says which
// order the token is for, so only the cheap one is paid, once.
func tokenSwap(t *testing.T, w *world) {
	ctx := context.Background()
	cs := w.newCustomers("swap", 2)
	honest, attacker := cs[0], cs[1]
	cheap, err := honest.Checkout(ctx, w.shop.URL, "q_1=1", "C") // NT$750
	mustT(t, err)
	dear, err := attacker.Checkout(ctx, w.shop.URL, "q_2=3", "C")
	mustT(t, err)
	tok, err := w.pay(ctx, cheap)
	mustT(t, err)

	// The attacker's browser posts the token back, with its own cookies
	// and the expensive order named in every field it can think of.
	form := url.Values{"ShopNo": {demoShopNo}, "PayToken": {tok}, "OrderNo": {dear}, "Amount": {"750"}}
	resp, _, err := attacker.PostForm(ctx, w.shop.URL, "/funbiz/return?OrderNo="+dear, form)
	mustT(t, err)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(loc, dear) {
		t.Errorf("swapped return: %d to %q", resp.StatusCode, loc)
	}
	// The result page it is sent to is not the attacker's to see.
	if resp, _, _ := attacker.Get(ctx, w.shop.URL, loc); resp.StatusCode != http.StatusNotFound {
		t.Errorf("attacker sees the honest order's result: %d", resp.StatusCode)
	}
	code, body, err := callbacks.Notify(ctx, w.shop.URL, tok)
	if err != nil || code != http.StatusOK || body != shopclient.Ack {
		t.Fatalf("notification: %d %q %v", code, body, err)
	}
	w.converge(10 * time.Second)
	var status string
	var events int
	mustT(t, w.db.SQL.QueryRow(`SELECT status, (SELECT COUNT(*) FROM payment_events e WHERE e.order_id = o.id) FROM orders o WHERE order_no = $1`, dear).Scan(&status, &events))
	if status != "W" || events != 0 {
		t.Errorf("the expensive order is %s with %d events", status, events)
	}
	mustT(t, w.db.SQL.QueryRow(`SELECT status FROM orders WHERE order_no = $1`, cheap).Scan(&status))
	if status != "S" {
		t.Errorf("the cheap order is %s", status)
	}
}

// reForm finds forms that post, whatever the order of their attributes.
var (
	reForm   = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	rePost   = regexp.MustCompile(`(?i)\bmethod="post"`)
	reAction = regexp.MustCompile(`(?i)\baction="([^"]*)"`)
	reTmpl   = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

// postForms lists the actions of the forms that post in html; template
// actions ({{.No}}…) become a plausible value.
func postForms(html string) []string {
	var out []string
	for _, f := range reForm.FindAllString(html, -1) {
		if !rePost.MatchString(f) {
			continue
		}
		a := "" // a form without action posts to its own page
		if m := reAction.FindStringSubmatch(f); m != nil {
			a = m[1]
		}
		out = append(out, reTmpl.ReplaceAllString(a, "K2026010100000001"))
	}
	return out
}

// Every form of the shop (every template's, so the ones only an admin
// sees too) and of the sandbox's dashboard refuses a post from another
// site, with the victim's cookies, in the ways browsers mark one.
func crossSiteForms(t *testing.T, w *world) {
	ctx := context.Background()
	victim := w.newCustomer("victim")
	no, err := victim.Checkout(ctx, w.shop.URL, "q_1=1", "A")
	mustT(t, err)

	actions := map[string]bool{}
	templates, err := filepath.Glob("../web/templates/*.html")
	mustT(t, err)
	for _, f := range templates {
		b, err := os.ReadFile(f)
		mustT(t, err)
		for _, a := range postForms(string(b)) {
			actions[a] = true
		}
	}
	// The pages as the victim sees them, in case a form is built elsewhere.
	for _, p := range []string{"/", "/checkout?q_1=1", "/orders", "/orders/" + no, "/login", "/signup"} {
		_, page, err := victim.Get(ctx, w.shop.URL, p)
		mustT(t, err)
		for _, a := range postForms(page) {
			if a == "" {
				a = p
			}
			actions[a] = true
		}
	}
	for _, must := range []string{"/checkout", "/login", "/signup", "/logout"} {
		if !actions[must] {
			t.Errorf("no form posts to %s: the form scan is broken", must)
		}
	}
	sbActions := map[string]bool{}
	for _, p := range []string{"/_sandbox/", "/_sandbox/?lang=en"} {
		resp, err := http.Get(w.bank.URL() + p)
		mustT(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, a := range postForms(string(b)) {
			sbActions[a] = true
		}
	}
	if len(sbActions) == 0 {
		t.Error("no form on the sandbox's dashboard: the form scan is broken")
	}

	ordersBefore := w.orderCount()
	marks := []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.127.0.0.1.nip.io"},
		{"Origin": "https://evil.example"}, // a browser without Fetch Metadata
		{"Origin": "null"},                 // a sandboxed frame, a data: page
	}
	form := url.Values{"key": {strings.Repeat("ab", 16)}, "pay_type": {"C"}, "q_1": {"1"},
		"email": {"victim-2@example.com"}, "password": {proctest.Password}, "next": {"/"}}
	try := func(base, action string, cookies map[string]string) {
		for _, h := range marks {
			req, _ := http.NewRequest(http.MethodPost, base+action, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			for k, v := range cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			resp, err := browserClient.Do(req)
			mustT(t, err)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site POST %s%s with %v: HTTP %d", base, action, h, resp.StatusCode)
			}
		}
	}
	cookies := victim.Cookies()
	for a := range actions {
		try(w.shop.URL, a, cookies)
	}
	for a := range sbActions {
		try(w.bank.URL(), a, nil)
	}
	if n := w.orderCount(); n != ordersBefore {
		t.Errorf("cross-site posts made %d orders", n-ordersBefore)
	}
	// Still logged in: the cross-site logout did nothing.
	if resp, _, _ := victim.Get(ctx, w.shop.URL, "/orders"); resp.StatusCode != http.StatusOK {
		t.Errorf("the victim's session after the attacks: HTTP %d", resp.StatusCode)
	}
	t.Logf("%d shop forms and %d sandbox forms, each refused 4 ways (%s)", len(actions), len(sbActions), strings.Join(sorted(actions), " "))
}

func sorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (w *world) orderCount() int {
	w.t.Helper()
	var n int
	mustT(w.t, w.db.SQL.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n))
	return n
}

// Customer A cannot see, pay or cancel customer B's orders, by any URL
// that names them.
func customersApart(t *testing.T, w *world) {
	ctx := context.Background()
	cs := w.newCustomers("apart", 2)
	a, b := cs[0], cs[1]
	atm, err := b.Checkout(ctx, w.shop.URL, "q_1=1", "A")
	mustT(t, err)
	card, err := b.Checkout(ctx, w.shop.URL, "q_3=1", "C")
	mustT(t, err)
	var secrets []string // what only B may read: the bank's details of B's orders
	for _, no := range []string{atm, card} {
		bo, err := w.bank.Order(ctx, demoShopNo, no)
		mustT(t, err)
		if bo.AtmPayNo != "" {
			secrets = append(secrets, bo.AtmPayNo)
		}
	}
	var cardURL string
	mustT(t, w.db.SQL.QueryRow(`SELECT card_pay_url FROM orders WHERE order_no = $1`, card).Scan(&cardURL))
	secrets = append(secrets, cardURL)

	// B paid by card and came back: the waiting page's reference is B's.
	tok, err := w.pay(ctx, card)
	mustT(t, err)
	_, loc, err := callbacks.Return(ctx, w.shop.URL, tok)
	mustT(t, err)

	for _, no := range []string{atm, card} {
		for _, p := range []string{"/orders/" + no, "/orders/" + no + "/result", "/orders/" + url.PathEscape(strings.ToLower(no))} {
			resp, page, err := a.Get(ctx, w.shop.URL, p)
			mustT(t, err)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("A gets B's %s: HTTP %d", p, resp.StatusCode)
			}
			for _, s := range secrets {
				if strings.Contains(page, s) {
					t.Errorf("A's page %s shows %s", p, s)
				}
			}
		}
		for _, p := range []string{"/orders/" + no, "/orders/" + no + "/cancel", "/orders/" + no + "/pay", "/orders/" + no + "/refund"} {
			resp, _, err := a.PostForm(ctx, w.shop.URL, p, url.Values{"no": {no}})
			mustT(t, err)
			if resp.StatusCode < 400 {
				t.Errorf("A's POST %s: HTTP %d", p, resp.StatusCode)
			}
		}
	}
	// Where B's return was sent, A finds nothing of B's.
	resp, page, err := a.Get(ctx, w.shop.URL, loc)
	mustT(t, err)
	if next := resp.Header.Get("Location"); next != "" {
		resp, page, err = a.Get(ctx, w.shop.URL, next)
		mustT(t, err)
	}
	if resp.StatusCode == http.StatusOK && strings.Contains(page, card) {
		t.Errorf("A follows B's return to %s and sees the order", loc)
	}
	_, list, err := a.Get(ctx, w.shop.URL, "/orders")
	mustT(t, err)
	for _, s := range append(secrets, atm, card) {
		if strings.Contains(list, s) {
			t.Errorf("A's order list shows %s", s)
		}
	}
	// The back office is not a customer's.
	for _, p := range []string{"/admin", "/admin/", "/admin/orders", "/admin/orders/" + card, "/admin/paytokens", "/admin/jobs"} {
		resp, _, err := a.Get(ctx, w.shop.URL, p)
		mustT(t, err)
		if resp.StatusCode == http.StatusOK {
			t.Errorf("A gets %s", p)
		}
	}
	w.converge(10 * time.Second)
	var status string
	mustT(t, w.db.SQL.QueryRow(`SELECT status FROM orders WHERE order_no = $1`, atm).Scan(&status))
	if status != "W" {
		t.Errorf("B's unpaid order is %s", status)
	}
}

// Payloads that browsers take, one way or another, to another site.
var redirectPayloads = []string{
	"//evil.example", "//evil.example/orders", "https://evil.example/", "http:/evil.example", "https:evil.example",
	`/\evil.example`, `\\evil.example`, `\/evil.example`, "///evil.example", "////evil.example",
	"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", " //evil.example", "\x00//evil.example",
	"javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "evil.example", "@evil.example",
	"/%2F%2Fevil.example", "%2F%2Fevil.example", "/%5Cevil.example", "//%5Cevil.example", "/%09/evil.example",
	"//evil.example%2F@127.0.0.1", "/.//evil.example", "//127.0.0.1@evil.example", "https://127.0.0.1@evil.example/",
	"/\u3000/evil.example", "/\uff0f\uff0fevil.example", "//evil%E3%80%82example",
}

// No parameter that decides a redirect sends a browser to another site,
// whichever way the browser reads the Location.
func openRedirects(t *testing.T, w *world) {
	ctx := context.Background()
	base, _ := url.Parse(w.shop.URL)
	c := w.newCustomer("redirect")
	cookies := c.Cookies()
	checked := 0
	check := func(what string, resp *http.Response, page string) {
		t.Helper()
		checked++
		if loc := resp.Header.Get("Location"); loc != "" && !staysHome(base, loc) {
			t.Errorf("%s: redirects to %q", what, loc)
		}
		for _, m := range reNextField.FindAllStringSubmatch(page, -1) {
			if !staysHome(base, htmlUnescape(m[1])) {
				t.Errorf("%s: the page carries next=%q", what, m[1])
			}
		}
		for _, m := range reRefresh.FindAllStringSubmatch(page, -1) {
			if !staysHome(base, htmlUnescape(m[1])) {
				t.Errorf("%s: the page refreshes to %q", what, m[1])
			}
		}
	}
	for i, p := range redirectPayloads {
		q := url.QueryEscape(p)
		anon := shopclient.NewCustomer(nil, nil) // logged out, every time
		for _, path := range []string{"/lang/en?next=" + q, "/lang/zh-TW?next=" + q, "/login?next=" + q, "/signup?next=" + q} {
			resp, page, err := anon.Get(ctx, w.shop.URL, path)
			mustT(t, err)
			check("GET "+path, resp, page)
		}
		// Logged out, a page that needs a login sends the browser to log
		// in and come back: to the path asked for, never elsewhere.
		for _, path := range []string{"/orders?next=" + q, "/checkout?q_1=1&next=" + q} {
			resp, page, err := anon.Get(ctx, w.shop.URL, path)
			mustT(t, err)
			check("GET "+path, resp, page)
		}
		// Each login and sign-up costs a password hash: a sample of the
		// payloads is enough for these (the pages above read next with the
		// same function).
		if i%3 == 0 {
			resp, page, err := anon.PostForm(ctx, w.shop.URL, "/login", url.Values{"email": {c.Email}, "password": {proctest.Password}, "next": {p}})
			mustT(t, err)
			check("POST /login next="+p, resp, page)
		}
		if i%4 == 0 {
			resp, page, err := anon.PostForm(ctx, w.shop.URL, "/login", url.Values{"email": {c.Email}, "password": {"wrong"}, "next": {p}})
			mustT(t, err)
			check("POST /login (wrong password) next="+p, resp, page)
		}
		if i%8 == 0 {
			resp, page, err := shopclient.NewCustomer(nil, nil).PostForm(ctx, w.shop.URL, "/signup",
				url.Values{"email": {fmt.Sprintf("redir%d-%s@example.com", i, forgedToken()[:8])}, "password": {proctest.Password}, "next": {p}})
			mustT(t, err)
			check("POST /signup next="+p, resp, page)
		}
		resp, page, err := shopclient.NewCustomer(nil, cookies).PostForm(ctx, w.shop.URL, "/logout", url.Values{"next": {p}})
		mustT(t, err)
		check("POST /logout next="+p, resp, page)
		// The bank's return carries only ShopNo and PayToken; whatever else
		// comes along is not where the browser goes.
		form := url.Values{"ShopNo": {demoShopNo}, "PayToken": {forgedToken()}, "ReturnURL": {p}, "next": {p}}
		req, _ := http.NewRequest(http.MethodPost, w.shop.URL+"/funbiz/return?next="+q, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		r2, err := browserClient.Do(req)
		mustT(t, err)
		b, _ := io.ReadAll(r2.Body)
		r2.Body.Close()
		check("POST /funbiz/return next="+p, r2, string(b))
	}
	// Paths that look like other hosts.
	for _, path := range []string{"//evil.example", "//evil.example/", "/\\evil.example", "/%2F%2Fevil.example", "/favicon.ico", "/static//evil.example"} {
		req, _ := http.NewRequest(http.MethodGet, w.shop.URL+"/", nil)
		req.URL.Opaque = path // sent as is, not cleaned
		resp, err := browserClient.Do(req)
		mustT(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("GET "+path, resp, string(b))
	}
	t.Logf("%d payloads, %d responses checked: no redirect leaves the shop", len(redirectPayloads), checked)
}

var (
	reNextField = regexp.MustCompile(`name="next" value="([^"]*)"`)
	reRefresh   = regexp.MustCompile(`(?i)http-equiv="refresh"[^>]*content="[^"]*url=([^"]*)"`)
)

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// staysHome reports whether a browser following loc from base stays on
// base's host, reading loc as leniently as browsers do: tabs and newlines
// dropped, backslashes taken for slashes.
func staysHome(base *url.URL, loc string) bool {
	lenient := strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, strings.TrimLeft(loc, " \x00"))
	for _, l := range []string{loc, lenient} {
		u, err := url.Parse(l)
		if err != nil {
			return false
		}
		if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
			return false
		}
		if r := base.ResolveReference(u); r.Host != base.Host {
			return false
		}
	}
	return true
}

func TestStaysHome(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080/orders")
	for loc, want := range map[string]bool{
		"/": true, "/orders/K1": true, "/login?next=%2F%2Fevil.example": true, "result": true,
		"//evil.example": false, `/\evil.example`: false, "/\t/evil.example": false, "https://evil.example": false,
		"javascript:alert(1)": false, "http://127.0.0.1:8080/x": true, "http://127.0.0.1:8081/x": false,
	} {
		if got := staysHome(base, loc); got != want {
			t.Errorf("staysHome(%q) = %v", loc, got)
		}
	}
}

// Bodies over the limits are refused at once, without the shop reading
// them to the end.
func oversized(t *testing.T, w *world) {
	ctx := context.Background()
	c := w.newCustomer("big")
	cookies := c.Cookies()
	for _, tc := range []struct {
		path, ctype string
		size        int
		want        []int // any of these
	}{
		{"/login", "application/x-www-form-urlencoded", 70 << 10, []int{400}},
		{"/signup", "application/x-www-form-urlencoded", 70 << 10, []int{400}},
		{"/checkout", "application/x-www-form-urlencoded", 70 << 10, []int{400}},
		{"/logout", "application/x-www-form-urlencoded", 70 << 10, []int{303, 400}},
		{"/funbiz/notify", "application/json", 70 << 10, []int{400}},
		{"/funbiz/return", "application/x-www-form-urlencoded", 70 << 10, []int{400}},
		{"/funbiz/return", "multipart/form-data; boundary=x", 70 << 10, []int{400}},
		// 64 MiB: refused long before it could all be sent.
		{"/login", "application/x-www-form-urlencoded", 64 << 20, []int{400, -1}},
		{"/funbiz/notify", "application/json", 64 << 20, []int{400, -1}},
		{"/funbiz/return", "application/x-www-form-urlencoded", 64 << 20, []int{400, -1}},
	} {
		body := io.LimitReader(repeatReader('a'), int64(tc.size))
		if strings.HasPrefix(tc.ctype, "application/json") {
			body = io.MultiReader(strings.NewReader(`{"ShopNo":"`+demoShopNo+`","PayToken":"`), io.LimitReader(repeatReader('a'), int64(tc.size)))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.shop.URL+tc.path, body)
		req.Header.Set("Content-Type", tc.ctype)
		req.Header.Set("Origin", w.shop.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for k, v := range cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		start := time.Now()
		resp, err := browserClient.Do(req)
		took := time.Since(start)
		code := -1 // the shop closed the connection mid-body
		if err == nil {
			code = resp.StatusCode
			resp.Body.Close()
		}
		if !slices.Contains(tc.want, code) {
			t.Errorf("%s with %d bytes: HTTP %d (%v), want %v", tc.path, tc.size, code, err, tc.want)
		}
		if took > 5*time.Second {
			t.Errorf("%s with %d bytes: answered after %s", tc.path, tc.size, took)
		}
	}
	// A header of a megabyte and more.
	req, _ := http.NewRequest(http.MethodGet, w.shop.URL+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2<<20))
	resp, err := browserClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("a 2 MiB header: HTTP %d", resp.StatusCode)
		}
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// Slow clients are cut off: one that dribbles its headers within the
// shop's header timeout (10 s), one that dribbles its body within its
// read timeout (30 s); and a crowd of them does not keep others out.
func slowClients(t *testing.T, w *world) {
	addr := strings.TrimPrefix(w.shop.URL, "http://")
	dribble := func(prefix string, limit time.Duration) {
		conn, err := net.Dial("tcp", addr)
		mustT(t, err)
		defer conn.Close()
		start := time.Now()
		_, err = conn.Write([]byte(prefix))
		mustT(t, err)
		closed := make(chan time.Duration, 1)
		go func() {
			// The shop's answer, if any, then the end of the connection.
			io.Copy(io.Discard, bufio.NewReader(conn))
			closed <- time.Since(start)
		}()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case d := <-closed:
				if d > limit+3*time.Second {
					t.Errorf("%q…: cut off after %s, limit %s", prefix[:20], d, limit)
				}
				t.Logf("a client dribbling %q… was cut off after %s (limit %s)", strings.Fields(prefix)[0]+" "+strings.Fields(prefix)[1], d.Round(100*time.Millisecond), limit)
				return
			case <-tick.C:
				if time.Since(start) > limit+5*time.Second {
					t.Errorf("%q…: still connected after %s", prefix[:20], time.Since(start))
					return
				}
				conn.Write([]byte("a"))
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { dribble("GET / HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: ", 10*time.Second) })
	wg.Go(func() {
		dribble("POST /login HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nemail=", 30*time.Second)
	})
	// A crowd of slow clients holds connections open meanwhile.
	var crowd []net.Conn
	for range 200 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conn.Write([]byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\n"))
		crowd = append(crowd, conn)
	}
	defer func() {
		for _, c := range crowd {
			c.Close()
		}
	}()
	start := time.Now()
	resp, err := http.Get(w.shop.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("health with %d slow clients: %v %v", len(crowd), resp, err)
	} else {
		resp.Body.Close()
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("health took %s with %d slow clients", d, len(crowd))
	}
	wg.Wait()
}
