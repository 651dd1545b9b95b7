package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sender sends one message. SMTP is the one that talks to a server; a
// test of code that sends mail can put its own in its place.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

var _ Sender = (*SMTP)(nil)

// DefaultTimeout bounds a whole SMTP conversation when SMTP.Timeout is
// zero.
const DefaultTimeout = 30 * time.Second

// SMTP sends messages through one SMTP server, a new connection for each
// message. Make it with ParseURL, set the exported fields, if at all,
// before the first Send, and then share it: Send may be called from many
// goroutines at once.
type SMTP struct {
	// TLSConfig is used for smtps:// and for STARTTLS. Nil means the
	// system's roots, with ServerName the URL's host; a config without a
	// ServerName gets the host too. A test sets RootCAs here to trust
	// its own certificate.
	TLSConfig *tls.Config
	// Timeout bounds the whole conversation, from dialling to the
	// server's answer to the message, whether or not Send's context has
	// a deadline; the earlier of the two ends it. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// LocalName is the name Send gives in EHLO. Empty means "localhost".
	LocalName string

	host, port  string
	implicitTLS bool
	// user and password are the URL's user info; password is nil when
	// there is none. The password is kept in a closure so that fmt, with
	// whatever verb and on whatever value holds an SMTP, prints an
	// address and not the password.
	user     string
	password func() string
}

// ParseURL reads an SMTP server's URL:
//
//	smtp://user:pass@host:port   STARTTLS when the server offers it; port 587 by default
//	smtps://user:pass@host:port  TLS from the start; port 465 by default
//
// The user info is optional; when given it needs both a user and a
// password, percent-encoded as URLs need ("@" is %40, ":" is %3A, "/" is
// %2F), and Send authenticates with them. The URL has no path (a lone "/"
// is allowed), no query and no fragment. No error it returns holds the
// password.
func ParseURL(raw string) (*SMTP, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("mail: SMTP URL must start with smtp:// or smtps://")
	}
	s := &SMTP{}
	switch strings.ToLower(scheme) {
	case "smtp":
		s.port = "587"
	case "smtps":
		s.implicitTLS, s.port = true, "465"
	default:
		if !validScheme(scheme) {
			return nil, errors.New("mail: SMTP URL must start with smtp:// or smtps://")
		}
		return nil, fmt.Errorf("mail: SMTP URL has scheme %q: want smtp (STARTTLS) or smtps (TLS from the start)", scheme)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL %q does not parse: %s", redact(raw), parseProblem(raw))
	}
	shown := u.Redacted()
	switch {
	case u.Path != "" && u.Path != "/":
		return nil, fmt.Errorf("mail: SMTP URL %q has a path: want only smtp://user:pass@host:port", shown)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("mail: SMTP URL %q has a query: want only smtp://user:pass@host:port", shown)
	case u.Fragment != "":
		return nil, fmt.Errorf("mail: SMTP URL %q has a fragment: want only smtp://user:pass@host:port", shown)
	case u.Hostname() == "":
		return nil, fmt.Errorf("mail: SMTP URL %q has no host", shown)
	}
	s.host = u.Hostname()
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL %q has port %q: want 1 to 65535", shown, p)
		}
		s.port = p
	}
	if u.User != nil {
		pass, hasPass := u.User.Password()
		switch {
		case u.User.Username() == "":
			return nil, fmt.Errorf("mail: SMTP URL %q has a password but no user", shown)
		case !hasPass || pass == "":
			return nil, fmt.Errorf("mail: SMTP URL %q has a user but no password", shown)
		}
		s.user, s.password = u.User.Username(), func() string { return pass }
	}
	return s, nil
}

// String returns the server's URL without the password, with the port
// always written: "smtp://user@host:587".
func (s *SMTP) String() string {
	if s == nil {
		return "<nil>"
	}
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.host, s.port)}
	if s.implicitTLS {
		u.Scheme = "smtps"
	}
	if s.password != nil {
		u.User = url.User(s.user)
	}
	return u.String()
}

// validScheme reports whether s is an RFC 3986 scheme, and so no part of
// a password that may be shown.
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// redact returns raw, a URL with "://", with the password of its user
// info, if any, replaced by "xxxxx", found by the rules url.Parse uses:
// the user info ends at the last "@" before the first "/", "?" or "#"
// after "://", and the password starts at its first ":".
func redact(raw string) string {
	scheme, rest, _ := strings.Cut(raw, "://")
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(authority[:at], ":"); hasPass {
			authority = user + ":xxxxx" + authority[at:]
		}
	}
	return scheme + "://" + authority + tail
}

// parseProblem says why url.Parse refused raw, without the password: the
// reason it gives for the redacted URL, or, when the redacted URL parses,
// that the password was what it refused.
func parseProblem(raw string) string {
	_, err := url.Parse(redact(raw))
	var ue *url.Error
	switch {
	case err == nil:
		return "the password is not valid in a URL: percent-encode it"
	case errors.As(err, &ue):
		return ue.Err.Error()
	default:
		return err.Error()
	}
}
