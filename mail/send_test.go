package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/sinopay/sinopay/internal/smtptest"
	"github.com/sinopay/sinopay/mail"
)

func parseURL(t *testing.T, raw string) *mail.SMTP {
	t.Helper()
	s, err := mail.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkDelivered fails t unless ts took exactly m, over TLS or not as
// wantTLS says, from the user wantUser ("" for none).
func checkDelivered(t *testing.T, ts *smtptest.Server, m mail.Message, wantTLS bool, wantUser string) {
	t.Helper()
	got := ts.Deliveries()
	if len(got) != 1 {
		t.Fatalf("server took %d messages, want 1", len(got))
	}
	d := got[0]
	if d.From != "shop@shop.example" || !slices.Equal(d.To, []string{"ming@example.com"}) {
		t.Errorf("envelope MAIL FROM %q RCPT TO %q, want shop@shop.example to [ming@example.com]", d.From, d.To)
	}
	if d.TLS != wantTLS || d.User != wantUser {
		t.Errorf("message came with TLS %v from user %q, want TLS %v from user %q", d.TLS, d.User, wantTLS, wantUser)
	}
	checkMessage(t, d.Data, m)
}

// A server that takes the message gets it whole: envelope, headers and
// both parts.
func TestSendDelivers(t *testing.T) {
	t.Parallel()
	ts := (&smtptest.Server{}).Start(t)
	m := paidMessage()
	if err := parseURL(t, ts.URL("smtp")).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, ts, m, false, "")
}

// What arrives is byte for byte what Bytes gives, dotted lines and all.
func TestSendBytesExactly(t *testing.T) {
	t.Parallel()
	ts := (&smtptest.Server{}).Start(t)
	m := paidMessage()
	m.HTML = "" // a text-only message has no random boundary
	if err := parseURL(t, ts.URL("smtp")).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	want, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.Deliveries(); len(got) != 1 || !bytes.Equal(got[0].Data, want) {
		t.Fatalf("server took %d messages; want one equal to Bytes:\n%s", len(got), want)
	}
}

// Send upgrades with STARTTLS, trusting TLSConfig's roots, and then
// authenticates with the URL's percent-decoded user and password.
func TestSendStartTLSAuth(t *testing.T) {
	t.Parallel()
	cert, pool := smtptest.Cert(t)
	ts := (&smtptest.Server{TLS: cert, User: "shop@shop.example", Pass: "p@ss:wörd/%?"}).Start(t)
	s := parseURL(t, ts.URL("smtp"))
	s.TLSConfig = &tls.Config{RootCAs: pool}
	m := paidMessage()
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, ts, m, true, "shop@shop.example")
}

// A wrong password fails the send, but not for good: the password is the
// shop's configuration, and the message goes once an operator fixes it.
func TestSendAuthFails(t *testing.T) {
	t.Parallel()
	cert, pool := smtptest.Cert(t)
	ts := (&smtptest.Server{TLS: cert, User: "shop", Pass: "right"}).Start(t)
	s := parseURL(t, "smtp://shop:wrong@"+ts.Addr())
	s.TLSConfig = &tls.Config{RootCAs: pool}
	err := s.Send(t.Context(), paidMessage())
	if err == nil || mail.Permanent(err) || !strings.Contains(err.Error(), "AUTH PLAIN: 535") {
		t.Fatalf("Send = %v; want an AUTH PLAIN: 535 error, not Permanent", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q shows the password", err)
	}
	if n := len(ts.Deliveries()); n != 0 {
		t.Errorf("server took %d messages, want none", n)
	}
}

// smtps:// speaks TLS from the first byte.
func TestSendImplicitTLS(t *testing.T) {
	t.Parallel()
	cert, pool := smtptest.Cert(t)
	ts := (&smtptest.Server{TLS: cert, Implicit: true, User: "shop", Pass: "secret"}).Start(t)
	s := parseURL(t, ts.URL("smtps"))
	s.TLSConfig = &tls.Config{RootCAs: pool}
	m := paidMessage()
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, ts, m, true, "shop")
}

// A server that offers only AUTH LOGIN gets LOGIN; without TLS the
// password goes only to a loopback address, as here.
func TestSendLoginAuthLoopback(t *testing.T) {
	t.Parallel()
	ts := (&smtptest.Server{User: "shop", Pass: "secret", Mechs: []string{sasl.Login}, InsecureAuth: true}).Start(t)
	m := paidMessage()
	if err := parseURL(t, ts.URL("smtp")).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, ts, m, false, "shop")
}

// Send does not give the password to a server elsewhere than on a
// loopback address over a connection without TLS.
func TestSendNoPasswordWithoutTLS(t *testing.T) {
	t.Parallel()
	ip := nonLoopbackIP(t)
	ts := (&smtptest.Server{User: "shop", Pass: "secret", InsecureAuth: true}).StartOn(t, net.JoinHostPort(ip, "0"))
	err := parseURL(t, ts.URL("smtp")).Send(t.Context(), paidMessage())
	if err == nil || mail.Permanent(err) || !strings.Contains(err.Error(), "refusing to send the password over a connection without TLS") {
		t.Fatalf("Send = %v; want a refusal to send the password without TLS, not Permanent", err)
	}
	if ts.Auths() != 0 || len(ts.Deliveries()) != 0 {
		t.Errorf("server saw %d AUTHs and took %d messages, want none", ts.Auths(), len(ts.Deliveries()))
	}
}

// nonLoopbackIP returns an IPv4 address of this machine off the loopback
// network, or skips the test.
func nonLoopbackIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("no IPv4 address off the loopback network to test with")
	return ""
}

