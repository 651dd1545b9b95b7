package shop

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Customer is a shop account.
type Customer struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         Role
	// Lang is the language the customer reads the shop in ("" until
	// known): the e-mail to them is written in it.
	Lang      string
	CreatedAt time.Time
}

// IsAdmin reports whether c may use the back office; a nil c (a visitor)
// may not.
func (c *Customer) IsAdmin() bool { return c != nil && c.Role == RoleAdmin }

// Role is what an account may do. An admin is a customer with the admin
// role: the same login and sessions, and the back office on top.
type Role string

const (
	RoleCustomer Role = "customer"
	RoleAdmin    Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleCustomer, RoleAdmin}

// The account rules, the same for the sign-up form and for
// `sinopay admin create`, so no way of making an account makes a weaker
// one. bcrypt reads at most 72 bytes; a longer password would be cut
// silently, so it is refused instead.
const (
	MinPassword = 8  // characters
	MaxPassword = 72 // bytes
	// PasswordCost is the bcrypt cost of every new password hash: about a
	// quarter of a second per hash.
	PasswordCost = 12
)

// NormEmail trims an email and lower-cases it, so one mailbox is one
// account however it is typed.
func NormEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckEmail checks an email already normalised by NormEmail: one
// address of at most 254 bytes, nothing else (no name, no angle
// brackets), of characters that all show. Bidirectional overrides and
// isolates (U+202A–U+202E, U+2066–U+2069) would make an address read
// otherwise than it is in the back office and in the log; they, every
// other control or format character (Unicode Cc and Cf: zero-width
// spaces, soft hyphens, marks, tags) and every space or line separator
// (Unicode Z) are refused, as is text that is not UTF-8. The error is
// Invalid with key auth.bad_email.
func CheckEmail(email string) error {
	if len(email) > 254 {
		return Errorf(Invalid, "auth.bad_email", "email too long")
	}
	if !utf8.ValidString(email) {
		return Errorf(Invalid, "auth.bad_email", "email is not UTF-8")
	}
	for _, r := range email {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z) {
			return Errorf(Invalid, "auth.bad_email", "email holds character %U", r)
		}
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		return Errorf(Invalid, "auth.bad_email", "email %+q", email)
	}
	return nil
}

// CheckCredentials checks a new account's email (already normalised by
// NormEmail, see CheckEmail) and password. The error is Invalid with an
// auth.* key.
func CheckCredentials(email, password string) error {
	if err := CheckEmail(email); err != nil {
		return err
	}
	return CheckPassword(password)
}

// CheckPassword checks a new password: MinPassword characters at least,
// MaxPassword bytes at most. The error is Invalid with an auth.* key.
func CheckPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPassword {
		return Errorf(Invalid, "auth.password_short", "password too short")
	}
	if len(password) > MaxPassword {
		return Errorf(Invalid, "auth.password_long", "password too long")
	}
	return nil
}
