package web

import (
	"golang.org/x/crypto/bcrypt"

	"github.com/sinopay/sinopay/shop"
)

// HashPassword hashes a password at the cost the shop's own forms use
// (shop.PasswordCost), for `sinopay admin create`, which makes accounts
// outside the sign-up form and must not make weaker ones.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), shop.PasswordCost)
	return string(h), err
}
