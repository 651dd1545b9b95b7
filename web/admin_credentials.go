package web

import "golang.org/x/crypto/bcrypt"

// The shop's account rules, for `sinopay admin create`, which makes
// accounts outside the sign-up form and must not make weaker ones.

// NormEmail trims and lower-cases an email, as sign-up and login do.
func NormEmail(s string) string { return normEmail(s) }

// CheckCredentials checks a new account's email and password by the
// sign-up form's rules; the error is a *shop.Error with an auth.* key.
func CheckCredentials(email, password string) error { return checkCredentials(email, password) }

// HashPassword hashes a password at the cost the shop's own forms use.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), 12)
	return string(h), err
}
