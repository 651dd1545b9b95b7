package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"time"
)

// Send sends m through the server: it dials, says EHLO, upgrades with
// STARTTLS when the server offers it (smtp://), authenticates when the
// URL has a user (AUTH PLAIN, or LOGIN when the server offers only that),
// and gives m with MAIL FROM m.From's address and RCPT TO m.To's.
//
// The conversation ends when ctx ends or Timeout passes, whichever comes
// first, whatever step it is at. Send refuses to give the password over a
// connection without TLS unless the server is on a loopback address.
//
// A nil error means the server took the message. An error says which
// step failed and how, `smtp host:587: RCPT TO: 550 "5.1.1 no such
// user"` (the server's words quoted); Permanent tells whether to try
// again. An invalid m fails with
// ErrInvalid before anything is dialled; an ended ctx or the Timeout
// gives an error matching ctx's error (context.Canceled or
// context.DeadlineExceeded).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if s == nil || s.host == "" {
		return errors.New("mail: SMTP has no server: make it with ParseURL")
	}
	data, from, to, err := m.build()
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("no end to the conversation within Timeout %s: %w", timeout, context.DeadlineExceeded))
	defer cancel()
	step, err := s.send(ctx, data, from, to)
	if err == nil {
		return nil
	}
	var reply *textproto.Error
	if !errors.As(err, &reply) {
		// The connection's deadline is ctx's: when it passed, ctx ends
		// at once, and its cause says more than "i/o timeout".
		if errors.Is(err, os.ErrDeadlineExceeded) {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		// A connection closed because ctx ended fails with "use of
		// closed network connection": say why it was closed instead.
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
	}
	return &sendError{server: net.JoinHostPort(s.host, s.port), step: step, err: err}
}

// sendError is a failed conversation: the server, the step that failed,
// and how.
type sendError struct {
	server, step string
	err          error
}

func (e *sendError) Error() string { return "smtp " + e.server + ": " + e.step + ": " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// aboutMessage reports whether the step is one where the server judges
// the message (its sender, its recipient, its content) rather than the
// shop's connection and credentials.
func (e *sendError) aboutMessage() bool {
	switch e.step {
	case "MAIL FROM", "RCPT TO", "DATA", "end of DATA":
		return true
	}
	return false
}

// send holds the conversation, ended by ctx, and returns the step that
// failed with its error.
func (s *SMTP) send(ctx context.Context, data []byte, from, to string) (step string, err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(s.host, s.port))
	if err != nil {
		return "dial", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return "dial", err
		}
	}

	var nc net.Conn = conn
	if s.implicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return "TLS handshake", err
		}
		nc = tc
	}
	c, err := smtp.NewClient(nc, s.host)
	if err != nil {
		return "greeting", err
	}
	defer c.Close()
	localName := s.LocalName
	if localName == "" {
		localName = "localhost"
	}
	if err := c.Hello(localName); err != nil {
		return "EHLO", err
	}
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return "STARTTLS", err
			}
		}
	}
	if s.password != nil {
		if step, err := s.auth(c, conn.RemoteAddr()); err != nil {
			return step, err
		}
	}
	if err := c.Mail(from); err != nil {
		return "MAIL FROM", err
	}
	if err := c.Rcpt(to); err != nil {
		return "RCPT TO", err
	}
	w, err := c.Data()
	if err != nil {
		return "DATA", err
	}
	if _, err := w.Write(data); err != nil {
		return "DATA", err
	}
	if err := w.Close(); err != nil {
		return "end of DATA", err
	}
	// The server has taken the message: a failed goodbye changes nothing.
	_ = c.Quit()
	return "", nil
}

// tlsConfig returns the TLS configuration for the server: TLSConfig, or
// the system's roots, with the host as ServerName unless TLSConfig names
// another.
func (s *SMTP) tlsConfig() *tls.Config {
	if s.TLSConfig == nil {
		return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	c := s.TLSConfig.Clone()
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	return c
}
