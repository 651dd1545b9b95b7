package mail_test

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

// testServer is an SMTP server on 127.0.0.1 for one test. Set its fields,
// then start it.
type testServer struct {
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
	// RcptErr, when set, is the answer to every RCPT TO.
	RcptErr error

	addr string

	mu     sync.Mutex
	got    []delivery
	authed int // successful AUTHs
}

// delivery is one message the server took.
type delivery struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the message came over TLS
	User string // who authenticated, if anyone
}

// start starts the server on 127.0.0.1; it stops when the test ends.
func (ts *testServer) start(t *testing.T) *testServer {
	return ts.startOn(t, "127.0.0.1:0")
}

// startOn starts the server on addr; it stops when the test ends.
func (ts *testServer) startOn(t *testing.T, addr string) *testServer {
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

// url is the server's URL with scheme and, when the server has a user,
// its credentials.
func (ts *testServer) url(scheme string) string {
	u := url.URL{Scheme: scheme, Host: ts.addr}
	if ts.User != "" {
		u.User = url.UserPassword(ts.User, ts.Pass)
	}
	return u.String()
}

// deliveries returns the messages the server took so far.
func (ts *testServer) deliveries() []delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return slices.Clone(ts.got)
}

// auths returns how many AUTHs succeeded so far.
func (ts *testServer) auths() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.authed
}

// session is one connection's conversation with a testServer.
type session struct {
	ts   *testServer
	conn *gosmtp.Conn
	user string
	d    delivery
}

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

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.ts.User != "" && s.user == "" {
		return gosmtp.ErrAuthRequired
	}
	s.d = delivery{From: from, User: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if s.ts.RcptErr != nil {
		return s.ts.RcptErr
	}
	s.d.To = append(s.d.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.d.Data = b
	_, s.d.TLS = s.conn.TLSConnectionState()
	s.ts.mu.Lock()
	s.ts.got = append(s.ts.got, s.d)
	s.ts.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.d = delivery{} }
func (s *session) Logout() error { return nil }

// loginServer is the server's side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

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

// testCert returns a self-signed certificate for 127.0.0.1 and localhost,
// and a pool that trusts it.
func testCert(t *testing.T) (*tls.Config, *x509.CertPool) {
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

// silentServer accepts connections on 127.0.0.1 and never writes a byte.
// It returns its address and a channel that gets each connection it
// accepts; it stops when the test ends.
func silentServer(t *testing.T) (addr string, accepted <-chan net.Conn) {
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
