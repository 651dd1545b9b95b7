package mail

import (
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"slices"
	"strings"
)

// auth authenticates with the URL's user and password, over TLS or to a
// server at a loopback address (remote) only, and returns the step that
// failed with its error.
func (s *SMTP) auth(c *smtp.Client, remote net.Addr) (step string, err error) {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !loopback(remote) {
		return "AUTH", errors.New("refusing to send the password over a connection without TLS: " +
			"the server does not offer STARTTLS (only a server on a loopback address may do without)")
	}
	ok, offered := c.Extension("AUTH")
	if !ok {
		return "AUTH", errors.New("the server offers no AUTH, but the URL has a user and password")
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		step, a = "AUTH PLAIN", plainAuth{s.user, s.password()}
	case slices.Contains(mechs, "LOGIN"):
		step, a = "AUTH LOGIN", &loginAuth{user: s.user, pass: s.password()}
	default:
		return "AUTH", fmt.Errorf("the server offers AUTH %s; Send speaks PLAIN and LOGIN", offered)
	}
	return step, c.Auth(a)
}

// loopback reports whether a is a TCP address on the loopback network,
// where nothing sent leaves the machine.
func loopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// plainAuth is SASL PLAIN (RFC 4616). Unlike smtp.PlainAuth, it leaves to
// auth the choice of when a connection is safe enough.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("the server asked for more after AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism, which some servers offer alone: the
// user in answer to the first challenge, the password to the second.
type loginAuth struct {
	user, pass string
	asked      int
}

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.asked++
	switch a.asked {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	default:
		return nil, errors.New("the server asked for more than user and password after AUTH LOGIN")
	}
}
