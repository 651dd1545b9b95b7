package e2e

import (
	"testing"

	"github.com/sinopay/sinopay/internal/proctest"
)

// app is one running sinopay binary: the shop and its embedded sandbox.
type app struct {
	URL        string // the shop, e.g. http://127.0.0.1:41234
	SandboxURL string // the embedded bank sandbox
}

// shopContact is the contact line the shop's pages show in their footer.
const shopContact = "help@kummy.example · 02-2345-6789"

// startApp runs `sinopay serve` on free loopback ports with db as its
// database, waits until /healthz answers, and stops it when t ends.
func startApp(t *testing.T, db string) *app {
	t.Helper()
	s := proctest.StartShop(t, proctest.ShopOptions{DB: db, Env: []string{"SINOPAY_SHOP_CONTACT=" + shopContact}})
	return &app{URL: s.URL, SandboxURL: s.Sandbox.URL()}
}
