package web

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/sinopay/sinopay/shop"
)

// Password rules. bcrypt reads at most 72 bytes; a longer password would
// be cut silently, so it is refused instead.
const (
	minPassword = 8
	maxPassword = 72
)

// normEmail trims an email and lower-cases it, so one mailbox is one
// account however it is typed.
func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkCredentials checks a new account's email and password.
func checkCredentials(email, pw string) error {
	if len(email) > 254 {
		return shop.Errorf(shop.Invalid, "auth.bad_email", "email too long")
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		return shop.Errorf(shop.Invalid, "auth.bad_email", "email %q", email)
	}
	if utf8.RuneCountInString(pw) < minPassword {
		return shop.Errorf(shop.Invalid, "auth.password_short", "password too short")
	}
	if len(pw) > maxPassword {
		return shop.Errorf(shop.Invalid, "auth.password_long", "password too long")
	}
	return nil
}
