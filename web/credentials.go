package web

import "github.com/sinopay/sinopay/shop"

// The sign-up and login forms apply the shop's account rules
// (shop.NormEmail, shop.CheckCredentials), as `sinopay admin create` does.
const minPassword = shop.MinPassword

func normEmail(s string) string { return shop.NormEmail(s) }

func checkCredentials(email, password string) error { return shop.CheckCredentials(email, password) }
