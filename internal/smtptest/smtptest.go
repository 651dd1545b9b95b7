// Package smtptest is a real SMTP server on 127.0.0.1 for tests, built on
// go-smtp: it speaks STARTTLS or implicit TLS, asks for AUTH PLAIN or
// LOGIN when told to, and keeps every message it takes for the test to
// look at. It also has a self-signed certificate to serve TLS with, and a
// server that accepts connections and never says a word.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// Refuse is a permanent refusal of a recipient, for [Server.SetRcptErr]:
// 550 5.1.1 no such user.
var Refuse = &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}

// TryLater is a passing refusal of a recipient, for [Server.SetRcptErr]:
// 451 4.3.0 try again later.
var TryLater = &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try again later"}

// Server is an SMTP server on 127.0.0.1 for one test. Set its fields, then
// start it with [Server.Start] or [Server.StartOn]; the fields must not
// change once it runs. A Server must not be copied once started.
type Server struct {
	// TLS, when set, is the server's certificate: offered with STARTTLS,
	// or from the first byte when Implicit.
	TLS      *tls.Config
	Implicit bool
	// User and Pass, when set, must authenticate before MAIL FROM, with
	// one of Mechs (PLAIN by default). Without TLS, AUTH is offered only
	// when InsecureAuth.
	User, Pass   string
	Mechs        []string
	InsecureAuth bool

	addr string

	mu      sync.Mutex
	rcptErr error
	got     []Delivery
	arrived chan struct{} // closed, and replaced, at each delivery
	authed  int           // successful AUTHs
}

// Delivery is one message the server took.
type Delivery struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the message came over TLS
	User string // who authenticated, if anyone
}

// Start starts the server on 127.0.0.1 at a free port; it stops when the
// test ends. It returns ts.
func (ts *Server) Start(t testing.TB) *Server {
	t.Helper()
	return ts.StartOn(t, "127.0.0.1:0")
}

// StartOn starts the server listening on addr; it stops when the test
// ends. It returns ts.
func (ts *Server) StartOn(t testing.TB, addr string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &session{ts: ts, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.AllowInsecureAuth = ts.InsecureAuth
	s.TLSConfig = ts.TLS
	if ts.TLS != nil && ts.Implicit {
		ln = tls.NewListener(ln, ts.TLS)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ln)
	}()
	t.Cleanup(func() {
		s.Close()
		ln.Close() // in case Serve had not yet begun when Close ran
		<-done
	})
	return ts
}

// Addr is the host:port the server listens on.
func (ts *Server) Addr() string { return ts.addr }

// URL is the server's URL with scheme (smtp or smtps) and, when the server
// has a User, its credentials.
func (ts *Server) URL(scheme string) string {
	u := url.URL{Scheme: scheme, Host: ts.addr}
	if ts.User != "" {
		u.User = url.UserPassword(ts.User, ts.Pass)
	}
	return u.String()
}

// SetRcptErr makes err the answer to every RCPT TO from now on, such as
// [Refuse] or [TryLater]; nil accepts every recipient again. It may be
// called while the server runs.
func (ts *Server) SetRcptErr(err error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rcptErr = err
}

// Deliveries returns the messages the server took so far, in the order
// they came.
func (ts *Server) Deliveries() []Delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return slices.Clone(ts.got)
}

// Wait waits until the server has taken at least n messages and returns
// all it took so far, as [Server.Deliveries] does. It fails the test if
// they have not come within timeout; like t.Fatal, it must be called from
// the goroutine running the test.
func (ts *Server) Wait(t testing.TB, n int, timeout time.Duration) []Delivery {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		ts.mu.Lock()
		if len(ts.got) >= n {
			got := slices.Clone(ts.got)
			ts.mu.Unlock()
			return got
		}
		arrived := ts.arrivedLocked()
		ts.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("smtptest: the server at %s took %d messages within %s, want at least %d", ts.addr, len(ts.Deliveries()), timeout, n)
			return nil
		}
	}
}

// arrivedLocked returns the channel closed at the next delivery. ts.mu
// must be held.
func (ts *Server) arrivedLocked() chan struct{} {
	if ts.arrived == nil {
		ts.arrived = make(chan struct{})
	}
	return ts.arrived
}

// Auths returns how many AUTHs succeeded so far.
func (ts *Server) Auths() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.authed
}

// session is one connection's conversation with a Server.
type session struct {
	ts   *Server
	conn *gosmtp.Conn
	user string
	d    Delivery
}

// AuthMechanisms lists the mechanisms offered: none without a User.
func (s *session) AuthMechanisms() []string {
	switch {
	case s.ts.User == "":
		return nil
	case s.ts.Mechs == nil:
		return []string{sasl.Plain}
	default:
		return s.ts.Mechs
	}
}

// Auth checks the client's credentials against the Server's User and Pass.
func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.ts.User || pass != s.ts.Pass {
			return gosmtp.ErrAuthFailed
		}
		s.user = user
		s.ts.mu.Lock()
		s.ts.authed++
		s.ts.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, gosmtp.ErrAuthUnknownMechanism
}

// Mail begins a message, once the client has authenticated if it must.
func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.ts.User != "" && s.user == "" {
		return gosmtp.ErrAuthRequired
	}
	s.d = Delivery{From: from, User: s.user}
	return nil
}

// Rcpt takes a recipient, unless SetRcptErr says otherwise.
func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.ts.mu.Lock()
	err := s.ts.rcptErr
	s.ts.mu.Unlock()
	if err != nil {
		return err
	}
	s.d.To = append(s.d.To, to)
	return nil
}

// Data takes the message and tells any Wait that it came.
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.d.Data = b
	_, s.d.TLS = s.conn.TLSConnectionState()
	s.ts.mu.Lock()
	s.ts.got = append(s.ts.got, s.d)
	close(s.ts.arrivedLocked())
	s.ts.arrived = nil
	s.ts.mu.Unlock()
	return nil
}

// Reset forgets the message under way.
func (s *session) Reset() { s.d = Delivery{} }

// Logout ends the session.
func (s *session) Logout() error { return nil }

// loginServer is the server's side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

// Next asks for the user name, then the password, then checks them.
func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("unexpected AUTH LOGIN response")
}

// Cert returns a self-signed certificate for 127.0.0.1 and localhost, valid
// for an hour either side of now, and a pool that trusts it.
func Cert(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mail test server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// Silent accepts connections on 127.0.0.1 and never writes a byte. It
// returns its address and a channel that gets each connection it accepts
// (up to 16 not yet received; the rest are not sent); it stops, closing
// every connection, when the test ends.
func Silent(t testing.TB) (addr string, accepted <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			select {
			case ch <- c:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String(), ch
}
