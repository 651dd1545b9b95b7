package smtptest_test

import (
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/sinopay/sinopay/internal/smtptest"
)

const msg = "From: shop@shop.example\r\nTo: ming@example.com\r\nSubject: hello\r\n\r\nHello, Ming.\r\n"

// A message sent with net/smtp arrives whole, and Wait returns it.
func TestDelivers(t *testing.T) {
	t.Parallel()
	ts := (&smtptest.Server{}).Start(t)
	sent := make(chan error, 1)
	go func() {
		sent <- smtp.SendMail(ts.Addr(), nil, "shop@shop.example", []string{"ming@example.com"}, []byte(msg))
	}()
	got := ts.Wait(t, 1, 10*time.Second)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("Wait returned %d messages, want 1", len(got))
	}
	d := got[0]
	if d.From != "shop@shop.example" || !slices.Equal(d.To, []string{"ming@example.com"}) || d.TLS || d.User != "" {
		t.Errorf("delivery %+v; want from shop@shop.example to [ming@example.com], without TLS or user", d)
	}
	if string(d.Data) != msg {
		t.Errorf("delivered %q, want %q", d.Data, msg)
	}
}

// SetRcptErr changes the answer to RCPT TO while the server runs.
func TestSetRcptErr(t *testing.T) {
	t.Parallel()
	ts := (&smtptest.Server{}).Start(t)
	send := func() error {
		return smtp.SendMail(ts.Addr(), nil, "shop@shop.example", []string{"ming@example.com"}, []byte(msg))
	}
	for _, c := range []struct {
		refusal *gosmtp.SMTPError
		want    string
	}{{smtptest.Refuse, "5.1.1 no such user"}, {smtptest.TryLater, "4.3.0 try again later"}} {
		ts.SetRcptErr(c.refusal)
		var reply *textproto.Error
		if err := send(); !errors.As(err, &reply) || reply.Code != c.refusal.Code || reply.Msg != c.want {
			t.Errorf("SendMail = %v; want the reply %d %s", err, c.refusal.Code, c.want)
		}
	}
	if n := len(ts.Deliveries()); n != 0 {
		t.Fatalf("server took %d messages while refusing, want none", n)
	}
	ts.SetRcptErr(nil)
	if err := send(); err != nil {
		t.Fatal(err)
	}
	if got := ts.Wait(t, 1, 10*time.Second); len(got) != 1 {
		t.Fatalf("Wait returned %d messages, want 1", len(got))
	}
}

// fatalRecorder is a testing.TB whose Fatalf only records the message.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

// Wait fails the test when the messages do not come in time.
func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	ts := (&smtptest.Server{}).Start(t)
	r := &fatalRecorder{TB: t}
	start := time.Now()
	got := ts.Wait(r, 1, 50*time.Millisecond)
	if took := time.Since(start); took < 50*time.Millisecond || took > 5*time.Second {
		t.Errorf("Wait gave up after %s, want soon after 50ms", took)
	}
	if got != nil || !strings.Contains(r.fatal, "took 0 messages") {
		t.Errorf("Wait = %v with failure %q; want nil and a failure saying no message came", got, r.fatal)
	}
}
