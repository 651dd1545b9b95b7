package mail_test

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/mail"
)

// ParseURL reads smtp:// and smtps:// URLs, with the default port of
// each, and String gives them back without the password.
func TestParseURL(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"smtp://mail.example.com", "smtp://mail.example.com:587"},
		{"smtps://mail.example.com", "smtps://mail.example.com:465"},
		{"smtp://mail.example.com:25", "smtp://mail.example.com:25"},
		{"smtps://mail.example.com:2465/", "smtps://mail.example.com:2465"},
		{"SMTP://mail.example.com", "smtp://mail.example.com:587"},
		{"smtp://user:topsecret@mail.example.com:2525", "smtp://user@mail.example.com:2525"},
		{"smtps://shop%40example.com:top%2Fsecret%3A%40@mail.example.com", "smtps://shop%40example.com@mail.example.com:465"},
		{"smtp://127.0.0.1:1025", "smtp://127.0.0.1:1025"},
		{"smtp://[::1]:1025", "smtp://[::1]:1025"},
	} {
		s, err := mail.ParseURL(c.raw)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", c.raw, err)
			continue
		}
		if got := s.String(); got != c.want {
			t.Errorf("ParseURL(%q).String() = %q, want %q", c.raw, got, c.want)
		}
	}
}

// ParseURL refuses what is not an SMTP server's URL, says why, and never
// shows the password.
func TestParseURLInvalid(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"", "must start with smtp:// or smtps://"},
		{"mail.example.com:587", "must start with smtp:// or smtps://"},
		{"user:topsecret@mail.example.com", "must start with smtp:// or smtps://"},
		{"user:topsecret@mail.example.com://x", "must start with smtp:// or smtps://"},
		{"http://user:topsecret@mail.example.com", `scheme "http"`},
		{"smtp://", "has no host"},
		{"smtp://:587", "has no host"},
		{"smtp://user:topsecret@:587", "has no host"},
		{"smtp://mail.example.com:0", `port "0"`},
		{"smtp://mail.example.com:99999", `port "99999"`},
		{"smtp://user:topsecret@mail.example.com:smtp", "invalid port"},
		{"smtp://user:topsecret@mail.example.com/relay", "has a path"},
		{"smtp://user:topsecret@mail.example.com?tls=off", "has a query"},
		{"smtp://mail.example.com?", "has a query"},
		{"smtp://user:topsecret@mail.example.com#x", "has a fragment"},
		{"smtp://user@mail.example.com", "has a user but no password"},
		{"smtp://user:@mail.example.com", "has a user but no password"},
		{"smtp://:topsecret@mail.example.com", "has a password but no user"},
		{"smtp://user:topsecret%zz@mail.example.com", "the password is not valid in a URL"},
		{"smtp://user:top secret@mail.example.com", "the password is not valid in a URL"},
		{"smtps://user:topsecret@mail example.com", "invalid character"},
	} {
		s, err := mail.ParseURL(c.raw)
		if err == nil {
			t.Errorf("ParseURL(%q) = %v, want an error", c.raw, s)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseURL(%q): %q, want it to say %q", c.raw, err, c.want)
		}
		if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "top secret") {
			t.Errorf("ParseURL(%q): %q shows the password", c.raw, err)
		}
	}
}

// No way of printing an SMTP shows its password.
func TestSMTPHidesPassword(t *testing.T) {
	s, err := mail.ParseURL("smtp://user:topsecret@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		for _, v := range []any{s, *s, []*mail.SMTP{s}, struct{ s mail.SMTP }{*s}} {
			if got := strings.ToLower(fmt.Sprintf(verb, v)); strings.Contains(got, "topsecret") || strings.Contains(got, hex.EncodeToString([]byte("topsecret"))) {
				t.Errorf("Sprintf(%q, %T) = %q shows the password", verb, v, got)
			}
		}
	}
}
