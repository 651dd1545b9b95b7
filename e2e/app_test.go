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

// startApp runs `sinopay serve` on free loopback ports with db as its
// database, waits until /healthz answers, and stops it when t ends.
func startApp(t *testing.T, db string) *app {
	t.Helper()
	s := proctest.StartShop(t, proctest.ShopOptions{DB: db})
	return &app{URL: s.URL, SandboxURL: s.Sandbox.URL()}
}
