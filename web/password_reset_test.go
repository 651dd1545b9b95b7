package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/outbox"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

var resetLinkRE = regexp.MustCompile(`/password/reset/([0-9a-f]{64})`)

// kept sends what the outbox holds (into the outbox: no SMTP server) and
// returns the messages to email, newest first.
func (r *rig) kept(email string) []*shop.Mail {
	r.t.Helper()
	ob, err := outbox.New(r.db, outbox.Config{BaseURL: r.srv.URL})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := ob.RunOnce(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	ms, _, err := r.db.Mails(context.Background(), storage.MailFilter{}, 100, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []*shop.Mail
	for _, m := range ms {
		if m.To == email {
			out = append(out, m)
		}
	}
	return out
}

// Forgot password: the form answers the same for an email with an
// account and one without; the link comes in the customer's language,
// sets a new password once, ends every session of the account and logs
// the browser in.
func TestPasswordResetFlow(t *testing.T) {
	r := newRig(t)
	en := r.browser()
	en.header.Set("Accept-Language", "en")
	p := en.post("/signup", url.Values{"email": {"forgetful@example.com"}, "password": {"first password"}, "next": {"/"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("signup: %d %s", p.Status, p.Body)
	}
	if p = en.get("/orders"); p.Status != http.StatusOK {
		t.Fatalf("orders: %d", p.Status)
	}

	anon := r.browser()
	if p = anon.get("/login"); !strings.Contains(p.Body, `href="/password/forgot"`) {
		t.Fatal("the log-in page has no forgot-password link")
	}
	if p = anon.get("/password/forgot"); p.Status != http.StatusOK {
		t.Fatalf("forgot form: %d", p.Status)
	}
	p = anon.post("/password/forgot", url.Values{"email": {"not an email"}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("bad email: %d", p.Status)
	}
	mustContain(t, p.Body, `is-invalid`, `id="email-error"`, "這個 Email 看起來怪怪的")
	answers := map[string]string{}
	for _, email := range []string{"nobody@example.com", "Forgetful@Example.com"} {
		p = anon.post("/password/forgot", url.Values{"email": {email}})
		if p.Status != http.StatusOK {
			t.Fatalf("forgot %s: %d", email, p.Status)
		}
		mustContain(t, p.Body, `id="forgot-sent"`)
		answers[email] = strings.ReplaceAll(p.Body, shop.NormEmail(email), "EMAIL")
	}
	if answers["nobody@example.com"] != answers["Forgetful@Example.com"] {
		t.Error("the answer tells an email with an account from one without")
	}

	ms := r.kept("forgetful@example.com")
	if len(ms) != 1 || ms[0].Kind != shop.MailPasswordReset || ms[0].Status != shop.MailKept || ms[0].Lang != "en" {
		t.Fatalf("messages: %+v", ms)
	}
	if all, _, _ := r.db.Mails(context.Background(), storage.MailFilter{}, 100, 0); len(all) != 1 {
		t.Fatalf("%d messages, want only the account's one", len(all))
	}
	m := resetLinkRE.FindStringSubmatch(ms[0].Text)
	if m == nil || !strings.Contains(ms[0].Text, r.srv.URL+m[0]) || !strings.Contains(ms[0].HTML, `href="`+r.srv.URL+m[0]+`"`) {
		t.Fatalf("no reset link in\n%s\n%s", ms[0].Text, ms[0].HTML)
	}
	mustContain(t, ms[0].Subject, "Choose a new password")
	link := m[0]

	p = anon.get(link)
	if p.Status != http.StatusOK || p.Header.Get("Referrer-Policy") != "no-referrer" || p.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset form: %d %v", p.Status, p.Header)
	}
	p = anon.post(link, url.Values{"password": {"short"}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("short password: %d", p.Status)
	}
	mustContain(t, p.Body, `id="password-error"`, "is-invalid")
	p = anon.post(link, url.Values{"password": {"second password"}})
	if p.Status != http.StatusSeeOther || p.Location != "/orders" {
		t.Fatalf("reset: %d %q %s", p.Status, p.Location, p.Body)
	}
	if p = anon.get("/orders"); p.Status != http.StatusOK || !strings.Contains(p.Body, "forgetful@example.com") {
		t.Fatalf("orders after reset: %d", p.Status)
	}
	// The session opened before the reset ended.
	if p = en.get("/orders"); p.Status != http.StatusSeeOther {
		t.Fatalf("old session after reset: %d, want a redirect to log in", p.Status)
	}
	// The link works once.
	if p = anon.post(link, url.Values{"password": {"third password"}}); p.Status != http.StatusNotFound {
		t.Fatalf("second use: %d", p.Status)
	}
	if p = anon.get(link); p.Status != http.StatusNotFound || !strings.Contains(p.Body, `id="reset-invalid"`) {
		t.Fatalf("used link's form: %d", p.Status)
	}
	if p = r.browser().post("/login", url.Values{"email": {"forgetful@example.com"}, "password": {"second password"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("log-in with the new password: %d", p.Status)
	}
}

// Asking for reset links is held like log-in: an account's mailbox gets a
// handful of links a minute at most, and the held answer says when to try
// again.
func TestForgotThrottled(t *testing.T) {
	r := newRig(t)
	r.signup("target@example.com")
	b := r.browser()
	held := false
	for i := 0; i < accountBurst+2; i++ {
		p := b.post("/password/forgot", url.Values{"email": {"target@example.com"}})
		if p.Status == http.StatusTooManyRequests {
			if p.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			held = true
			break
		}
		if p.Status != http.StatusOK {
			t.Fatalf("forgot %d: %d", i, p.Status)
		}
	}
	if !held {
		t.Fatal("never held")
	}
	if n := len(r.kept("target@example.com")); n > accountBurst {
		t.Fatalf("%d links sent, at most %d", n, accountBurst)
	}
}

// The back office's outbox lists what the shop wrote for an order's
// events, shows a message as written and sends it again; a customer
// cannot see it.
func TestAdminMail(t *testing.T) {
	r := newRig(t)
	b := r.signup("mailbox@example.com")
	o := r.paidCard(b)
	ms := r.kept("mailbox@example.com")
	if len(ms) != 2 || ms[1].Kind != shop.MailOrderReceived || ms[0].Kind != shop.MailPaid {
		t.Fatalf("messages of a paid card order: %+v", ms)
	}
	mustContain(t, ms[0].Text, o.No, "NT$4,900")
	if p := b.get("/admin/mail"); p.Status == http.StatusOK {
		t.Fatal("a customer sees the outbox")
	}
	a := r.adminBrowser("boss@example.com")
	p := a.get("/admin/mail")
	if p.Status != http.StatusOK {
		t.Fatalf("outbox: %d", p.Status)
	}
	mustContain(t, p.Body, `id="mail-mode"`, "SINOPAY_SMTP_URL", "mailbox@example.com", ms[0].Subject, ms[1].Subject)
	p = a.get("/admin/mail?status=sent")
	mustNotContain(t, p.Body, ms[0].Subject)
	id := strconv.FormatInt(ms[0].ID, 10)
	p = a.get("/admin/mail/" + id)
	if p.Status != http.StatusOK {
		t.Fatalf("message: %d", p.Status)
	}
	mustContain(t, p.Body, `id="text"`, o.No, "/admin/orders/"+o.No, `id="resend"`)
	if p = a.post("/admin/mail/"+id+"/resend", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("resend: %d %s", p.Status, p.Body)
	}
	if m, _ := r.db.Mail(context.Background(), ms[0].ID); m.Status != shop.MailQueued {
		t.Fatalf("resent message is %s", m.Status)
	}
	if again := r.kept("mailbox@example.com"); again[0].Status != shop.MailKept || again[0].Attempts != 2 || again[0].Text != ms[0].Text {
		t.Fatalf("resent: %+v", again[0])
	}
	if p = a.get("/admin/mail/999999"); p.Status != http.StatusNotFound {
		t.Fatalf("missing message: %d", p.Status)
	}
}