// A certificate the client does not trust fails the TLS step, and may
// pass (the server's certificate may be renewed, or the setting fixed).
func TestSendUntrustedCertificate(t *testing.T) {
	t.Parallel()
	cert, _ := smtptest.Cert(t)
	for _, c := range []struct {
		scheme, step string
		implicit     bool
	}{{"smtp", "STARTTLS", false}, {"smtps", "TLS handshake", true}} {
		ts := (&smtptest.Server{TLS: cert, Implicit: c.implicit}).Start(t)
		err := parseURL(t, ts.URL(c.scheme)).Send(t.Context(), paidMessage())
		if err == nil || mail.Permanent(err) || !strings.Contains(err.Error(), "smtp "+ts.Addr()+": "+c.step+": ") || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s: Send = %v; want a certificate error at %s, not Permanent", c.scheme, err, c.step)
		}
		if n := len(ts.Deliveries()); n != 0 {
			t.Errorf("%s: server took %d messages, want none", c.scheme, n)
		}
	}
}

// A 5xx reply is Permanent, a 4xx reply is not; the error says the step
// and the server's words.
func TestSendRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		reply     *gosmtp.SMTPError
		want      string
		permanent bool
	}{
		{smtptest.Refuse, `RCPT TO: 550 "5.1.1 no such user"`, true},
		{&gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try again later"}, `RCPT TO: 451 "4.7.1 greylisted`, false},
	} {
		ts := (&smtptest.Server{}).Start(t)
		ts.SetRcptErr(c.reply)
		err := parseURL(t, ts.URL("smtp")).Send(t.Context(), paidMessage())
		if err == nil || !strings.Contains(err.Error(), "smtp "+ts.Addr()+": "+c.want) {
			t.Errorf("Send = %v; want it to say smtp %s: %s", err, ts.Addr(), c.want)
		}
		if mail.Permanent(err) != c.permanent {
			t.Errorf("Permanent(%v) = %v, want %v", err, !c.permanent, c.permanent)
		}
		var reply *textproto.Error
		if !errors.As(err, &reply) || reply.Code != c.reply.Code {
			t.Errorf("error %v does not wrap the %d reply as a *textproto.Error", err, c.reply.Code)
		}
	}
}

// A server that is down fails Send at once, and may be up later.
func TestSendServerDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	err = parseURL(t, "smtp://"+addr).Send(t.Context(), paidMessage())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %s to find the server down", took)
	}
	if err == nil || mail.Permanent(err) || !strings.Contains(err.Error(), "smtp "+addr+": dial: ") {
		t.Fatalf("Send = %v; want a dial error, not Permanent", err)
	}
}

// A server that accepts the connection and then says nothing holds Send
// no longer than Timeout, or than ctx's deadline when that comes first.
func TestSendSilentServer(t *testing.T) {
	t.Parallel()
	const limit = 300 * time.Millisecond
	addr, _ := smtptest.Silent(t)
	for _, c := range []struct {
		name    string
		timeout time.Duration
		ctx     time.Duration
	}{{"Timeout", limit, 0}, {"ctx deadline", 0, limit}} {
		s := parseURL(t, "smtp://"+addr)
		s.Timeout = c.timeout
		// start is taken before the deadline is set, so the deadline can
		// never fall before start+limit.
		start := time.Now()
		ctx := t.Context()
		if c.ctx > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.ctx)
			defer cancel()
		}
		err := s.Send(ctx, paidMessage())
		took := time.Since(start)
		if took < limit || took > 3*time.Second {
			t.Errorf("%s: Send returned after %s, want soon after %s", c.name, took, limit)
		}
		if err == nil || mail.Permanent(err) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "smtp "+addr+": greeting: ") {
			t.Errorf("%s: Send = %v; want a deadline error at the greeting, not Permanent", c.name, err)
		}
	}
}

// Cancelling ctx ends a Send that waits on a silent server.
func TestSendCancel(t *testing.T) {
	t.Parallel()
	addr, accepted := smtptest.Silent(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := parseURL(t, "smtp://"+addr)
	sent := make(chan error, 1)
	go func() { sent <- s.Send(ctx, paidMessage()) }()
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("Send did not connect within 10s")
	}
	cancel()
	select {
	case err := <-sent:
		if err == nil || mail.Permanent(err) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Send = %v; want context.Canceled, not Permanent", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send did not return within 5s of the cancel")
	}
}

// An invalid message is refused before anything is sent.
func TestSendHeaderInjection(t *testing.T) {
	t.Parallel()
	ts := (&smtptest.Server{}).Start(t)
	m := paidMessage()
	m.Subject = "Your order\r\nBcc: everyone@example.com"
	err := parseURL(t, ts.URL("smtp")).Send(t.Context(), m)
	if !errors.Is(err, mail.ErrInvalid) || !mail.Permanent(err) || !strings.Contains(err.Error(), "Subject contains a line break") {
		t.Fatalf("Send = %v; want ErrInvalid about the Subject, Permanent", err)
	}
	if n := len(ts.Deliveries()); n != 0 {
		t.Errorf("server took %d messages, want none", n)
	}
}

// An SMTP not made by ParseURL says so.
func TestSendZeroSMTP(t *testing.T) {
	var s *mail.SMTP
	if err := s.Send(t.Context(), paidMessage()); err == nil || !strings.Contains(err.Error(), "ParseURL") {
		t.Fatalf("Send on a nil *SMTP = %v, want an error naming ParseURL", err)
	}
	if err := new(mail.SMTP).Send(t.Context(), paidMessage()); err == nil || !strings.Contains(err.Error(), "ParseURL") {
		t.Fatalf("Send on a zero SMTP = %v, want an error naming ParseURL", err)
	}
}
